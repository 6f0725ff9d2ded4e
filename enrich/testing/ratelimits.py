"""The fake server's rate limits: a requests bucket and a tokens bucket, as OpenAI enforces and announces them.

`FakeLLM(limits=RateLimits(rpm=300, burst=10))`. Every chat completion is counted when it arrives;
one that finds a bucket short is answered 429 with a body that says which limit and "Please try
again in 1.822s", and (unless `hint` says otherwise) `retry-after-ms`. Every answer, 429s included,
carries `x-ratelimit-limit-*` (per minute), `-remaining-*` (now) and `-reset-*` (time to a full
bucket, in OpenAI's duration format: `6m0s`, `1.822s`, `174ms`). A request counts its prompt tokens
plus the answer room it asks for; one larger than the whole tokens bucket is refused for good
("Request too large ... Limit N, Requested M").
"""

from __future__ import annotations

import json
import math
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from enrich.testing.fakeserver import Reply

Hint = Literal["ms", "seconds", "body"]  # retry-after-ms, Retry-After in whole seconds, or only the body's words


def openai_duration(seconds: float) -> str:
    """OpenAI's reset format: `174ms`, `1.822s`, `6m0s`, `1m26.4s`."""
    if seconds < 1:
        return f"{max(0, round(seconds * 1000))}ms"
    if seconds < 60:
        return f"{seconds:.3f}".rstrip("0").rstrip(".") + "s"
    minutes, rest = divmod(seconds, 60)
    return f"{int(minutes)}m" + (f"{rest:.1f}".rstrip("0").rstrip(".") or "0") + "s"


def request_tokens(request: dict[str, Any]) -> int:
    """What the provider counts: the prompt's tokens (schema included) plus the answer tokens asked for."""
    from enrich.tokens import estimate_tokens

    messages = request.get("messages") or []
    prompt = sum(estimate_tokens(str(m.get("content") or "")) + 4 for m in messages)
    fmt = request.get("response_format") or {}
    if fmt.get("type") == "json_schema":
        prompt += estimate_tokens(json.dumps(fmt["json_schema"]["schema"], ensure_ascii=False))
    return prompt + int(request.get("max_tokens") or request.get("max_completion_tokens") or 0)


class _Bucket:
    def __init__(self, per_minute: float, burst: float | None) -> None:
        self.limit = per_minute
        self.capacity = burst or per_minute
        self.rate = per_minute / 60.0
        self.level = self.capacity
        self.stamp = time.monotonic()

    def refill(self) -> None:
        now = time.monotonic()
        self.level = min(self.capacity, self.level + (now - self.stamp) * self.rate)
        self.stamp = now

    def wait_for(self, cost: float) -> float:
        return 0.0 if self.level >= cost else (cost - self.level) / self.rate

    def headers(self, kind: str) -> dict[str, str]:
        return {
            f"x-ratelimit-limit-{kind}": str(int(self.limit)),
            f"x-ratelimit-remaining-{kind}": str(max(0, math.floor(self.level))),
            f"x-ratelimit-reset-{kind}": openai_duration((self.capacity - self.level) / self.rate),
        }


@dataclass
class RateLimits:
    """Requests and tokens per minute (each bucket holds `burst`, default a minute's worth)."""

    rpm: float | None = None
    burst: float | None = None
    tpm: float | None = None
    token_burst: float | None = None
    hint: Hint = "ms"
    headers: bool = True  # False: a server that enforces limits but announces none
    answered: int = 0
    counted_tokens: int = 0  # tokens of the requests answered (what the tokens bucket let through)
    refused: dict[str, int] = field(default_factory=lambda: {"requests": 0, "tokens": 0, "too_large": 0})
    events: list[tuple[float, str]] = field(default_factory=list)  # (perf_counter, "ok" or the limit that refused)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._buckets = {
            kind: _Bucket(per_minute, burst)
            for kind, per_minute, burst in (("requests", self.rpm, self.burst), ("tokens", self.tpm, self.token_burst))
            if per_minute
        }

    @property
    def refusals(self) -> int:
        """429s answered for a rate limit (not for a request too large)."""
        return self.refused["requests"] + self.refused["tokens"]

    def charge(self, request: dict[str, Any]) -> tuple[Reply | None, dict[str, str]]:
        """Count one chat completion: (a 429 to answer instead, or None) and the headers every answer carries."""
        from enrich.testing.fakeserver import error

        cost = {"requests": 1.0, "tokens": float(request_tokens(request))}
        with self._lock:
            for bucket in self._buckets.values():
                bucket.refill()
            tokens = self._buckets.get("tokens")
            if tokens is not None and cost["tokens"] > tokens.capacity:
                self.refused["too_large"] += 1
                message = (
                    f"Request too large for fake-model on tokens per min (TPM): Limit {int(tokens.capacity)}, "
                    f"Requested {int(cost['tokens'])}. The input or output tokens must be reduced in order to run successfully."
                )
                return error(429, message, code="rate_limit_exceeded", type_="tokens", headers=self._headers()), {}
            short = [(kind, b.wait_for(cost[kind])) for kind, b in self._buckets.items() if b.wait_for(cost[kind]) > 0]
            if short:
                kind, wait = max(short, key=lambda pair: pair[1])
                self.refused[kind] += 1
                self.events.append((time.perf_counter(), kind))
                return self._refusal(kind, wait, error), {}
            for kind, bucket in self._buckets.items():
                bucket.level -= cost[kind]
            self.answered += 1
            self.counted_tokens += int(cost["tokens"])
            self.events.append((time.perf_counter(), "ok"))
            return None, self._headers()

    def _refusal(self, kind: str, wait: float, error: Any) -> Reply:
        per = "requests per min (RPM)" if kind == "requests" else "tokens per min (TPM)"
        bucket = self._buckets[kind]
        message = (
            f"Rate limit reached for fake-model on {per}: Limit {int(bucket.limit)}, Used {int(bucket.capacity - bucket.level)}. "
            f"Please try again in {openai_duration(wait)}. Visit https://platform.openai.com/account/rate-limits to learn more."
        )
        headers = self._headers()
        if self.hint == "ms":
            headers["retry-after-ms"] = str(max(1, math.ceil(wait * 1000)))
        elif self.hint == "seconds":
            headers["retry-after"] = str(max(1, math.ceil(wait)))
        reply: Reply = error(429, message, code="rate_limit_exceeded", type_=kind, headers=headers)
        return reply

    def _headers(self) -> dict[str, str]:
        if not self.headers:
            return {}
        out: dict[str, str] = {}
        for kind, bucket in self._buckets.items():
            out.update(bucket.headers(kind))
        return out
