"""Why a run stopped starting files: a fatal endpoint error, the budget, or Ctrl-C. The first reason wins."""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any

from enrich.errors import EnrichError, ExitStatus


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
        self._previous_sigint: Any = None  # the SIGINT handler before the first Ctrl-C

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
        """Ctrl-C: start nothing more, let requests already sent land, then report as usual.

        From now on a second Ctrl-C stops at once (`stop_at_once`), without waiting for the wire."""
        self.interrupted = True
        self.halt("interrupted (Ctrl-C); run the same command again to go on")
        if threading.current_thread() is threading.main_thread() and self._previous_sigint is None:
            self._previous_sigint = signal.signal(signal.SIGINT, stop_at_once)

    def release(self) -> None:
        """The run is over: Ctrl-C is a KeyboardInterrupt again."""
        if self._previous_sigint is not None:
            signal.signal(signal.SIGINT, self._previous_sigint)
            self._previous_sigint = None


def stop_at_once(signum: int = signal.SIGINT, frame: FrameType | None = None) -> None:
    """The second Ctrl-C: end the process now. Writes in progress are dropped (their temp files removed,
    so every file is the old one or the whole new one); answers still on the wire are not waited for.
    Files already drafted are in the cache and the manifest: the same command goes on from there."""
    from enrich.temps import abandon_all

    abandon_all()
    line = (
        "enrich: interrupted again: stopped at once, without the answers still on the wire; run the same command again to go on\n"
    )
    with contextlib.suppress(OSError):
        if os.isatty(2):
            line = "\x1b[?25h\n" + line  # the progress bar hid the cursor
        os.write(2, line.encode())
    os._exit(int(ExitStatus.INTERRUPTED))
