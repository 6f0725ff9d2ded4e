"""The limiter every worker shares: the in-flight cap, holding after a 429, halting a run.

One gate per run, so a 429 seen by one worker slows every worker, not just the one that got it. It
does not decide how long to wait or when a file is parked: the policy does (`Deadline.allows`,
`RetryPolicy.decide`). Light: no openai, so batch and pipeline build it before any client exists.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator

from enrich.errors import EndpointError, HaltedError, RateLimitedError
from enrich.model.policy import Deadline


class RateGate:
    """Shared by all workers: after a 429 (or an exhausted rate-limit header) everyone waits."""

    def __init__(self, max_in_flight: int | None = None) -> None:
        self._lock = threading.Lock()
        self._resume_at = 0.0
        self._halted: str | None = None
        # at most this many requests on the wire at once, however many workers prepare files
        self._slots = threading.BoundedSemaphore(max_in_flight) if max_in_flight else None
        self._in_flight = 0
        self._changed = threading.Condition(self._lock)
        self.alone: Callable[[], bool] = lambda: False  # True while one request must go alone (the client's probe)

    def halt(self, reason: str) -> None:
        """Stop every worker before its next request (a fatal error elsewhere, a budget reached)."""
        with self._lock:
            self._halted = reason

    def check_halted(self) -> None:
        with self._lock:
            if self._halted is not None:
                raise HaltedError(f"not sent: {self._halted}")

    def hold(self, seconds: float) -> None:
        """No request leaves for `seconds` from now (a longer hold already in force stays)."""
        with self._lock:
            self._resume_at = max(self._resume_at, time.monotonic() + seconds)

    def wait_time(self) -> float:
        """Seconds left of the hold in force, 0 when none."""
        with self._lock:
            return max(0.0, self._resume_at - time.monotonic())

    def admit(self, deadline: Deadline) -> None:
        """Return once a request may leave: not halted, the hold waited out, the deadline not passed.

        A hold that outlasts the file's deadline is not waited: RateLimitedError, and batch parks the file.
        """
        with self._lock:
            halted = self._halted
            delay = self._resume_at - time.monotonic()
        if halted is not None:
            raise HaltedError(f"not sent: {halted}")
        if delay > 0:
            if not deadline.allows(delay):
                raise RateLimitedError(f"rate limited for {delay:.0f}s more, past this file's deadline", retry_after=delay)
            time.sleep(delay)
        if deadline.remaining() <= 0:
            raise EndpointError(f"deadline of {deadline.seconds:.0f}s per file passed")

    @contextlib.contextmanager
    def slot(self) -> Iterator[None]:
        """Hold one of the in-flight slots (if limited) for the duration of one request."""
        with self._slots if self._slots is not None else contextlib.nullcontext():
            with self._changed:
                self._in_flight += 1
                self._changed.notify_all()
            try:
                yield
            finally:
                with self._changed:
                    self._in_flight -= 1

    def wait_for_requests(self, count: int, timeout: float) -> bool:
        """Wait until `count` requests are on the wire (True), or `timeout` seconds pass (False).

        While a request goes alone (`alone`), one on the wire is as many as there will be for now.
        """
        with self._changed:
            return self._changed.wait_for(lambda: self._in_flight >= (1 if self.alone() else count), timeout=timeout)
