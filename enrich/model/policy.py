"""The one retry and rate policy: what is worth trying again, how often, and how long to wait.

Every number about retries and rate limits is a default of one frozen value, `RetryPolicy`; the
client, the gate and batch's parking ask it instead of deciding for themselves, and settings feed it
in one place (`RetryPolicy.from_settings`). One retry layer only: the openai client runs with
`max_retries=0` and this policy decides every retry. Nothing here sleeps or sends, and openai is
imported only to classify an exception it raised (so it is already loaded).
"""

from __future__ import annotations

import enum
import math
import random
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from enrich.errors import EndpointError
    from enrich.settings import Settings

_SERVER_ERRORS = frozenset(range(500, 600))
# Phrases servers use for a prompt longer than the model's context (OpenAI, vLLM, llama.cpp, Gemini, Anthropic).
_CONTEXT_PHRASES = ("context length", "maximum context", "context size", "maximum number of tokens allowed", "prompt is too long")
_DURATION = re.compile(r"(?:\d+(?:\.\d+)?(?:ms|h|m|s))+")  # `ms` before `m`: 174ms is not 174 minutes
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|h|m|s)")
_TRY_AGAIN = re.compile(r"try again in ((?:\d+(?:\.\d+)?(?:ms|h|m|s))+)", re.I)
_TOO_LARGE = re.compile(r"request too large", re.I)
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


class Fault(enum.Enum):
    """What kind of failure an error is: whether retrying can help, whether every file would fail alike."""

    TIMEOUT = "timeout"
    UNREACHABLE = "unreachable"  # connection refused, DNS, TLS
    RATE_LIMITED = "rate-limited"  # 429, not the quota
    SERVER = "server"  # 408, 409, 5xx
    QUOTA = "quota"  # 429 insufficient_quota: no wait will fix it
    TOO_LARGE = "too-large"  # 429 "Request too large ... Limit N, Requested M": this request never fits the limit
    AUTH = "auth"  # 401
    FORBIDDEN = "forbidden"  # 403
    NOT_FOUND = "not-found"  # 404: model or path
    CONTEXT_LENGTH = "context-length"  # this transcript is too long for this model
    CONTENT_FILTER = "content-filter"
    BAD_REQUEST = "bad-request"  # another 400: a parameter or format the endpoint does not take
    OTHER = "other"  # any other status
    UNEXPECTED = "unexpected"  # not an API error at all: an HTML page, a truncated body, an odd shape

    @property
    def retryable(self) -> bool:
        """The same request may succeed later."""
        return self in _RETRYABLE

    @property
    def fatal(self) -> bool:
        """Every file would fail the same way (bad key, quota, unreachable): a batch stops early."""
        return self in _FATAL


_RETRYABLE = frozenset({Fault.TIMEOUT, Fault.UNREACHABLE, Fault.RATE_LIMITED, Fault.SERVER})
_FATAL = frozenset({Fault.UNREACHABLE, Fault.QUOTA, Fault.AUTH, Fault.FORBIDDEN, Fault.NOT_FOUND})


class Action(enum.Enum):
    RETRY = "retry"  # sleep `wait`, then send again
    PARK = "park"  # the endpoint asks for a wait past the file's deadline: batch tries the file later
    GIVE_UP = "give-up"  # describe the error; retrying cannot help or the attempts ran out


@dataclass(frozen=True, slots=True)
class Decision:
    """What to do after one failed attempt."""

    action: Action
    fault: Fault
    wait: float = 0.0  # RETRY: seconds to sleep first; PARK: the wait the endpoint asked for
    hold: float = 0.0  # seconds every worker sharing the gate holds (a 429 slows them all)


class Deadline:
    """An overall time budget for one file, across all its calls and waits."""

    def __init__(self, seconds: float) -> None:
        self.ends = time.monotonic() + seconds
        self.seconds = seconds

    def remaining(self) -> float:
        return self.ends - time.monotonic()

    def allows(self, wait: float) -> bool:
        """A wait that ends after the deadline is not waited: the file is parked (or fails) instead."""
        return wait <= self.remaining()


