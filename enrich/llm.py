"""The one boundary to a model: request, structured-output fallbacks, retries, usage.

One retry layer only: the openai client is built with `max_retries=0` and this module retries
transport faults (connection errors, timeouts, 408/409/429/5xx) with tenacity, honouring
`retry-after-ms` / `Retry-After`, within a per-file deadline. Errors that retrying cannot fix (400,
401, 403, 404, context length, exhausted quota) are never retried. Whatever odd thing a server
returns becomes one EndpointError with a clear message. A RateGate shared by concurrent workers
makes one 429 slow every worker, not just the one that got it, and caps the requests on the wire
(a slot is taken in the HTTP client's `send`, after openai built the request). Knows nothing about files.
"""

from __future__ import annotations

import contextlib
import gc
import json
import random
import re
import threading
import time
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from enrich.errors import ConfigError, EndpointError, HaltedError, RateLimitedError

if TYPE_CHECKING:
    import openai

    from enrich.settings import Settings

FORMAT_CHAIN = ("json_schema", "json_object", "text")


@dataclass
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0
    calls: int = 0
    seconds: float = 0.0  # time spent waiting on the endpoint, retries and back-off included

    def add(self, other: Usage) -> None:
        self.prompt_tokens += other.prompt_tokens
        self.completion_tokens += other.completion_tokens
        self.calls += other.calls
        self.seconds += other.seconds


@dataclass
class Answer:
    """A parsed JSON answer and what it cost."""

    data: Any
    raw: str
    response_format: str
    usage: Usage = field(default_factory=Usage)


class Deadline:
    """An overall time budget for one file, across all its calls and waits."""

    def __init__(self, seconds: float) -> None:
        self.ends = time.monotonic() + seconds
        self.seconds = seconds

    def remaining(self) -> float:
        return self.ends - time.monotonic()


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

    def halt(self, reason: str) -> None:
        """Stop every worker before its next request (a fatal error elsewhere, a budget reached)."""
        with self._lock:
            self._halted = reason

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
        """Wait until `count` requests are on the wire (True), or `timeout` seconds pass (False)."""
        with self._changed:
            return self._changed.wait_for(lambda: self._in_flight >= count, timeout=timeout)

    def check_halted(self) -> None:
        with self._lock:
            if self._halted is not None:
                raise HaltedError(f"not sent: {self._halted}")

    def hold(self, seconds: float) -> None:
        with self._lock:
            self._resume_at = max(self._resume_at, time.monotonic() + seconds)

    def wait_time(self) -> float:
        with self._lock:
            return max(0.0, self._resume_at - time.monotonic())

    def wait(self, deadline: Deadline) -> None:
        self.check_halted()
        delay = self.wait_time()
        if delay <= 0:
            return
        if delay > deadline.remaining():
            raise RateLimitedError(f"rate limited for {delay:.0f}s more, past this file's deadline", retry_after=delay)
        time.sleep(delay)


_DEADLINE: ContextVar[Deadline | None] = ContextVar("enrich_deadline", default=None)


def _gated_http_client(gate: RateGate, built_one: threading.Event) -> Any:
    """The openai client's HTTP client, holding one of the gate's slots only while a request is on the wire.

    openai builds the request (a few milliseconds of Python) before it calls `send`, and parses the
    answer after; holding the slot around `send` alone keeps every slot busy with the endpoint's time.
    Subclassing the SDK's own default client keeps its timeouts, connection limits and proxy handling.
    `built_one` is set once a request got this far (see LLMClient._wait_for_first_request).
    """
    import openai

    class GatedHttpClient(openai.DefaultHttpxClient):
        def send(self, *args: Any, **kwargs: Any) -> Any:
            built_one.set()
            with gate.slot():
                deadline = _DEADLINE.get()
                if deadline is not None:
                    gate.wait(deadline)  # after taking a slot: a 429 seen meanwhile still holds us
                    if deadline.remaining() <= 0:
                        raise EndpointError(f"deadline of {deadline.seconds:.0f}s per file passed")
                return super().send(*args, **kwargs)

    return GatedHttpClient()


