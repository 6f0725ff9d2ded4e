"""One clear, one-line EndpointError for whatever a server or the openai client threw.

The policy says what kind of failure it was (`Fault`: retryable, fatal); this module says it in
words a person can act on. Two 400s are not errors but signals to the client: a parameter the
endpoint does not take (`ParamRejected`) and a structured-output format it does not take
(`FormatRejected`); the client adapts the request and tries again.
"""

from __future__ import annotations

import re

from enrich.errors import EndpointError, RateLimitedError
from enrich.model.policy import Fault

_UNSUPPORTED_PARAM = re.compile(r"unsupported (?:parameter|value): '?(max_tokens|max_completion_tokens|temperature)")
_FORMAT_WORDS = ("response_format", "json_schema", "json schema", "schema")
_LIMIT_REQUESTED = re.compile(r"limit:?\s*(\d+)\D{1,20}requested:?\s*(\d+)", re.I)
# "maximum context length is 8192 tokens" (OpenAI, vLLM), "context size (4096 tokens)" (llama.cpp),
# "maximum number of tokens allowed (1048576)" (Gemini)
_WINDOW = re.compile(r"(?:maximum context length is|context size \(|maximum number of tokens allowed \()\s*(\d+)", re.I)
_BASE_URL_HINT = "is the base URL right? It usually ends in /v1"


class ContextTooLong(EndpointError):
    """A 400 saying the prompt does not fit the model's context; `window`: the size the server gave, if any."""

    def __init__(self, message: str, *, window: int | None = None) -> None:
        super().__init__(message, status=400)
        self.window = window


class FormatRejected(Exception):
    """The endpoint does not take the requested response_format."""


class ParamRejected(Exception):
    """The endpoint does not take one request parameter (`param`)."""

    def __init__(self, param: str, message: str) -> None:
        super().__init__(message)
        self.param = param


def describe(exc: BaseException, fault: Fault, host: str) -> EndpointError | ParamRejected | FormatRejected:
    """A one-line, actionable error for a failure of kind `fault`; `fatal` when every file would fail alike."""
    status: int | None = getattr(exc, "status_code", None)
    message = str(getattr(exc, "message", exc))
    detail = message[:200]
    fatal = fault.fatal
    if fault is Fault.TIMEOUT:
        return EndpointError(f"{host} did not answer in time (timeout)")
    if fault is Fault.UNREACHABLE:
        return EndpointError(f"cannot reach {host}: is the server running and the base URL right?", fatal=fatal)
    if fault is Fault.AUTH:
        return EndpointError(f"{host} rejected the API key (401); check OPENAI_API_KEY", fatal=fatal, status=status)
    if fault is Fault.FORBIDDEN:
        return EndpointError(f"{host} refused access (403): {detail}", fatal=fatal, status=status)
    if fault is Fault.NOT_FOUND:
        text = f"{host} has no such model or path (404): {detail}; check --model and --base-url"
        return EndpointError(text, fatal=fatal, status=status)
    if fault is Fault.QUOTA:
        text = f"{host}: quota exhausted (insufficient_quota); add credit or use another key"
        return EndpointError(text, fatal=fatal, status=status)
    if fault is Fault.TOO_LARGE:
        numbers = _LIMIT_REQUESTED.search(message)
        said = f" (limit {numbers.group(1)}, requested {numbers.group(2)})" if numbers else ""
        text = (
            f"{host}: this request is larger than the whole tokens-per-minute limit{said}; it can never be sent "
            "as it is: set max_input_tokens lower so the transcript is drafted in parts"
        )
        return EndpointError(text)  # no status: a 429, but not a rate limit that waiting would lift
    if fault is Fault.RATE_LIMITED:
        return EndpointError(f"{host} kept rate-limiting (429) after retries", status=status)
    if fault is Fault.SERVER and status is not None and status >= 500:
        return EndpointError(f"{host} failed with {status} after retries: {detail}", status=status)
    if fault is Fault.SERVER and status is None:
        return EndpointError(f"{host} closed the connection before the answer was complete (after retries): {detail}")
    if fault is Fault.CONTEXT_LENGTH:
        text = f"the transcript is too long for the model's context ({message[:160]}); set max_input_tokens lower"
        return ContextTooLong(text, window=_window(exc, message))
    if fault is Fault.CONTENT_FILTER:
        return EndpointError(f"{host}'s content filter blocked the request: {detail}", status=status)
    if fault is Fault.BAD_REQUEST:
        return _bad_request(message, host)
    if fault is Fault.UNEXPECTED:
        return EndpointError(f"unexpected response from {host} ({type(exc).__name__}: {str(exc)[:120]}); {_BASE_URL_HINT}")
    return EndpointError(f"{host} failed ({status}): {detail}", status=status)


def _window(exc: BaseException, message: str) -> int | None:
    """The context size a context-length 400 states: llama.cpp's `n_ctx`, else the number in the message."""
    body = getattr(exc, "body", None)
    inner = body.get("error", body) if isinstance(body, dict) else None
    n_ctx = inner.get("n_ctx") if isinstance(inner, dict) else None
    if isinstance(n_ctx, int) and n_ctx > 0:
        return n_ctx
    match = _WINDOW.search(message)
    return int(match.group(1)) if match else None


def not_a_completion(host: str) -> EndpointError:
    """A 200 that is not a chat completion (a web page, another API): usually a base URL without /v1."""
    return EndpointError(f"unexpected response from {host} (not a chat completion); {_BASE_URL_HINT}")


def parked(wait: float) -> RateLimitedError:
    """The endpoint asked for a wait past the file's deadline: batch parks the file and tries it later."""
    import datetime as dt

    at = dt.datetime.now() + dt.timedelta(seconds=min(wait, 3.0e8))
    until = at.strftime("%H:%M" if at.date() == dt.date.today() else "%Y-%m-%d %H:%M")
    text = f"rate limited until {until} (Retry-After {wait:.0f}s is past this file's deadline)"
    return RateLimitedError(text, retry_after=wait)


def _bad_request(message: str, host: str) -> EndpointError | ParamRejected | FormatRejected:
    lowered = message.lower()
    match = _UNSUPPORTED_PARAM.search(lowered)
    if match:
        return ParamRejected(match.group(1), message)
    if any(word in lowered for word in _FORMAT_WORDS):
        return FormatRejected(message[:500])  # long enough to name the keyword a strict mode rejects
    return EndpointError(f"{host} rejected the request (400): {message[:200]}")