@dataclass(frozen=True)
class RetryPolicy:
    """Attempts, backoff, what is retried, how rate-limit headers are read, and parking."""

    attempts: int = 4  # per request, the first one included
    timeout: float = 120.0  # seconds per attempt
    deadline: float = 600.0  # seconds per file, every attempt and wait included
    backoff_base: float = 0.5  # seconds before the second attempt; doubles each time
    backoff_cap: float = 20.0
    jitter: float = 0.25  # a backoff is shortened by a random part of up to this fraction
    retryable_statuses: frozenset[int] = frozenset({408, 409, 429}) | _SERVER_ERRORS
    never_retried_codes: frozenset[str] = frozenset({"insufficient_quota"})  # a 429 that never recovers
    default_reset: float = 1.0  # hold when no request is left in the window and the reset is unreadable
    park_rounds: int = 3  # times batch waits for the endpoint and tries parked files again
    park_wait_cap: float = 3600.0  # the longest batch waits before a round of parked files

    @classmethod
    def from_settings(cls, settings: Settings) -> RetryPolicy:
        """The one place settings feed the policy: max_attempts, timeout, deadline."""
        return replace(
            cls(),
            attempts=max(1, int(settings.max_attempts)),
            timeout=float(settings.timeout),
            deadline=float(settings.deadline),
        )

    def new_deadline(self) -> Deadline:
        """The budget of one file, started now."""
        return Deadline(self.deadline)

    def request_timeout(self, deadline: Deadline) -> float:
        """One attempt's timeout: never past the file's deadline (openai gives every attempt the whole timeout)."""
        return min(self.timeout, deadline.remaining())

    # -- after a failure -------------------------------------------------------------------------
    def decide(self, exc: BaseException, attempt: int, deadline: Deadline) -> Decision:
        """Retry, park or give up after attempt number `attempt` (1 for the first) failed with `exc`."""
        fault = self.classify(exc)
        if not fault.retryable:
            return Decision(Action.GIVE_UP, fault)
        hinted = self.retry_after(headers_of(exc))
        if hinted is None and fault is Fault.RATE_LIMITED:
            hinted = try_again_in(str(getattr(exc, "message", exc)))
        wait = hinted if hinted is not None else self.backoff(attempt)
        hold = wait if fault is Fault.RATE_LIMITED else 0.0
        # a rate limit is retried for as long as the file's deadline allows, never counted against the attempts
        if attempt >= self.attempts and fault is not Fault.RATE_LIMITED:
            return Decision(Action.GIVE_UP, fault, hold=hold)
        if not deadline.allows(wait):
            if fault is Fault.RATE_LIMITED:
                return Decision(Action.PARK, fault, wait=wait, hold=hold)
            return Decision(Action.GIVE_UP, fault, hold=hold)
        return Decision(Action.RETRY, fault, wait=wait, hold=hold)

    def backoff(self, attempt: int, rand: Callable[[], float] = random.random) -> float:
        """Exponential backoff before attempt `attempt + 1`, capped, minus up to `jitter` of it at random."""
        full = min(self.backoff_cap, self.backoff_base * 2.0 ** min(max(attempt - 1, 0), 64))
        return full * (1.0 - self.jitter + self.jitter * rand())

    def classify(self, exc: BaseException) -> Fault:
        """The kind of an exception raised while sending a request or reading its answer."""
        import openai  # already loaded: it raised `exc`

        if isinstance(exc, openai.APITimeoutError):
            return Fault.TIMEOUT
        if isinstance(exc, openai.APIConnectionError):
            return Fault.SERVER if _answer_cut(exc) else Fault.UNREACHABLE
        status = getattr(exc, "status_code", None)
        if isinstance(status, int):
            return self.classify_status(status, error_code(exc), str(getattr(exc, "message", exc)))
        return Fault.OTHER if isinstance(exc, openai.APIError) else Fault.UNEXPECTED

    def classify_status(self, status: int, code: str = "", message: str = "") -> Fault:
        """The kind of an HTTP error answer, from its status, its error code and its message."""
        if status == 429:
            if code in self.never_retried_codes:
                return Fault.QUOTA
            return Fault.TOO_LARGE if _TOO_LARGE.search(message) else Fault.RATE_LIMITED
        if status in self.retryable_statuses:
            return Fault.SERVER
        known = {401: Fault.AUTH, 403: Fault.FORBIDDEN, 404: Fault.NOT_FOUND}.get(status)
        if known is not None:
            return known
        if status != 400:
            return Fault.OTHER
        lowered = message.lower()
        if code in ("content_filter", "ResponsibleAIPolicyViolation"):  # Azure refuses a flagged prompt with a 400
            return Fault.CONTENT_FILTER
        if code == "context_length_exceeded" or any(phrase in lowered for phrase in _CONTEXT_PHRASES):
            return Fault.CONTEXT_LENGTH
        return Fault.BAD_REQUEST

    # -- headers ---------------------------------------------------------------------------------
    def retry_after(self, headers: Mapping[str, str] | None) -> float | None:
        """Seconds the server asked us to wait: `retry-after-ms`, else `Retry-After` (seconds or an HTTP date)."""
        if headers is None:
            return None
        millis = _seconds(headers.get("retry-after-ms"))
        if millis is not None:
            return max(0.0, millis / 1000.0)
        value = headers.get("retry-after")
        if value is None:
            return None
        seconds = _seconds(value)
        if seconds is None:
            seconds = _until_http_date(value)
        return None if seconds is None else max(0.0, seconds)

    def hold_after_success(self, headers: Mapping[str, str]) -> float:
        """Seconds every worker holds after an answer that says no request is left: until the window resets."""
        left = headers.get("x-ratelimit-remaining-requests")
        if left is None or left.strip() != "0":
            return 0.0
        reset = parse_duration(headers.get("x-ratelimit-reset-requests") or "")
        return self.default_reset if reset is None else reset

    # -- batch's parking -------------------------------------------------------------------------
    def parks_file(self, exc: EndpointError) -> bool:
        """Park the file rather than fail it: the endpoint is busy (rate limited), not this file bad."""
        from enrich.errors import RateLimitedError

        return isinstance(exc, RateLimitedError) or (exc.status == 429 and not exc.fatal)

    def park_wait(self, held: float, hinted: float) -> float:
        """Seconds before a round of parked files: the gate's hold, else the longest Retry-After, capped."""
        return min(self.park_wait_cap, max(held, 0.0) or max(hinted, 0.0))


