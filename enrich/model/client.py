"""The one boundary to a model: building the request, structured-output fallbacks, adapting parameters, usage.

`complete_json` asks for a JSON object with strict `json_schema`, stepping down to `json_object` and
then plain text on endpoints that reject it, and adapts `max_tokens` / `temperature` to what the
endpoint takes (remembered in `Capabilities`). Every retry is decided by the RetryPolicy (the openai
client runs with `max_retries=0`); every request passes the shared RateGate, whose in-flight slot is
taken in the HTTP client's `send`, after openai built the request. Whatever odd thing a server
returns becomes one EndpointError (`describe`). openai is imported only when a client is built, so
a run that needs no call never loads it. Knows nothing about files.
"""

from __future__ import annotations

import gc
import sys
import threading
import time
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from enrich.errors import ConfigError, EndpointError
from enrich.model import schema_keywords
from enrich.model.answer_text import parse_json_answer, with_schema_text
from enrich.model.capabilities import FORMAT_CHAIN, Capabilities
from enrich.model.describe import FormatRejected, ParamRejected, describe, not_a_completion, parked
from enrich.model.gate import RateGate
from enrich.model.limiter import Limiter, Ticket, request_cost
from enrich.model.policy import Action, Deadline, Fault, RetryPolicy, headers_of

if TYPE_CHECKING:
    import openai
    import tenacity

    from enrich.settings import Settings

FIRST_REQUEST_WAIT = 10.0  # seconds the other workers wait for the very first request to be built
LENGTH_GROWTH = 2  # a cut-off answer is asked once more with this many times the room
PARAM_ADJUSTMENTS = 4  # parameter changes an endpoint may ask for within one request


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


# The deadline of the request being sent on this thread, for the gated HTTP client to check again.
_DEADLINE: ContextVar[Deadline | None] = ContextVar("enrich_deadline", default=None)


def _gated_http_client(gate: RateGate, built_one: threading.Event, on_wire: Callable[[], None]) -> Any:
    """The openai client's HTTP client, holding one of the gate's slots only while a request is on the wire.

    openai builds the request (a few milliseconds of Python) before it calls `send`, and parses the
    answer after; holding the slot around `send` alone keeps every slot busy with the endpoint's time.
    Subclassing the SDK's own default client keeps its timeouts, connection limits and proxy handling.
    `built_one` is set once a request got this far (see LLMClient._wait_for_first_request); `on_wire`
    is called as a chat request goes on the wire (its limiter booking counts refill from then).
    """
    import openai

    class GatedHttpClient(openai.DefaultHttpxClient):
        def send(self, *args: Any, **kwargs: Any) -> Any:
            built_one.set()
            with gate.slot():
                deadline = _DEADLINE.get()
                if deadline is None or kwargs.get("stream"):
                    return super().send(*args, **kwargs)
                gate.admit(deadline)  # after taking a slot: a 429 seen meanwhile still holds us
                on_wire()
                response = super().send(*args, **{**kwargs, "stream": True})
                _read_within(response, deadline)
                return response

    return GatedHttpClient()


