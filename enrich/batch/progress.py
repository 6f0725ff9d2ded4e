"""Progress of a run as it goes, for whoever shows it (the CLI's bar or lines): counts, cost, a note."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from enrich.batch.report import FileResult


@dataclass
class Progress:
    """A snapshot for the progress view, handed to the callback after every file and every note."""

    total: int
    done: int = 0
    failed: int = 0
    tokens: int = 0
    cost: float = 0.0
    started: float = field(default_factory=time.monotonic)
    last: FileResult | None = None  # the file that just finished
    note: str | None = None  # what the run is waiting for, if anything (rate limits)

    @property
    def finished(self) -> int:
        return self.done + self.failed

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def eta(self) -> float | None:
        """Seconds left at the pace so far; None until a file finished."""
        if not self.finished or self.finished >= self.total:
            return None if not self.finished else 0.0
        return self.elapsed() / self.finished * (self.total - self.finished)


ProgressCallback = Callable[[Progress], None]


class ProgressTracker:
    """Counts finished files from every worker and tells the callback; a failing callback never stops a run."""

    def __init__(self, on_progress: ProgressCallback | None = None) -> None:
        self.progress = Progress(total=0)
        self._on_progress = on_progress
        self._lock = threading.Lock()

    def start(self, total: int) -> None:
        with self._lock:
            self.progress = Progress(total=total)
            self._notify()

    def finished(self, res: FileResult) -> None:
        with self._lock:
            if res.ok:
                self.progress.done += 1
            else:
                self.progress.failed += 1
            self.progress.tokens += res.tokens_in + res.tokens_out
            self.progress.cost += res.cost or 0.0
            self.progress.last = res
            self._notify()

    def note(self, text: str | None) -> None:
        with self._lock:
            self.progress.note = text
            self._notify()

    def _notify(self) -> None:
        if self._on_progress is not None:
            with contextlib.suppress(Exception):
                self._on_progress(self.progress)