def parse_duration(text: str) -> float | None:
    """OpenAI's reset headers: `1s`, `6m0s`, `1.822s`, `174ms`, `1m26.4s`; a bare number is seconds; else None."""
    text = text.strip()
    bare = _seconds(text)
    if bare is not None:
        return max(0.0, bare)
    if not _DURATION.fullmatch(text):
        return None
    return sum(float(number) * _UNIT_SECONDS[unit] for number, unit in _DURATION_PART.findall(text))


def _answer_cut(exc: BaseException) -> bool:
    """The server was reached but closed the connection mid-answer (the HTTP client's protocol or read error;
    by name: openai's HTTP library is httpx or httpx2 depending on its version)."""
    return type(exc.__cause__).__name__ in ("RemoteProtocolError", "ReadError")


def try_again_in(message: str) -> float | None:
    """The wait a 429 body names: "... Please try again in 1.822s." -> 1.822; None when it names none."""
    match = _TRY_AGAIN.search(message)
    return parse_duration(match.group(1)) if match else None


def error_code(exc: BaseException) -> str:
    """The `code` (else `type`) of an API error's body, '' when there is none."""
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict):
            nested = inner.get("innererror")  # Azure: {"code": null, "innererror": {"code": "ResponsibleAIPolicyViolation"}}
            deeper = nested.get("code") if isinstance(nested, dict) else None
            return str(inner.get("code") or deeper or inner.get("type") or "")
    return str(getattr(exc, "code", "") or "")


def headers_of(exc: BaseException) -> Mapping[str, str] | None:
    """The response headers an API error carries, if any."""
    headers: Mapping[str, str] | None = getattr(getattr(exc, "response", None), "headers", None)
    return headers


def _seconds(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _until_http_date(value: str) -> float | None:
    from email.utils import parsedate_to_datetime  # only for the rare date form

    try:
        return parsedate_to_datetime(value).timestamp() - time.time()
    except (TypeError, ValueError, IndexError):
        return None
