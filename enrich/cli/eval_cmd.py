"""`enrich eval`: parse, call `enrich.eval`, print. Three sources of drafts, one report.

    enrich eval INPUTS --gold POSTS [--sample N --seed S]   draft like `enrich batch` into .enrich/eval/<run>/
    enrich eval --from-review-log [LOG]                     drafts people approved, as drafted vs as published
    enrich eval --compare A.json B.json                     two saved runs side by side

The table goes to stdout (to stderr when `--json -` takes stdout). Exit statuses: 0 the report was made
(failed drafts count as empty drafts and are listed in it); 2 bad flags; 3 an input, gold folder, log or
run file cannot be used; 4 configuration (no price for --max-cost, bad profile); 5 the endpoint stopped
the run (the report covers what was drafted); 7 --json/--html file exists (use --force); 8 another run
holds the lock; 130 interrupted.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from enrich.cli import error_line, guarded
from enrich.cli.options import DraftingOptions, drafting_options

if TYPE_CHECKING:
    from enrich.eval.aggregate import Run
    from enrich.eval.review_log import ReviewAnalysis

DEFAULT_JOBS = 4
SITE_LOG = "-site-"  # --from-review-log without a value: the site's .enrich/review-log.jsonl
RUN_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)
OUT_FILE = click.Path(dir_okay=False, allow_dash=True, path_type=Path)


@click.command("eval")
@click.argument("inputs", required=False, type=click.Path(path_type=Path))
@click.option("--gold", type=click.Path(path_type=Path), help="Folder of approved posts, paired with INPUTS by file name.")
@click.option("--sample", type=click.IntRange(1), help="Draft this many pairs, chosen at random by --seed (default: all).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the sample: the same seed, the same posts.")
@click.option("--run-id", help="Name of the run folder under .enrich/eval/ (default: the date and time).")
@click.option(
    "--from-review-log", "review_log", is_flag=False, flag_value=SITE_LOG, default=None, metavar="[LOG]",
    help="Score approved drafts from the review log (default: .enrich/review-log.jsonl).",
)  # fmt: skip
@click.option("--compare", nargs=2, type=RUN_FILE, metavar="A.json B.json", help="Compare two runs saved with --json.")
@drafting_options
@click.option("-j", "--jobs", type=click.IntRange(1, 256), help=f"Files drafted at once ([batch] jobs, else {DEFAULT_JOBS}).")
@click.option("--dry-run", is_flag=True, help="Show what drafting the sample would cost; call no model.")
@click.option("--max-cost", type=click.FloatRange(min=0), help="Stop starting drafts before this many USD would be spent.")
@click.option("--json", "json_out", type=OUT_FILE, help="Write the run (or comparison) as versioned JSON; - for stdout.")
@click.option("--html", "html_out", type=OUT_FILE, help="Write a self-contained HTML page of the run.")
@click.option("--force", is_flag=True, help="Replace existing --json/--html files.")
@click.option("--progress/--no-progress", default=None, help="Progress bar while drafting (default: when stderr is a terminal).")
@guarded
def eval_command(
    inputs: Path | None,
    gold: Path | None,
    sample: int | None,
    seed: int,
    run_id: str | None,
    review_log: str | None,
    compare: tuple[Path, Path] | None,
    drafting: DraftingOptions,
    jobs: int | None,
    dry_run: bool,
    max_cost: float | None,
    json_out: Path | None,
    html_out: Path | None,
    force: bool,
    progress: bool | None,
) -> int:
    """Score drafts against the front matter people approved: per field, overall, with cost."""
    modes = sum(x is not None for x in (inputs, review_log, compare))
    if modes != 1:
        raise click.UsageError("give INPUTS --gold POSTS, or --from-review-log, or --compare A.json B.json (one of them)")
    if drafting.out is not None:
        raise click.UsageError("--out: eval drafts into its own run folder under .enrich/eval/, never among your drafts")
    for target in (json_out, html_out):
        _refuse_clobber(target, force)
    if compare is not None:
        return _compare(compare, json_out, html_out)
    if review_log is not None:
        return _from_review_log(None if review_log == SITE_LOG else Path(review_log), drafting, json_out, html_out)
    if gold is None:
        raise click.UsageError("INPUTS needs --gold POSTS: the folder of approved posts to score against")
    assert inputs is not None
    return _pairs(inputs, gold, sample, seed, run_id, drafting, jobs, dry_run, max_cost, json_out, html_out, progress)


def _pairs(
    inputs: Path,
    gold: Path,
    sample: int | None,
    seed: int,
    run_id: str | None,
    drafting: DraftingOptions,
    jobs: int | None,
    dry_run: bool,
    max_cost: float | None,
    json_out: Path | None,
    html_out: Path | None,
    progress: bool | None,
) -> int:
    from enrich.cli import render
    from enrich.cli.progress import progress_view
    from enrich.draft.build import build_drafter
    from enrich.eval.runner import EvalOptions, run_eval

    settings = drafting.settings()
    n_jobs = jobs or settings.batch.jobs or DEFAULT_JOBS
    drafter, notice = build_drafter(
        settings, profile_file=drafting.profile_file, backend=drafting.backend, planning=dry_run, max_in_flight=n_jobs
    )
    if notice:
        error_line(notice)
    options = EvalOptions(inputs=inputs, gold=gold, sample=sample, seed=seed, jobs=n_jobs, max_cost=max_cost, run_id=run_id)
    if dry_run:
        result = run_eval(drafter, options, dry_run=True)
        render.dry_run_summary(render.console(sys.stdout), result.batch)
        return 0
    with progress_view(sys.stderr, live=progress) as view:
        result = run_eval(drafter, options, on_progress=view)
    for line in result.unpaired[:10]:
        error_line(f"not scored: {line}")
    if len(result.unpaired) > 10:
        error_line(f"not scored: {len(result.unpaired) - 10} more transcript(s) without an approved post")
    assert result.run is not None
    _emit(result.run, None, json_out, html_out)
    _note(json_out, f"run folder: {result.folder} (drafts, run.json)")
    batch = result.batch
    if batch.stopped:
        error_line(f"stopped early: {batch.stopped}")
    if batch.interrupted or batch.stop_error is not None:
        return int(batch.exit_status)
    return 0


def _from_review_log(log: Path | None, drafting: DraftingOptions, json_out: Path | None, html_out: Path | None) -> int:
    from enrich.eval.from_log import review_run
    from enrich.settings import load_settings

    settings = load_settings({})
    run, review = review_run(settings.site_root, log, drafting.profile_file)
    _emit(run, review, json_out, html_out)
    return 0


def _compare(files: tuple[Path, Path], json_out: Path | None, html_out: Path | None) -> int:
    from enrich.eval.report import compare, from_json

    if html_out is not None:
        raise click.UsageError("--html shows one run; compare with --json or on the terminal")
    runs = [from_json(_read(path), where=str(path)) for path in files]
    comparison = compare(runs[0], runs[1])
    _text(json_out, comparison.to_text())
    if json_out is not None:
        _write(json_out, comparison.to_json())
    return 0


def _emit(run: Run, review: ReviewAnalysis | None, json_out: Path | None, html_out: Path | None) -> None:
    """The terminal table (and the review analysis), then the files asked for."""
    import json

    from enrich.eval.report import review_to_dict, review_to_text, to_dict, to_html, to_json, to_text

    text = to_text(run) + ("\n" + review_to_text(review) if review is not None else "")
    _text(json_out, text)
    if json_out is not None:
        if review is None:
            _write(json_out, to_json(run))
        else:
            _write(json_out, json.dumps({**to_dict(run), "review": review_to_dict(review)}, ensure_ascii=False, indent=1) + "\n")
    if html_out is not None:
        _write(html_out, to_html(run, review=review))
        _note(json_out, f"page: {html_out}")


def _text(json_out: Path | None, text: str) -> None:
    """The report for people: stdout, unless `--json -` takes it (then stderr)."""
    click.echo(text, nl=False, err=json_out is not None and str(json_out) == "-")


def _note(json_out: Path | None, line: str) -> None:
    click.echo(line, err=json_out is not None and str(json_out) == "-")


def _read(path: Path) -> str:
    from enrich.errors import InputError

    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read: {exc}", path=str(path)) from None


def _refuse_clobber(target: Path | None, force: bool) -> None:
    from enrich.errors import ExistsError

    if target is not None and str(target) != "-" and target.exists() and not force:
        raise ExistsError("already exists; use --force to replace it", path=str(target))


def _write(target: Path, text: str) -> None:
    from enrich.fsutil import atomic_write

    if str(target) == "-":
        click.echo(text, nl=False)
    else:
        atomic_write(target, text)


def register(group: click.Group) -> None:
    group.add_command(eval_command)
