"""Pacing at the provider's limits: one token bucket for requests and one for tokens, shared by every worker.

A request takes one from the requests bucket and its cost (prompt tokens plus the answer tokens it
asks for, as providers count it) from the tokens bucket before it leaves. A bucket that runs dry
does not refuse: the request is booked and waits its turn, so workers leave one after another at
the refill rate instead of all firing together after a 429. Limits come from `--rpm` / `--tpm`
(settings), from limits remembered for the endpoint, and from every answer's `x-ratelimit-*`
headers (learned as they come: `limit` per minute, `remaining` now, `reset` the time to a full
bucket). While nothing is known about an endpoint, the very first request goes alone and the others
wait for its answer, so a first run does not stampede a small burst either.

Reading an answer's `remaining`: the server counted the requests that reached it before this one,
which is neither the ones booked before it here nor the ones answered before it (16 workers build,
send and read in any order). So every booking is kept until no answer still out can have overtaken
it. An answer's count, brought to now, places the server's level in a range: at least the count less
every booking that may not have reached the server before it (not on the wire yet, or on it after
it, or so shortly before it (SKEW) that the server may have counted it later), at most the count
less only the bookings not on the wire yet. Our level is moved into that range and no further: the
answers of a burst, read in any order, neither undercount what went beside them nor hide what
another client of the same key spent. Light: no openai.
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from enrich.errors import RateLimitedError
from enrich.model.policy import Deadline, parse_duration, try_again_in

MINUTE = 60.0
PROBE_WAIT = 10.0
# seconds between a request going on the wire (`Limiter.sent`) and the server counting it: its level is taken
# as that much lower (running that much behind the server costs that much once; a 429 costs a retry)
SKEW = 0.15
KINDS = ("requests", "tokens")
MESSAGE_OVERHEAD = 4  # tokens a provider counts around each message


def request_cost(request: Mapping[str, Any]) -> float:
    """What the provider counts against the tokens limit: the prompt's tokens plus the answer room asked for."""
    from enrich.tokens import estimate_tokens

    prompt = sum(estimate_tokens(m.get("content") or "") + MESSAGE_OVERHEAD for m in request["messages"])
    fmt = request.get("response_format") or {}
    if fmt.get("type") == "json_schema":
        prompt += estimate_tokens(json.dumps(fmt["json_schema"]["schema"], ensure_ascii=False))
    room = request.get("max_tokens") or request.get("max_completion_tokens") or 0
    return float(prompt + int(room))


class Bucket:
    """A token bucket: `capacity` at most, refilled at `rate` per second; its level may go below zero (booked)."""

    def __init__(self, capacity: float, rate: float, level: float | None = None) -> None:
        self.capacity = max(1.0, capacity)
        self.rate = max(rate, 1e-6)
        self.level = self.capacity if level is None else min(level, self.capacity)
        self.stamp = time.monotonic()

    def refill(self, now: float) -> None:
        self.level = min(self.capacity, self.level + (now - self.stamp) * self.rate)
        self.stamp = now

    def book(self, cost: float, now: float) -> float:
        """Take `cost` now; the seconds until the level it leaves is no longer below zero (0: go at once)."""
        self.refill(now)
        self.level -= cost
        return max(0.0, -self.level / self.rate) if self.level < 0 else 0.0

    def give_back(self, cost: float) -> None:
        self.level = min(self.capacity, self.level + cost)


@dataclass(frozen=True)
class Learned:
    """What one answer's headers say of one limit: per minute, left now, seconds to a full bucket."""

    limit: float
    remaining: float
    reset: float

    def bucket_shape(self) -> tuple[float, float]:
        """(capacity, rate per second): a per-minute limit unless the numbers say the window is longer."""
        rate = self.limit / MINUTE
        capacity = self.remaining + rate * self.reset
        if capacity > self.limit * 1.05 + 1:  # a longer window (requests per day): the bucket is the limit
            used = max(self.limit - self.remaining, 1.0)
            return self.limit, used / self.reset if self.reset > 0 else rate
        return min(max(capacity, self.remaining, 1.0), self.limit), rate


def _headroom(capacity: float, rate: float) -> float:
    """The size of our bucket for a server's bucket of `capacity`: SKEW's worth smaller.

    Requests booked while the server's bucket is full reach it a moment later, when it could not fill
    any further: a full burst at once would leave the server that much shorter than we think. At most
    a tenth of the bucket (a small burst still goes at once).
    """
    return max(1.0, capacity - rate * SKEW, capacity * 0.9)


