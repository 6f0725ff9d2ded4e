"""`enrich batch INBOX`: parse, run `enrich.batch`, print. Review and status are in `review_cmd`.

Progress and per-file lines go to stderr, the closing summary to stdout. The core (imported inside the
command, so other commands start fast) decides everything, the exit status included.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from enrich.cli import error_line, guarded
from enrich.cli.args import FilesCommand
from enrich.cli.options import DraftingOptions, drafting_options

if TYPE_CHECKING:
    from enrich.settings import Settings

DEFAULT_JOBS = 4


@click.command("batch", cls=FilesCommand)
@click.argument("inbox", type=click.Path(path_type=Path))
@drafting_options
@click.option("-j", "--jobs", type=click.IntRange(1, 256), help=f"Files drafted at once ([batch] jobs, else {DEFAULT_JOBS}).")
@click.option("--dry-run", is_flag=True, help="Count tokens and estimate the cost offline; call no model.")
@click.option("--max-cost", type=click.FloatRange(min=0), help="Stop starting files before this many USD would be spent.")
@click.option("--report", type=click.Path(dir_okay=False, path_type=Path), help="Write every file's outcome to this JSON file.")
@click.option("--move-done", type=click.Path(file_okay=False, path_type=Path), help="Move inputs with a draft into this folder.")
@click.option("--progress/--no-progress", default=None, help="Progress bar (default: when stderr is a terminal).")
@click.option(
    "--via",
    type=click.Choice(["live", "batch-api", "jsonl"]),
    default="live",
    help="live requests; the provider's Batch API (half price, resumable); or a JSONL file for `vllm run-batch`.",
)
@click.option("--status", "show_status", is_flag=True, help="With --via batch-api: show the batch in progress.")
@click.option("--cancel", is_flag=True, help="With --via batch-api: cancel the batch in progress.")
@click.option(
    "--requests",
    "requests_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="With --via jsonl: where to write the request lines (default: requests.jsonl).",
)
@click.option(
    "--import",
    "import_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Turn a results JSONL (vllm run-batch -o) into drafts.",
)
@click.option(
    "--poll", type=click.FloatRange(min=0.01), default=30.0, show_default=True, help="Seconds between batch status checks."
)
@guarded
def batch_command(
    inbox: Path,
    drafting: DraftingOptions,
    jobs: int | None,
    dry_run: bool,
    max_cost: float | None,
    report: Path | None,
    move_done: Path | None,
    progress: bool | None,
    via: str,
    show_status: bool,
    cancel: bool,
    requests_file: Path | None,
    import_file: Path | None,
    poll: float,
) -> int:
    """Draft every transcript in INBOX concurrently: cached, resumable, never overwriting a person's edits."""
    from enrich.batch.plan import plan_batch
    from enrich.batch.report import write_report
    from enrich.batch.run import BatchOptions, BatchRun
    from enrich.cli import render
    from enrich.cli.progress import progress_view
    from enrich.draft.build import build_drafter

    settings = drafting.settings()
    n_jobs = _jobs(jobs, settings)
    if via != "live" or show_status or cancel or import_file or requests_file:
        from enrich.cli.batch_remote import RemoteCommand

        remote = RemoteCommand(inbox, drafting, settings, n_jobs, via=via, poll=poll, report=report, move_done=move_done)
        return remote.run(
            status=show_status, cancel=cancel, requests=requests_file, results=import_file, dry_run=dry_run, max_cost=max_cost
        )
    if not dry_run and drafting.backend == "auto" and not settings.has_endpoint:
        from enrich.errors import ConfigError
        from enrich.settings import NO_ENDPOINT_HELP

        # a whole inbox is never drafted offline by accident (a forgotten key): only with --offline
        raise ConfigError(NO_ENDPOINT_HELP + "; or pass --offline to draft the inbox without a model")
    if not dry_run:
        from enrich.draft.output import probe_out_dir

        probe_out_dir(settings.out)  # a folder that cannot be written is refused before any file is paid for
    # a dry run plans for the configured model even when no endpoint is set
    drafter, notice = build_drafter(
        settings, profile_file=drafting.profile_file, backend=drafting.backend, planning=dry_run, max_in_flight=n_jobs
    )
    if notice:
        error_line(notice)
    options = BatchOptions(inbox=inbox, out=settings.out, jobs=n_jobs, max_cost=max_cost, move_done=move_done)
    out = render.console(sys.stdout)
    if dry_run:
        result = plan_batch(drafter, options)
        render.dry_run_summary(out, result)
        from enrich.cli.batch_remote import batch_prices

        batch_prices(out, result)
    else:
        with progress_view(sys.stderr, live=progress) as view:
            result = BatchRun(drafter, options, on_progress=view).run()
    if not dry_run:
        render.batch_summary(out, result)  # before the report: a report the disk refuses still leaves the summary
    if report:
        write_report(result, report)
        if not dry_run:
            click.echo(f"report: {report}")
    if result.stopped:
        error_line(f"stopped early: {result.stopped}")
    return result.exit_status


def _jobs(flag: int | None, settings: Settings) -> int:
    return flag or settings.batch.jobs or DEFAULT_JOBS


def register(group: click.Group) -> None:
    group.add_command(batch_command)
