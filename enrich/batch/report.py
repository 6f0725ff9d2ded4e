"""What a batch run did, file by file and in total: the values the CLI prints and `--report` writes.

The exit status of a run is decided here (`BatchResult.exit_status`), not by whoever prints it.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from enrich.batch.cache import now_iso
from enrich.errors import EndpointError, EnrichError, ExitStatus
from enrich.fsutil import atomic_write


class Outcome(StrEnum):
    """What happened to one input (the report's `outcome`)."""

    DRAFTED = "drafted"  # the model (or offline drafting) made a new draft
    CACHED = "cached"  # written from the cache: no model call
    UNCHANGED = "unchanged"  # the draft in place is already the cached one
    KEPT = "kept"  # a person edited the draft: not replaced
    REVIEWED = "reviewed"  # a person approved or rejected this input: not drafted again
    FAILED = "failed"
    NOT_STARTED = "not-started"  # the run stopped (fatal error, budget, Ctrl-C) before this file
    PARKED = "parked"  # rate limited past its deadline: tried again after the others (never final)
    PLANNED = "planned"  # a dry run would draft it


# A file "succeeded" when it has a draft (new, from cache, or already there), or when a person
# already dealt with it (edited or reviewed): nothing left for batch to do.
OK_OUTCOMES = frozenset({Outcome.DRAFTED, Outcome.CACHED, Outcome.UNCHANGED, Outcome.KEPT, Outcome.REVIEWED})


@dataclass
class FileResult:
    """What happened to one input: the row of the report."""

    input: str
    outcome: Outcome
    draft: str | None = None
    key: str | None = None
    tokens_in: int = 0
    tokens_out: int = 0
    calls: int = 0
    cost: float | None = 0.0
    seconds: float = 0.0
    model_seconds: float = 0.0
    flags: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None
    fatal: bool = False
    estimate_in: int = 0
    estimate_out: int = 0
    moved_to: str | None = None
    retry_after: float | None = None

    @property
    def ok(self) -> bool:
        return self.outcome in OK_OUTCOMES

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for name in ("retry_after", "fatal"):
            data.pop(name)
        if self.outcome != Outcome.PLANNED:
            data.pop("estimate_in")
            data.pop("estimate_out")
        return data


def failed_result(path: Path, exc: EnrichError, started: float = 0.0) -> FileResult:
    """The row of a file that failed: one redacted line naming it, and whether every file would fail alike."""
    from enrich.redact import redact

    message = str(exc) if exc.path else f"{path}: {exc.message}"
    return FileResult(
        input=str(path),
        outcome=Outcome.FAILED,
        error=redact(message),
        fatal=isinstance(exc, EndpointError) and exc.fatal,
        seconds=time.perf_counter() - started if started else 0.0,
    )


def not_started_result(path: Path, why: str | None) -> FileResult:
    return FileResult(input=str(path), outcome=Outcome.NOT_STARTED, error=f"{path}: not started ({why})")


@dataclass
class BatchResult:
    """The outcome of a batch run (or, with `dry_run`, of planning one)."""

    inbox: str
    out: str
    model: str
    files: list[FileResult]
    backend: str = "model"  # how files are drafted: "model" or "offline"
    wall_seconds: float = 0.0
    stopped: str | None = None  # why the batch stopped starting files (fatal error, budget)
    stop_error: EnrichError | None = None
    interrupted: bool = False  # by Ctrl-C: exit 130 after the summary and report
    dry_run: bool = False
    estimates: list[tuple[str, float | None]] = field(default_factory=list)  # (model, USD) for a dry run
    counting: str = ""
    started: str = field(default_factory=now_iso)

    @property
    def ok(self) -> bool:
        return all(f.ok or (self.dry_run and f.outcome == Outcome.PLANNED) for f in self.files) and self.stopped is None

    @property
    def exit_status(self) -> ExitStatus:
        """A dry run succeeds whatever it found; a stopped run exits as what stopped it; else 1 for any failure."""
        if self.dry_run:
            return ExitStatus.OK
        if self.interrupted:
            return ExitStatus.INTERRUPTED
        if self.stop_error is not None:
            return self.stop_error.exit_status
        return ExitStatus.OK if self.ok else ExitStatus.FINDINGS

    def count(self, outcome: Outcome) -> int:
        return sum(1 for f in self.files if f.outcome == outcome)

    @property
    def tokens_in(self) -> int:
        return sum(f.tokens_in for f in self.files)

    @property
    def tokens_out(self) -> int:
        return sum(f.tokens_out for f in self.files)

    @property
    def calls(self) -> int:
        return sum(f.calls for f in self.files)

    @property
    def cost(self) -> float | None:
        costs = [f.cost for f in self.files if f.calls]
        return None if any(c is None for c in costs) else sum(c for c in costs if c is not None)

    @property
    def estimated_tokens(self) -> tuple[int, int]:
        """Prompt and completion tokens a dry run expects the files to draft to cost."""
        return sum(f.estimate_in for f in self.files), sum(f.estimate_out for f in self.files)

    def to_report(self) -> dict[str, Any]:
        totals: dict[str, Any] = {
            "files": len(self.files),
            "ok": sum(1 for f in self.files if f.ok),
            "failed": self.count(Outcome.FAILED),
            "not_started": self.count(Outcome.NOT_STARTED),
            "calls": self.calls,
            "tokens_in": self.tokens_in,
            "tokens_out": self.tokens_out,
            "cost": None if self.cost is None else round(self.cost, 6),
        }
        for outcome in (Outcome.DRAFTED, Outcome.CACHED, Outcome.UNCHANGED, Outcome.KEPT, Outcome.REVIEWED, Outcome.PLANNED):
            totals[str(outcome)] = self.count(outcome)
        report: dict[str, Any] = {
            "version": 1,
            "inbox": self.inbox,
            "out": self.out,
            "model": self.model,
            "started": self.started,
            "wall_seconds": round(self.wall_seconds, 3),
            "dry_run": self.dry_run,
            "stopped": self.stopped,
            "ok": self.ok,
            "totals": totals,
            "files": [f.to_dict() for f in self.files],
        }
        if self.dry_run:
            report["estimates"] = [{"model": m, "cost": c} for m, c in self.estimates]
            report["counting"] = self.counting
        return report


def write_report(result: BatchResult, path: Path) -> None:
    """The report as JSON, written atomically (errors in it are already redacted)."""
    atomic_write(path, json.dumps(result.to_report(), ensure_ascii=False, indent=2) + "\n")