def learned_from(headers: Mapping[str, str], kind: str) -> Learned | None:
    """The `x-ratelimit-*-requests` (or `-tokens`) headers of one answer, None when absent or unreadable."""
    try:
        limit = float(headers[f"x-ratelimit-limit-{kind}"])
        remaining = float(headers[f"x-ratelimit-remaining-{kind}"])
    except (KeyError, ValueError):
        return None
    reset = parse_duration(headers.get(f"x-ratelimit-reset-{kind}") or "0s")
    if limit <= 0:
        return None
    return Learned(limit, max(0.0, remaining), reset or 0.0)


@dataclass
class Ticket:
    """One request's booking: what it took, and the counts when it left (to read its answer's headers)."""

    cost: float
    sent_at: float  # when it left the limiter, then (`Limiter.sent`) when it went on the wire
    seq: int = 0  # booking order
    wired: bool = False  # on the wire (`Limiter.sent`)
    refused: bool = False  # answered 429: the server never counted it
    closed: bool = False  # its answer is read

    def amount(self, kind: str) -> float:
        return 1.0 if kind == "requests" else self.cost


class Limiter:
    """The requests and tokens buckets of one endpoint and model, shared by every worker of a run.

    `on_learn` is called with the per-minute limits whenever they change (to remember them on disk).
    """

    def __init__(
        self,
        rpm: float | None = None,
        tpm: float | None = None,
        *,
        remembered: Mapping[str, float] | None = None,
        on_learn: Callable[[dict[str, float]], None] | None = None,
    ) -> None:
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._corrected = dict.fromkeys(KINDS, 0.0)  # per kind: the sum of the corrections the server's counts made
        self._buckets: dict[str, Bucket] = {}
        self._fixed = {k for k, v in zip(KINDS, (rpm, tpm), strict=True) if v}
        self._limits: dict[str, float] = {}
        self._capacity: dict[str, float] = {}  # per kind: the server's bucket size, as learned
        self._kept: dict[int, Ticket] = {}  # bookings an answer still out may not have counted, by booking order
        self._seq = 0
        self._on_learn = on_learn
        known = remembered or {}
        for kind, per_minute in zip(KINDS, (rpm, tpm), strict=True):
            value = per_minute or known.get(kind)
            if value:
                # set by hand (the server says nothing): a second's worth at once, then evenly at the rate
                burst = known.get(f"{kind}_burst") if not per_minute else max(1.0, per_minute / MINUTE)
                size = float(burst or value)
                self._capacity[kind] = size
                self._buckets[kind] = Bucket(size if per_minute else _headroom(size, value / MINUTE), float(value) / MINUTE)
                self._limits[kind] = float(value)
                if burst:
                    self._limits[f"{kind}_burst"] = float(burst)
        # nothing known at all: the first request probes alone (a remembered `{}` means "no limits")
        self._probing = remembered is None and not self._buckets
        self._probe_claimed = False
        self._probe_done = threading.Event()
        if not self._probing:
            self._probe_done.set()
        self.stats = {"booked": 0, "waited": 0.0}

    @property
    def limits(self) -> dict[str, float]:
        """The per-minute limits known now, by kind, and the size of each bucket (`requests_burst`, `tokens_burst`)."""
        with self._lock:
            return dict(self._limits)

    @property
    def probing(self) -> bool:
        """Nothing is known of the endpoint yet: its first request goes alone, the others wait for its answer."""
        return not self._probe_done.is_set()

    def knows(self, kind: str) -> bool:
        with self._lock:
            return kind in self._buckets

    # -- before a request ----------------------------------------------------------------------
    def acquire(self, cost_of: Callable[[], float], deadline: Deadline) -> Ticket:
        """Book one request of `cost_of()` tokens and wait for its turn; parked (RateLimitedError) past the deadline.

        The cost is counted only when a tokens limit is known (the no-limit path counts nothing).
        """
        self._wait_for_probe(deadline)
        cost = cost_of() if self.knows("tokens") else 0.0
        now = time.monotonic()
        with self._changed:
            places: list[tuple[str, float]] = []  # per kind: the level this booking left, and the corrections then
            wait = 0.0
            for kind, amount in (("requests", 1.0), ("tokens", cost)):
                bucket = self._buckets.get(kind)
                if bucket is not None:
                    wait = max(wait, bucket.book(amount, now))
                    places.append((kind, bucket.level - self._corrected[kind]))
            if wait and not deadline.allows(wait):
                for kind, amount in (("requests", 1.0), ("tokens", cost)):
                    if kind in self._buckets:
                        self._buckets[kind].give_back(amount)
                raise RateLimitedError(f"rate limited for {wait:.0f}s more, past this file's deadline", retry_after=wait)
            self.stats["booked"] += 1
            self._seq += 1
            ticket = Ticket(cost, now, self._seq)
            self._kept[ticket.seq] = ticket
            # wait for the turn; a correction learned meanwhile (the server had more, or less) moves it
            while (left := self._left(places, now)) > 0:
                if not deadline.allows(left):
                    self._cancel(ticket)
                    raise RateLimitedError(f"rate limited for {left:.0f}s more, past this file's deadline", retry_after=left)
                self._changed.wait(timeout=left)
            self.stats["waited"] += time.monotonic() - now
            ticket.sent_at = time.monotonic()
            return ticket

    def sent(self, ticket: Ticket) -> None:
        """The request of `ticket` goes on the wire now (after building it, after waiting for an HTTP slot)."""
        with self._lock:
            ticket.sent_at, ticket.wired = time.monotonic(), True

    def close(self, ticket: Ticket) -> None:
        """Its answer (or its failure) is read. It is kept while an answer still out may have overtaken it."""
        with self._lock:
            ticket.closed = True
            out = [t.sent_at for t in self._kept.values() if not t.closed]
            oldest = min(out) if out else math.inf
            for seq in [seq for seq, t in self._kept.items() if t.closed and t.sent_at < oldest - SKEW]:
                del self._kept[seq]

    def _cancel(self, ticket: Ticket) -> None:
        """A booking given up before it was sent: what it took goes back (lock held)."""
        self._kept.pop(ticket.seq, None)
        for kind in KINDS:
            bucket = self._buckets.get(kind)
            if bucket is not None:
                self._correct(kind, bucket, min(bucket.capacity, bucket.level + ticket.amount(kind)))

    def _uncounted(self, kind: str, ticket: Ticket | None) -> float:
        """What was booked here but may not be in the count of `ticket`'s answer (lock held).

        Not on the wire yet, or on it after (or just before) `ticket`: the server may have counted it
        later. None: an answer of no booking, whose count is taken as of now.
        """
        if ticket is None:
            return 0.0
        since = ticket.sent_at - SKEW
        later = (t for t in self._kept.values() if t is not ticket and not t.refused and (not t.wired or t.sent_at > since))
        return sum(t.amount(kind) for t in later)

    def _unsent(self, kind: str, ticket: Ticket) -> float:
        """What was booked here, besides `ticket`, and is not on the wire yet: no answer counted it (lock held)."""
        return sum(t.amount(kind) for t in self._kept.values() if t is not ticket and not t.wired and not t.refused)

    def _left(self, places: list[tuple[str, float]], booked_at: float) -> float:
        """Seconds until every level this booking left is back at zero, corrections included (lock held)."""
        now = time.monotonic()
        left = 0.0
        for kind, level in places:
            bucket = self._buckets[kind]
            effective = level + self._corrected[kind] + (now - booked_at) * bucket.rate
            left = max(left, -effective / bucket.rate)
        return left

    def _correct(self, kind: str, bucket: Bucket, level: float) -> None:
        """Set a bucket's level from what the server said (lock held): bookings waiting move by as much."""
        self._corrected[kind] += level - bucket.level
        bucket.level = level
        self._changed.notify_all()

    def _wait_for_probe(self, deadline: Deadline) -> None:
        if self._probe_done.is_set():
            return
        with self._lock:
            first = not self._probe_claimed
            self._probe_claimed = True
        if not first:
            self._probe_done.wait(timeout=max(0.0, min(PROBE_WAIT, deadline.remaining())))

    # -- after an answer -----------------------------------------------------------------------
    def observe(self, headers: Mapping[str, str] | None, ticket: Ticket | None, *, end_probe: bool = True) -> None:
        """Learn from one answer's `x-ratelimit-*` headers (a 429's too); `end_probe`: let the other workers go."""
        changed: dict[str, float] | None = None
        now = time.monotonic()
        with self._lock:
            for kind in KINDS:
                learned = learned_from(headers, kind) if headers is not None else None
                if learned is None or kind in self._fixed:
                    continue
                capacity, rate = learned.bucket_shape()
                if self._limits.get(kind) == learned.limit:  # `remaining` is rounded down: the largest reading is nearest
                    capacity = max(capacity, self._capacity.get(kind, 0.0))
                self._capacity[kind] = capacity
                # the server's level when it counted this request, brought up to now: refilled since (it reached
                # the server a moment after it went on the wire), less what may not have reached it yet
                elapsed = now - ticket.sent_at - SKEW if ticket is not None else 0.0
                server_now = learned.remaining + rate * max(0.0, elapsed) - self._uncounted(kind, ticket)
                bucket = self._buckets.get(kind)
                if bucket is None:
                    self._buckets[kind] = Bucket(_headroom(capacity, rate), rate, level=server_now)
                else:
                    bucket.refill(now)
                    bucket.capacity, bucket.rate = _headroom(capacity, rate), rate
                    if ticket is not None:
                        # The answer places the server's level between `server_now` (every booking that may have
                        # reached it after this request taken off) and `highest` (only those not on the wire yet,
                        # refilled since the request left): ours is moved into that range, no further. Taking
                        # the low end as the truth made a burst's last answer undercount by whatever went on
                        # the wire beside it, and with nothing left in flight no answer came to correct it.
                        highest = learned.remaining + rate * max(0.0, now - ticket.sent_at) - self._unsent(kind, ticket)
                        fresh = min(max(bucket.level, server_now), highest)
                    else:  # an answer of no booking (a 429's headers): may only lower ours
                        fresh = min(bucket.level, server_now)
                    self._correct(kind, bucket, min(fresh, bucket.capacity))
                burst = round(capacity)
                if self._limits.get(kind) != learned.limit or self._limits.get(f"{kind}_burst") != burst:
                    self._limits[kind], self._limits[f"{kind}_burst"] = learned.limit, burst
                    changed = dict(self._limits)
        if end_probe:
            self._end_probe(changed)
        elif changed is not None and self._on_learn is not None:
            self._on_learn(changed)

    def rate_limited(
        self, headers: Mapping[str, str] | None, message: str, kind: str | None, wait: float | None, ticket: Ticket | None
    ) -> bool:
        """A 429: no request of that kind leaves for the wait it names. False when no bucket knows the limit.

        The refused request was not counted by the server: what it booked is given back.
        """
        if ticket is not None:
            with self._lock:
                ticket.refused = True
                for name, amount in (("requests", 1.0), ("tokens", ticket.cost)):
                    if name in self._buckets:
                        bucket = self._buckets[name]
                        self._correct(name, bucket, min(bucket.capacity, bucket.level + amount))
        self.observe(headers, None, end_probe=False)  # the caller ends a probe once its hold is set
        wait = wait if wait is not None else try_again_in(message)
        if wait is None:
            return False
        now = time.monotonic()
        with self._lock:
            kinds = [kind] if kind in KINDS else [k for k in KINDS if k in self._buckets]  # the body's `type` says which
            buckets = [self._buckets[k] for k in kinds if k in self._buckets]
            for name in kinds:
                if name in self._buckets:
                    bucket = self._buckets[name]
                    bucket.refill(now)
                    # the server was `wait` seconds short of this request's cost when it came, refilled since;
                    # less what may not have reached it yet
                    own, elapsed = (ticket.amount(name), now - ticket.sent_at - SKEW) if ticket is not None else (0.0, 0.0)
                    level = own - (wait - max(0.0, elapsed)) * bucket.rate - self._uncounted(name, ticket)
                    self._correct(name, bucket, min(bucket.level, level))
            return bool(buckets)

    def failed(self) -> None:
        """The probing request got no answer to learn from: let the others go."""
        self._end_probe(None)

    def _end_probe(self, changed: dict[str, float] | None) -> None:
        if not self._probe_done.is_set():
            with self._lock:
                limits = dict(self._limits)
            self._probe_done.set()
            if self._on_learn is not None:
                self._on_learn(limits)  # `{}`: this endpoint sends no limits; remembered, no probe next time
        elif changed is not None and self._on_learn is not None:
            self._on_learn(changed)
