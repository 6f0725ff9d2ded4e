"""Why a run stopped starting files: a fatal endpoint error, the budget, or Ctrl-C. The first reason wins."""

from __future__ import annotations

import threading
from collections.abc import Callable

from enrich.errors import EnrichError


class Stop:
    """Set once, read by every worker before it starts or sends anything.

    `on_halt` tells the rate gate, so that workers already waiting there for a request slot send nothing.
    """

    def __init__(self, on_halt: Callable[[str], None] | None = None) -> None:
        self._event = threading.Event()
        self._on_halt = on_halt
        self.reason: str | None = None
        self.error: EnrichError | None = None  # the error behind the reason; its exit status is the run's
        self.interrupted = False  # by Ctrl-C

    def is_set(self) -> bool:
        return self._event.is_set()

    def halt(self, reason: str, error: EnrichError | None = None, *, gate: bool = True) -> None:
        """Start no more files; `gate=False` (the budget) lets requests already on their way finish."""
        from enrich.redact import redact

        if not self._event.is_set():
            self.reason = redact(reason)
            self.error = error
            self._event.set()
            if gate and self._on_halt is not None:
                self._on_halt(self.reason)

    def interrupt(self) -> None:
        """Ctrl-C: start nothing more, let requests already sent land, then report as usual."""
        self.interrupted = True
        self.halt("interrupted (Ctrl-C); run the same command again to go on")