def _read_within(response: Any, deadline: Deadline) -> None:
    """Read the whole body, but never past the file's deadline: the HTTP client's timeout is per read,
    so a server that trickles one byte at a time would otherwise never time out."""
    http = sys.modules[type(response).__module__.split(".")[0]]  # httpx or httpx2, whichever openai uses
    chunks: list[bytes] = []
    try:
        for chunk in response.iter_bytes():
            chunks.append(chunk)
            if deadline.remaining() <= 0:
                raise http.ReadTimeout("the answer was still arriving at the file's deadline", request=response.request)
    except BaseException:
        response.close()
        raise
    response._content = b"".join(chunks)  # what response.read() stores


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

    def __init__(
        self,
        settings: Settings,
        *,
        gate: RateGate | None = None,
        capabilities: Capabilities | None = None,
        limiter: Limiter | None = None,
    ) -> None:
        import_openai()
        import openai

        self.settings = settings
        self.model: str = settings.model
        self.host: str = settings.endpoint_host
        self.endpoint = f"{self.host}|{self.model}"
        self.policy = RetryPolicy.from_settings(settings)
        self.gate = gate or RateGate()
        self._built_one = threading.Event()
        self._first_claimed = threading.Lock()
        self._tickets = threading.local()  # each worker's last booking with the limiter
        cache = settings.user_cache_dir
        self.capabilities = capabilities or (Capabilities.in_folder(cache) if cache else Capabilities(None))
        # one limiter per client, and batch shares one client: every worker draws from the same buckets
        self.limiter = limiter or Limiter(
            settings.rpm,
            settings.tpm,
            remembered=self.capabilities.limits(self.endpoint),
            on_learn=lambda limits: self.capabilities.remember_limits(self.endpoint, limits),
        )
        self.gate.alone = lambda: self.limiter.probing  # batch starts its extra workers once the probe is sent
        key = settings.api_key or "not-needed"  # local servers ignore it, the client insists on one
        common: dict[str, Any] = {
            "api_key": key,
            "max_retries": 0,  # one retry layer: the policy's
            "timeout": self.policy.timeout,
            "http_client": _gated_http_client(self.gate, self._built_one, self._on_wire),
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
    def complete_json(
        self,
        messages: list[dict[str, str]],
        schema: dict[str, Any],
        name: str,
        deadline: Deadline,
        *,
        max_tokens: int | None = None,
    ) -> Answer:
        """Ask for a JSON object following `schema`, stepping down the structured-output chain as needed.

        `max_tokens`: the answer's room (providers count it against the tokens limit), at most
        `max_output_tokens`; a cut-off answer is asked once more with twice the room.
        """
        configured = self.settings.response_format
        start = configured if configured != "auto" else self.capabilities.response_format(self.endpoint)
        last_error: EndpointError | None = None
        for fmt in FORMAT_CHAIN[FORMAT_CHAIN.index(start) :]:
            try:
                if fmt == "json_schema":
                    answer = self._complete_strict(messages, schema, name, deadline, max_tokens)
                else:
                    answer = self._complete(messages, schema, name, fmt, deadline, max_tokens)
            except FormatRejected as exc:
                last_error = EndpointError(f"{self.host} rejected response_format {fmt}: {exc}")
                if configured != "auto":
                    raise last_error from None
                continue
            if configured == "auto":
                self.capabilities.remember_response_format(self.endpoint, fmt)
            return answer
        raise last_error or EndpointError("no response format worked")

    def _complete_strict(
        self, messages: list[dict[str, str]], schema: dict[str, Any], name: str, deadline: Deadline, room: int | None
    ) -> Answer:
        """`json_schema`, dropping only the keywords the endpoint rejects (remembered), never the whole schema first."""
        dropped = set(self.capabilities.schema_drops(self.endpoint))
        while True:
            sent = schema_keywords.without(schema, dropped)
            try:
                return self._complete(messages, sent, name, "json_schema", deadline, room)
            except FormatRejected as exc:
                more = schema_keywords.to_drop(str(exc), sent)
                if not more:
                    raise
                dropped |= more
                self.capabilities.drop_schema_keywords(self.endpoint, more)

    # -- one request ---------------------------------------------------------------------------
    def _complete(
        self, messages: list[dict[str, str]], schema: dict[str, Any], name: str, fmt: str, deadline: Deadline, room: int | None
    ) -> Answer:
        messages = with_schema_text(messages, schema) if fmt != "json_schema" else messages
        params: dict[str, Any] = {"model": self.model, "messages": messages}
        if fmt == "json_schema":
            params["response_format"] = {"type": "json_schema", "json_schema": {"name": name, "strict": True, "schema": schema}}
        elif fmt == "json_object":
            params["response_format"] = {"type": "json_object"}
        ceiling = int(self.settings.max_output_tokens)
        room = min(room, ceiling) if room else ceiling
        max_tokens = room
        for _ in range(PARAM_ADJUSTMENTS):  # parameter adjustments an endpoint may ask for, each at most once
            request = dict(params)
            request[self.capabilities.token_param(self.endpoint)] = max_tokens
            if self.capabilities.takes_temperature(self.endpoint):
                request["temperature"] = self.settings.temperature
            try:
                completion, usage = self._send(request, deadline)
            except ParamRejected as exc:
                if exc.param == "temperature":
                    self.capabilities.drop_temperature(self.endpoint)
                else:
                    self.capabilities.switch_token_param(self.endpoint, exc.param)
                continue
            choice = completion.choices[0] if completion.choices else None
            if choice is None:
                raise EndpointError(f"{self.host} returned no choices")
            message = choice.message
            if message is None or not hasattr(message, "content"):  # null, or not an object
                raise not_a_completion(self.host)
            refusal = getattr(message, "refusal", None)
            if refusal:
                raise EndpointError(f"the model refused: {str(refusal)[:200]}")
            if choice.finish_reason == "content_filter":
                raise EndpointError("the endpoint's content filter blocked the answer")
            if choice.finish_reason == "length":
                if max_tokens < max(LENGTH_GROWTH * room, ceiling):  # cut off: once more with room to finish,
                    max_tokens = max(LENGTH_GROWTH * room, ceiling)  # all of max_output_tokens if that is more
                    continue
                raise EndpointError(f"the answer was cut off at {max_tokens} tokens (raise max_output_tokens)")
            content = message.content or ""
            if not isinstance(content, str):
                raise EndpointError(f"{self.host} returned an answer whose content is not text ({type(content).__name__})")
            if not content.strip():
                raise EndpointError(f"{self.host} returned an empty answer")
            return Answer(data=parse_json_answer(content), raw=content, response_format=fmt, usage=usage)
        raise EndpointError(f"{self.host} kept rejecting the request's parameters")

    def _send(self, request: dict[str, Any], deadline: Deadline) -> tuple[Any, Usage]:
        """One logical request: tenacity runs the attempts, the policy decides after each failure.

        tenacity is the one retry layer (the openai client's own retries are off). Its `retry` hook
        asks `RetryPolicy.decide` once per failed attempt: a RETRY sleeps the policy's wait, a PARK or
        GIVE_UP ends the loop with one clear EndpointError. A 429's hold is shared through the gate.
        """
        import tenacity  # with the first request, like openai: about 80 ms of imports

        started = time.monotonic()
        waits: list[float] = []

        def retry(state: tenacity.RetryCallState) -> bool:
            exc = state.outcome.exception() if state.outcome is not None else None
            if exc is None or isinstance(exc, (EndpointError, ParamRejected)):
                return False  # an answer, or the gate or deadline stopped it: already one clear error
            decision = self.policy.decide(exc, state.attempt_number, deadline)  # HTML, truncated bodies too
            if decision.hold and not (decision.fault is Fault.RATE_LIMITED and self._limited(exc, decision.hold)):
                self.gate.hold(decision.hold)  # every worker sharing the gate slows down, not just this one
            if getattr(exc, "status_code", None) == 429:
                self.limiter.observe(headers_of(exc), None)  # a probe ends only once the others must wait
            if decision.action is Action.PARK:
                raise parked(decision.wait) from None
            if decision.action is Action.GIVE_UP:
                raise describe(exc, decision.fault, self.host) from None
            waits.append(decision.wait)
            return True

        retrying = tenacity.Retrying(
            retry=retry, wait=lambda _state: waits[-1], stop=tenacity.stop_never, sleep=time.sleep, reraise=True
        )
        completion = retrying(self._attempt, request, deadline)
        if not isinstance(getattr(completion, "choices", None), list):
            raise not_a_completion(self.host)
        usage = Usage(calls=1, seconds=time.monotonic() - started)
        if getattr(completion, "usage", None) is not None:
            usage.prompt_tokens = int(completion.usage.prompt_tokens or 0)
            usage.completion_tokens = int(completion.usage.completion_tokens or 0)
        return completion, usage

    def _limited(self, exc: BaseException, wait: float) -> bool:
        """A 429: the limiter's buckets wait it out (True), or no limit is known and the gate holds everyone."""
        body = getattr(exc, "body", None)
        inner = body.get("error", body) if isinstance(body, dict) else None
        kind = str(inner.get("type") or "") if isinstance(inner, dict) else ""
        ticket = getattr(self._tickets, "ticket", None)
        return self.limiter.rate_limited(headers_of(exc), str(getattr(exc, "message", exc)), kind, wait, ticket)

    def _attempt(self, request: dict[str, Any], deadline: Deadline) -> Any:
        """One HTTP request through the gate and the limiter, its answer parsed; raises what openai raised."""
        import openai

        self.gate.admit(deadline)
        ticket: Ticket = self.limiter.acquire(lambda: request_cost(request), deadline)
        self._tickets.ticket = ticket  # for the retry hook, should this attempt be answered 429; and for `send`
        token = _DEADLINE.set(deadline)  # the gated HTTP client checks it again once it has a slot
        try:
            try:
                self._wait_for_first_request()
                timeout = self.policy.request_timeout(deadline)
                raw = self.client.chat.completions.with_raw_response.create(**request, timeout=timeout)
            except openai.APIConnectionError as exc:
                self.limiter.failed()
                if isinstance(exc.__cause__, EndpointError):  # the gate stopped it (openai 2.x wraps it)
                    raise exc.__cause__ from None
                raise
            except BaseException as exc:
                if getattr(exc, "status_code", None) != 429:  # a 429 is read by the retry hook, after its hold is set
                    self.limiter.observe(headers_of(exc), ticket)  # error answers carry the limits too
                raise
            finally:
                _DEADLINE.reset(token)
                self._built_one.set()  # even when the first request failed before it was sent
            self.limiter.observe(raw.headers, ticket)
        finally:
            self.limiter.close(ticket)  # the server's counts from now on include it (or never will)
        if not self.limiter.knows("requests"):
            hold = self.policy.hold_after_success(raw.headers)
            if hold:
                self.gate.hold(hold)  # no bucket to pace by: every worker waits for the reset
        return raw.parse()

    def _on_wire(self) -> None:
        ticket: Ticket | None = getattr(self._tickets, "ticket", None)
        if ticket is not None:
            self.limiter.sent(ticket)

    def _wait_for_first_request(self) -> None:
        """Let one thread build the very first request alone; the others wait until it is on its way.

        openai's first request fills per-type caches (about 15 ms of Python); sixteen workers
        starting together would each fill them at once and hold the first requests back by a third
        of a second. After that first one, requests are built in parallel.
        """
        if self._built_one.is_set() or self._first_claimed.acquire(blocking=False):  # claimed once, never released
            return
        self._built_one.wait(timeout=FIRST_REQUEST_WAIT)