class Capabilities:
    """What an endpoint supports, remembered across runs so fallbacks are paid for once."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._data: dict[str, dict[str, Any]] = {}
        if path is not None and path.is_file():
            try:
                loaded = json.loads(path.read_text(encoding="utf-8"))
                self._data = loaded if isinstance(loaded, dict) else {}
            except (OSError, ValueError):
                self._data = {}

    def get(self, endpoint: str, key: str, default: Any = None) -> Any:
        with self._lock:
            return self._data.get(endpoint, {}).get(key, default)

    def set(self, endpoint: str, key: str, value: Any) -> None:
        with self._lock:
            self._data.setdefault(endpoint, {})[key] = value
            snapshot = json.dumps(self._data, indent=2, sort_keys=True)
        if self.path is not None:
            from enrich.fsutil import atomic_write

            with contextlib.suppress(OSError):  # remembering is an optimisation; never fail a draft over it
                atomic_write(self.path, snapshot + "\n")


def _status(exc: BaseException | None) -> int | None:
    return getattr(exc, "status_code", None)


def _error_code(exc: BaseException) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict):
            return str(inner.get("code") or inner.get("type") or "")
    return str(getattr(exc, "code", "") or "")


def _retry_after(exc: BaseException | None) -> float | None:
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    if headers is None:
        return None
    for name, divisor in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        value = headers.get(name)
        if value is None:
            continue
        try:
            return max(0.0, float(value) / divisor)
        except ValueError:
            from email.utils import parsedate_to_datetime

            try:
                return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
            except (TypeError, ValueError):
                return None
    return None


def is_transient(exc: BaseException) -> bool:
    """Worth retrying: the same request may succeed later."""
    import openai

    if isinstance(exc, openai.APITimeoutError | openai.APIConnectionError):
        return True
    status = _status(exc)
    if status == 429:
        return _error_code(exc) != "insufficient_quota"
    return status in (408, 409) or (status is not None and status >= 500)


def import_openai() -> None:
    """Import the openai client with the garbage collector paused, then freeze what it built.

    The import builds thousands of pydantic type objects that live for the whole run; without this
    the collector walks them again and again during the import and once more at interpreter exit
    (about a quarter of a second of a batch's fixed cost here).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        import openai  # noqa: F401
    finally:
        gc.freeze()
        if was_enabled:
            gc.enable()


class LLMClient:
    """Talks to one OpenAI-compatible endpoint for one model."""

    def __init__(self, settings: Settings, *, gate: RateGate | None = None, capabilities: Capabilities | None = None) -> None:
        import_openai()
        import openai

        self.settings = settings
        self.model: str = settings.model
        self.endpoint = f"{settings.endpoint_host}|{self.model}"
        self.gate = gate or RateGate()
        self._built_one = threading.Event()
        self._first_claimed = threading.Lock()
        cache = settings.user_cache_dir
        self.capabilities = capabilities or Capabilities(cache / "endpoints.json" if cache else None)
        key = settings.api_key or "not-needed"  # local servers ignore it, the client insists on one
        common: dict[str, Any] = {
            "api_key": key,
            "max_retries": 0,
            "timeout": settings.timeout,
            "http_client": _gated_http_client(self.gate, self._built_one),
        }
        if settings.api_version:
            if not settings.base_url:
                raise ConfigError("api_version makes the endpoint Azure OpenAI: set base_url (https://RESOURCE.openai.azure.com)")
            self.client: openai.OpenAI = openai.AzureOpenAI(
                azure_endpoint=settings.base_url, api_version=settings.api_version, **common
            )
        else:
            self.client = openai.OpenAI(base_url=settings.base_url, **common)
        self.client.chat.completions.with_raw_response  # noqa: B018 - loads the chat resources now, not on the first call

    # -- public -------------------------------------------------------------------------------
    def complete_json(self, messages: list[dict[str, str]], schema: dict[str, Any], name: str, deadline: Deadline) -> Answer:
        """Ask for a JSON object following `schema`, stepping down the structured-output chain as needed."""
        configured = self.settings.response_format
        start = configured if configured != "auto" else self.capabilities.get(self.endpoint, "response_format", "json_schema")
        chain = list(FORMAT_CHAIN[FORMAT_CHAIN.index(start) :])
        last_error: EndpointError | None = None
        for fmt in chain:
            try:
                answer = self._complete(messages, schema, name, fmt, deadline)
            except _FormatRejected as exc:
                last_error = EndpointError(f"{self.settings.endpoint_host} rejected response_format {fmt}: {exc}")
                if configured != "auto":
                    raise last_error from None
                continue
            if configured == "auto" and fmt != self.capabilities.get(self.endpoint, "response_format", "json_schema"):
                self.capabilities.set(self.endpoint, "response_format", fmt)
            return answer
        raise last_error or EndpointError("no response format worked")

    # -- one request ---------------------------------------------------------------------------
    def _complete(
        self, messages: list[dict[str, str]], schema: dict[str, Any], name: str, fmt: str, deadline: Deadline
    ) -> Answer:
        messages = _with_schema_text(messages, schema) if fmt != "json_schema" else messages
        params: dict[str, Any] = {"model": self.model, "messages": messages}
        if fmt == "json_schema":
            params["response_format"] = {"type": "json_schema", "json_schema": {"name": name, "strict": True, "schema": schema}}
        elif fmt == "json_object":
            params["response_format"] = {"type": "json_object"}
        max_tokens = int(self.settings.max_output_tokens)
        for _ in range(4):  # parameter adjustments an endpoint may ask for, each at most once
            token_param = self.capabilities.get(self.endpoint, "token_param", "max_tokens")
            request = dict(params)
            request[token_param] = max_tokens
            if self.capabilities.get(self.endpoint, "temperature", True):
                request["temperature"] = self.settings.temperature
            try:
                completion, usage = self._send(request, deadline)
            except _ParamRejected as exc:
                if exc.param in ("max_tokens", "max_completion_tokens"):
                    other = "max_completion_tokens" if exc.param == "max_tokens" else "max_tokens"
                    self.capabilities.set(self.endpoint, "token_param", other)
                elif exc.param == "temperature":
                    self.capabilities.set(self.endpoint, "temperature", False)
                else:
                    raise _FormatRejected(str(exc)) from None
                continue
            choice = completion.choices[0] if completion.choices else None
            if choice is None:
                raise EndpointError(f"{self.settings.endpoint_host} returned no choices")
            message = choice.message
            refusal = getattr(message, "refusal", None)
            if refusal:
                raise EndpointError(f"the model refused: {str(refusal)[:200]}")
            if choice.finish_reason == "content_filter":
                raise EndpointError("the endpoint's content filter blocked the answer")
            if choice.finish_reason == "length":
                if max_tokens < 4 * int(self.settings.max_output_tokens):
                    max_tokens *= 2  # the answer was cut off: once more with room to finish
                    continue
                raise EndpointError(f"the answer was cut off at {max_tokens} tokens (raise max_output_tokens)")
            content = message.content or ""
            if not content.strip():
                raise EndpointError(f"{self.settings.endpoint_host} returned an empty answer")
            return Answer(data=parse_json_answer(content), raw=content, response_format=fmt, usage=usage)
        raise EndpointError(f"{self.settings.endpoint_host} kept rejecting the request's parameters")

    def _send(self, request: dict[str, Any], deadline: Deadline) -> tuple[Any, Usage]:
        """One logical request, retried on transient faults within the deadline."""
        import openai
        from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt

        def wait(state: RetryCallState) -> float:
            exc = state.outcome.exception() if state.outcome else None
            hinted = _retry_after(exc)
            backoff = min(20.0, 0.5 * 2 ** (state.attempt_number - 1)) * (0.75 + random.random() / 4)
            delay = hinted if hinted is not None else backoff
            rate_limited = _status(exc) == 429
            if rate_limited:
                self.gate.hold(delay)  # every worker sharing the gate slows down, not just this one
            if delay > deadline.remaining():
                if rate_limited and hinted is not None:
                    raise RateLimitedError(
                        f"rate limited: Retry-After {delay:.0f}s is past this file's deadline", retry_after=delay
                    )
                raise _describe(exc, self.settings.endpoint_host) if exc else EndpointError("deadline passed")
            return delay

        retrying = Retrying(
            stop=stop_after_attempt(max(1, int(self.settings.max_attempts))),
            wait=wait,
            retry=retry_if_exception(is_transient),
            reraise=True,
        )
        started = time.monotonic()
        try:
            for attempt in retrying:
                with attempt:
                    self.gate.wait(deadline)
                    remaining = deadline.remaining()
                    if remaining <= 0:
                        raise EndpointError(f"deadline of {deadline.seconds:.0f}s per file passed")
                    timeout = min(float(self.settings.timeout), remaining)
                    token = _DEADLINE.set(deadline)  # the gated HTTP client checks it again once it has a slot
                    try:
                        self._wait_for_first_request()
                        raw = self.client.chat.completions.with_raw_response.create(**request, timeout=timeout)
                    except openai.APIConnectionError as exc:
                        if isinstance(exc.__cause__, EndpointError):  # the gate stopped it (openai 2.x wraps it)
                            raise exc.__cause__ from None
                        raise
                    finally:
                        _DEADLINE.reset(token)
                        self._built_one.set()  # even when the first request failed before it was sent
                    self._note_rate_headers(raw.headers)
                    completion = raw.parse()
        except (EndpointError, _ParamRejected):
            raise
        except openai.BadRequestError as exc:
            raise _classify_bad_request(exc, self.settings.endpoint_host) from None
        except openai.APIError as exc:
            raise _describe(exc, self.settings.endpoint_host) from None
        except Exception as exc:  # HTML pages, truncated bodies, odd shapes: one clear message
            raise EndpointError(
                f"unexpected response from {self.settings.endpoint_host} ({type(exc).__name__}: {str(exc)[:120]}); "
                "is the base URL right? It usually ends in /v1"
            ) from None
        if not hasattr(completion, "choices") or not isinstance(getattr(completion, "choices", None), list):
            raise EndpointError(
                f"unexpected response from {self.settings.endpoint_host} (not a chat completion); "
                "is the base URL right? It usually ends in /v1"
            )
        usage = Usage(calls=1, seconds=time.monotonic() - started)
        if getattr(completion, "usage", None) is not None:
            usage.prompt_tokens = int(completion.usage.prompt_tokens or 0)
            usage.completion_tokens = int(completion.usage.completion_tokens or 0)
        return completion, usage

    def _wait_for_first_request(self) -> None:
        """Let one thread build the very first request alone; the others wait until it is on its way.

        openai's first request fills per-type caches (about 15 ms of Python); sixteen workers
        starting together would each fill them at once and hold the first requests back by a third
        of a second. After that first one, requests are built in parallel.
        """
        if self._built_one.is_set() or self._first_claimed.acquire(blocking=False):  # claimed once, never released
            return
        self._built_one.wait(timeout=10.0)

    def _note_rate_headers(self, headers: Any) -> None:
        """When the server says no requests are left, hold every worker until its reset."""
        remaining = headers.get("x-ratelimit-remaining-requests")
        if remaining is not None and remaining.strip() == "0":
            reset = _parse_duration(headers.get("x-ratelimit-reset-requests", "1s"))
            self.gate.hold(reset)


class _FormatRejected(Exception):
    """The endpoint does not support the requested response_format."""


class _ParamRejected(Exception):
    def __init__(self, param: str, message: str) -> None:
        super().__init__(message)
        self.param = param


def _parse_duration(text: str) -> float:
    """OpenAI's reset headers look like '1s', '6m0s', '120ms'."""
    total = 0.0
    for number, unit in re.findall(r"([\d.]+)(ms|s|m|h)", text or ""):
        total += float(number) * {"ms": 0.001, "s": 1, "m": 60, "h": 3600}[unit]
    return total or 1.0


def _classify_bad_request(exc: openai.BadRequestError, host: str) -> Exception:
    message = str(getattr(exc, "message", exc))
    lowered = message.lower()
    code = _error_code(exc)
    if code == "context_length_exceeded" or "context length" in lowered or "maximum context" in lowered:
        return EndpointError(f"the transcript is too long for the model's context ({message[:160]}); set max_input_tokens lower")
    match = re.search(r"unsupported (?:parameter|value): '?(max_tokens|max_completion_tokens|temperature)", lowered)
    if match:
        return _ParamRejected(match.group(1), message)
    if "response_format" in lowered or "json_schema" in lowered or "json schema" in lowered or "schema" in lowered:
        return _FormatRejected(message[:200])
    return EndpointError(f"{host} rejected the request (400): {message[:200]}")


def _describe(exc: BaseException, host: str) -> EndpointError:
    """A one-line, actionable message for an API failure; `fatal` when every file would fail the same way."""
    import openai

    status = _status(exc)
    detail = str(getattr(exc, "message", exc))[:200]
    if isinstance(exc, openai.APITimeoutError):
        return EndpointError(f"{host} did not answer in time (timeout)")
    if isinstance(exc, openai.APIConnectionError):
        return EndpointError(f"cannot reach {host}: is the server running and the base URL right?", fatal=True)
    if status == 401:
        return EndpointError(f"{host} rejected the API key (401); check OPENAI_API_KEY", fatal=True, status=401)
    if status == 403:
        return EndpointError(f"{host} refused access (403): {detail}", fatal=True, status=403)
    if status == 404:
        return EndpointError(
            f"{host} has no such model or path (404): {detail}; check --model and --base-url", fatal=True, status=404
        )
    if status == 429 and _error_code(exc) == "insufficient_quota":
        return EndpointError(
            f"{host}: quota exhausted (insufficient_quota); add credit or use another key", fatal=True, status=429
        )
    if status == 429:
        return EndpointError(f"{host} kept rate-limiting (429) after retries", status=429)
    if status is not None and status >= 500:
        return EndpointError(f"{host} failed with {status} after retries: {detail}", status=status)
    return EndpointError(f"{host} failed ({status}): {detail}", status=status)


def _with_schema_text(messages: list[dict[str, str]], schema: dict[str, Any]) -> list[dict[str, str]]:
    """For endpoints without json_schema support: the schema goes into the instructions instead."""
    out = [dict(m) for m in messages]
    note = "\n\nThe JSON object must follow this JSON Schema:\n" + json.dumps(schema, ensure_ascii=False)
    out[0]["content"] = out[0]["content"] + note
    return out


_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.S)


def parse_json_answer(content: str) -> Any:
    """The JSON object in an answer, tolerating code fences and text around it (plain-text mode)."""
    text = content.strip()
    try:
        return json.loads(text)
    except ValueError:
        pass
    fenced = _FENCE.search(text)
    if fenced:
        try:
            return json.loads(fenced.group(1))
        except ValueError:
            pass
    start, end = text.find("{"), text.rfind("}")
    if start != -1 and end > start:
        try:
            return json.loads(text[start : end + 1])
        except ValueError:
            pass
    return _Unparsed(text)


@dataclass
class _Unparsed:
    """An answer that is not JSON; the repair loop sends it back with the parse error."""

    text: str
