"""The live path, split in two: capture the request it would send, later replay the answer a batch gave.

Both are `LLMClient`s that change only `_send`, the step after the live client built its request. So
the ModelBackend builds messages, schema, response format and token parameters exactly as it does
live (no second copy of the prompts), and validates, repairs and grounds an answer exactly as live:

* `CaptureClient` records the first request a draft would send and stops there (`Captured`). A
  transcript whose first request asks for notes needs chunks: it is drafted live, not in a batch.
* `ReplayClient` answers the first request of a draft with the batch's answer for that file (set per
  thread); any further request (a repair, more room after `finish_reason: length`) goes live.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from enrich.errors import ConfigError, EndpointError
from enrich.model.client import LLMClient, Usage
from enrich.settings import NO_ENDPOINT_HELP

if TYPE_CHECKING:
    from enrich.draft.drafter import Drafter
    from enrich.draft.prepare import Prepared
    from enrich.model.policy import Deadline
    from enrich.settings import Settings

DRAFT_REQUEST = "front_matter"  # the schema name of a one-call draft (chunk notes are "notes")


class Captured(Exception):
    """The request a draft would send first, and the schema name it asked for."""

    def __init__(self, request: dict[str, Any], name: str) -> None:
        super().__init__(name)
        self.request = request
        self.name = name


class CaptureClient(LLMClient):
    """Builds requests as the live client does and sends none."""

    _local = threading.local()

    def complete_json(
        self,
        messages: list[dict[str, str]],
        schema: dict[str, Any],
        name: str,
        deadline: Deadline,
        *,
        max_tokens: int | None = None,
    ) -> Any:
        self._local.name = name
        return super().complete_json(messages, schema, name, deadline, max_tokens=max_tokens)

    def _send(self, request: dict[str, Any], deadline: Deadline) -> tuple[Any, Usage]:
        raise Captured(request, getattr(self._local, "name", DRAFT_REQUEST))


def capture(drafter: Drafter, prepared: Prepared) -> Captured:
    """The first request drafting `prepared` would send (its backend must use a CaptureClient)."""
    try:
        drafter.backend.draft(prepared)
    except Captured as got:
        return got
    raise AssertionError("the capture client sent nothing")


class ReplayClient(LLMClient):
    """Answers each thread's next request from a batch answer, then talks to the endpoint (when there is one)."""

    def __init__(self, settings: Settings, **kwargs: Any) -> None:
        super().__init__(settings, **kwargs)
        self._local = threading.local()

    def expect(self, body: dict[str, Any] | None) -> None:
        """The batch's answer for the draft this thread starts next (None: draft it live)."""
        self._local.answer = body
        self._local.batch = Usage()

    @property
    def batch_usage(self) -> Usage:
        """What this thread's last draft took from the batch (priced at the batch price)."""
        usage: Usage = getattr(self._local, "batch", None) or Usage()
        return usage

    def _send(self, request: dict[str, Any], deadline: Deadline) -> tuple[Any, Usage]:
        body = getattr(self._local, "answer", None)
        if body is None:
            if not self.settings.has_endpoint:
                raise ConfigError(f"this draft needs a live call (a repair or a long transcript): {NO_ENDPOINT_HELP}")
            return super()._send(request, deadline)
        self._local.answer = None
        from openai.types.chat import ChatCompletion
        from pydantic import ValidationError

        try:
            completion = ChatCompletion.model_validate(body)
        except ValidationError:
            raise EndpointError("the batch answer is not a chat completion") from None
        usage = Usage(calls=1)
        if completion.usage is not None:
            usage.prompt_tokens = int(completion.usage.prompt_tokens or 0)
            usage.completion_tokens = int(completion.usage.completion_tokens or 0)
        self._local.batch.add(usage)
        return completion, usage
