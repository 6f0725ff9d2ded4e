"""`enrich batch INBOX --via batch-api | --via jsonl | --import FILE` and the dry run's batch price: parse, run, print."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import click

from enrich.cli import error_line
from enrich.errors import ConfigError, ExitStatus

if TYPE_CHECKING:
    from rich.console import Console

    from enrich.batch.report import BatchResult
    from enrich.cli.options import DraftingOptions
    from enrich.settings import Settings

LISTED = 20  # files left for the next run listed by name
BYTES_PER_TOKEN = 4  # a request line's bytes per prompt token, a generous estimate over English and Chinese


@dataclass
class RemoteCommand:
    inbox: Path
    drafting: DraftingOptions
    settings: Settings
    jobs: int
    via: str
    poll: float
    report: Path | None
    move_done: Path | None = None

    def run(
        self, *, status: bool, cancel: bool, requests: Path | None, results: Path | None, dry_run: bool, max_cost: float | None
    ) -> int:
        if self.drafting.offline:
            raise ConfigError("--offline drafts without a model: it cannot go through a batch (--via, --import)")
        if (status or cancel) and self.via != "batch-api":
            raise ConfigError("--status and --cancel are for --via batch-api")
        if requests is not None and self.via != "jsonl":
            raise ConfigError("--requests is for --via jsonl")
        if results is not None and self.via != "live":
            raise ConfigError("--import reads results: give it without --via")
        if self.move_done is not None:
            raise ConfigError("--move-done is for live drafting; give it without --via or --import")
        if max_cost is not None:
            raise ConfigError("--max-cost is for live drafting; --dry-run shows what a batch would cost")
        if dry_run:
            raise ConfigError("--dry-run plans live and batch prices alike: give it without --via or --import")
        from enrich.draft.build import build_drafter

        drafter, _ = build_drafter(self.settings, profile_file=self.drafting.profile_file, planning=True)
        out = self.settings.out
        if results is not None:
            from enrich.batch.vllm import import_results

            return self._finish(import_results(drafter, self.inbox, out, results, jobs=self.jobs), [])
        if self.via == "jsonl":
            return self._export(drafter, out, requests or Path("requests.jsonl"))
        from enrich.batch.api import BatchApiRun, RemoteOptions

        run = BatchApiRun(drafter, RemoteOptions(self.inbox, out, jobs=self.jobs, poll=self.poll), on_status=_status_line)
        if status or cancel:
            for line in run.cancel() if cancel else run.status():
                click.echo(line)
            return int(ExitStatus.OK)
        remote = run.run()
        return self._finish(remote.result, remote.notes)

    def _export(self, drafter: object, out: Path, requests: Path) -> int:
        from enrich.batch.vllm import export_requests

        done = export_requests(drafter, self.inbox, out, requests)  # type: ignore[arg-type]
        export = done.export
        click.echo(
            f"wrote {len(export.lines)} request line(s) to {requests} ({export.size:,} bytes); {export.done} file(s) need none"
        )
        if export.live:
            click.echo(f"{len(export.live)} long transcript(s) need chunks: `enrich batch {self.inbox}` drafts them live")
        click.echo(f"next: vllm run-batch -i {requests} -o results.jsonl --model {self.settings.model}")
        click.echo(f"then: enrich batch {self.inbox} --import results.jsonl")
        return int(ExitStatus.OK)

    def _finish(self, result: BatchResult, notes: list[str]) -> int:
        from enrich.batch.report import Outcome, write_report
        from enrich.cli import render

        out = render.console(sys.stdout)
        if self.report:
            write_report(result, self.report)
        if result.files:
            render.batch_summary(out, result)
        left = [f.error or f.input for f in result.files if f.outcome == Outcome.NOT_STARTED]
        if left:
            click.echo("left for the next run:")
            for line in left[:LISTED]:
                click.echo(f"  {line}")
            if len(left) > LISTED:
                click.echo(f"  ... and {len(left) - LISTED} more (--report lists them all)")
        for note in notes:
            click.echo(note)
        if self.report:
            click.echo(f"report: {self.report}")
        return int(result.exit_status)


def _status_line(line: str) -> None:
    error_line(line)


def batch_prices(out: Console, result: BatchResult) -> None:
    """The dry run's second price: the same files through the Batch API, and how many batch files that is."""
    from enrich.batch.collect import BATCH_DISCOUNT
    from enrich.batch.jsonl import files_needed
    from enrich.batch.report import Outcome
    from enrich.cli import render

    planned = [f for f in result.files if f.outcome == Outcome.PLANNED]
    live = next((cost for model, cost in result.estimates if model == result.model), None)
    batch = None if live is None else live * BATCH_DISCOUNT
    size = sum(f.estimate_in for f in planned) * BYTES_PER_TOKEN
    count = files_needed(len(planned), size)
    out.print(
        f"{result.model}: live {render.money(live)}, through the Batch API (--via batch-api) {render.money(batch)}; "
        f"{count} batch file(s) of at most 50,000 requests and 200 MB (about {size / 1e6:.1f} MB)",
        soft_wrap=True,
    )
