"""The retry and rate policy as a value: backoff, what is retried, headers, parking (no server, no sleeping)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from email.utils import formatdate
from typing import Any

import openai
import pytest

from enrich.errors import EndpointError, RateLimitedError
from enrich.model.policy import Action, Deadline, Fault, RetryPolicy, parse_duration
from enrich.settings import load_settings

POLICY = RetryPolicy()


@dataclass
class _Response:
    headers: dict[str, str] = field(default_factory=dict)


class StatusError(Exception):
    """Shaped like openai's APIStatusError where the policy looks: status_code, body, message, response headers."""

    def __init__(self, status: int, message: str = "error", *, code: str | None = None, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status_code = status
        self.message = message
        self.body: dict[str, Any] = {"message": message, "code": code, "type": "error"}
        self.response = _Response(headers or {})


def bare(kind: type[BaseException]) -> BaseException:
    """An openai transport error without the request object its constructor wants (only its type matters)."""
    return kind.__new__(kind)


# -- settings feed it in one place -----------------------------------------------------------------


def test_settings_feed_attempts_timeout_and_deadline() -> None:
    policy = RetryPolicy.from_settings(load_settings({"max_attempts": 7, "timeout": 3, "deadline": 9}))
    assert (policy.attempts, policy.timeout, policy.deadline) == (7, 3.0, 9.0)
    assert policy.backoff_base == POLICY.backoff_base and policy.park_rounds == POLICY.park_rounds  # the rest: defaults
    assert RetryPolicy.from_settings(load_settings({"max_attempts": 0})).attempts == 1  # at least the one request
    assert RetryPolicy.from_settings(load_settings({})) == RetryPolicy()  # the settings' defaults are the policy's


def test_a_new_deadline_and_the_timeout_of_one_attempt() -> None:
    policy = RetryPolicy(timeout=120.0, deadline=30.0)
    deadline = policy.new_deadline()
    assert deadline.seconds == 30.0 and 29.0 < deadline.remaining() <= 30.0
    assert 29.0 < policy.request_timeout(deadline) <= 30.0  # never past the file's deadline
    assert policy.request_timeout(Deadline(500)) == 120.0


# -- backoff ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("attempt", "full"), [(1, 0.5), (2, 1.0), (3, 2.0), (4, 4.0), (6, 16.0), (7, 20.0), (60, 20.0)])
def test_backoff_doubles_up_to_the_cap_and_jitter_only_shortens_it(attempt: int, full: float) -> None:
    assert POLICY.backoff(attempt, rand=lambda: 0.0) == pytest.approx(0.75 * full)
    assert POLICY.backoff(attempt, rand=lambda: 1.0) == pytest.approx(full)
    samples = [POLICY.backoff(attempt) for _ in range(200)]
    assert all(0.75 * full <= s <= full for s in samples)
    assert len(set(samples)) > 1  # jittered: workers retrying together do not stay in step


def test_backoff_of_a_huge_attempt_number_does_not_overflow() -> None:
    assert POLICY.backoff(10_000, rand=lambda: 1.0) == POLICY.backoff_cap


# -- what is retried ----------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [408, 409, 429, 500, 502, 503, 504, 599])
def test_retryable_statuses(status: int) -> None:
    assert POLICY.classify_status(status).retryable
    assert not POLICY.classify_status(status).fatal


@pytest.mark.parametrize(
    ("status", "fault", "fatal"),
    [(400, Fault.BAD_REQUEST, False), (401, Fault.AUTH, True), (403, Fault.FORBIDDEN, True),
     (404, Fault.NOT_FOUND, True), (422, Fault.OTHER, False)],
)  # fmt: skip
def test_statuses_that_are_not_retried(status: int, fault: Fault, fatal: bool) -> None:
    assert POLICY.classify_status(status) is fault
    assert not fault.retryable and fault.fatal is fatal


def test_insufficient_quota_is_a_429_that_is_never_retried_and_stops_a_batch() -> None:
    exc = StatusError(429, "You exceeded your current quota", code="insufficient_quota", headers={"retry-after": "1"})
    decision = POLICY.decide(exc, 1, Deadline(600))
    assert decision.action is Action.GIVE_UP and decision.fault is Fault.QUOTA and decision.fault.fatal
    assert decision.hold == 0.0  # nothing to wait for: other workers are not held either
    assert POLICY.classify_status(429, "rate_limit_exceeded") is Fault.RATE_LIMITED


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("context_length_exceeded", "too long"),
        (None, "This model's maximum context length is 8192 tokens"),
        (None, "the request exceeds the available context size, try increasing it"),  # llama.cpp
    ],
)
def test_context_length_is_recognised(code: str | None, message: str) -> None:
    assert POLICY.classify(StatusError(400, message, code=code)) is Fault.CONTEXT_LENGTH


def test_content_filter_is_recognised() -> None:
    assert POLICY.classify(StatusError(400, "The response was filtered", code="content_filter")) is Fault.CONTENT_FILTER


def test_transport_errors_and_odd_answers() -> None:
    assert POLICY.classify(bare(openai.APITimeoutError)) is Fault.TIMEOUT
    assert POLICY.classify(bare(openai.APIConnectionError)) is Fault.UNREACHABLE
    assert Fault.TIMEOUT.retryable and Fault.UNREACHABLE.retryable and Fault.UNREACHABLE.fatal
    assert POLICY.classify(ValueError("Expecting value: line 1 column 1")) is Fault.UNEXPECTED  # truncated JSON
    assert not Fault.UNEXPECTED.retryable


# -- Retry-After, retry-after-ms, x-ratelimit ------------------------------------------------------


def test_retry_after_in_seconds() -> None:
    assert POLICY.retry_after({"retry-after": "7"}) == 7.0
    assert POLICY.retry_after({"retry-after": "1.5"}) == 1.5
    assert POLICY.retry_after({"retry-after": "-3"}) == 0.0
    assert POLICY.retry_after({}) is None and POLICY.retry_after(None) is None


def test_retry_after_as_an_http_date() -> None:
    later = POLICY.retry_after({"retry-after": formatdate(time.time() + 30, usegmt=True)})
    assert later is not None and 27.0 <= later <= 31.0
    assert POLICY.retry_after({"retry-after": formatdate(time.time() - 60, usegmt=True)}) == 0.0  # already passed
    assert POLICY.retry_after({"retry-after": "soon"}) is None
    assert POLICY.retry_after({"retry-after": "inf"}) is None


def test_retry_after_ms_comes_first_and_a_bad_one_falls_back() -> None:
    assert POLICY.retry_after({"retry-after-ms": "1500", "retry-after": "30"}) == 1.5
    assert POLICY.retry_after({"retry-after-ms": "50"}) == 0.05
    assert POLICY.retry_after({"retry-after-ms": "later", "retry-after": "30"}) == 30.0


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("1s", 1.0), ("6m0s", 360.0), ("1.822s", 1.822), ("174ms", 0.174), ("1m26.4s", 86.4), ("2h", 7200.0),
     ("1h2m3s", 3723.0), ("20", 20.0), ("0s", 0.0), (" 3s ", 3.0)],
)  # fmt: skip
def test_reset_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "soon", "5x", "1.2.3s", "m", "ms"])
def test_unreadable_durations(text: str) -> None:
    assert parse_duration(text) is None


def test_no_request_left_in_the_window_holds_until_it_resets() -> None:
    assert POLICY.hold_after_success(
        {"x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": "174ms"}
    ) == pytest.approx(0.174)
    assert POLICY.hold_after_success({"x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": "6m0s"}) == 360.0
    assert POLICY.hold_after_success({"x-ratelimit-remaining-requests": "0"}) == POLICY.default_reset
    assert POLICY.hold_after_success({"x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": "?"}) == 1.0
    assert POLICY.hold_after_success({"x-ratelimit-remaining-requests": "12", "x-ratelimit-reset-requests": "6m0s"}) == 0.0
    assert POLICY.hold_after_success({}) == 0.0


# -- retry, park or give up -------------------------------------------------------------------------


def test_a_429_retries_after_its_retry_after_and_holds_every_worker() -> None:
    decision = POLICY.decide(StatusError(429, headers={"retry-after": "2"}), 1, Deadline(600))
    assert decision.action is Action.RETRY and decision.wait == 2.0 and decision.hold == 2.0


def test_a_429_without_a_hint_backs_off_and_holds_for_the_backoff() -> None:
    decision = POLICY.decide(StatusError(429), 2, Deadline(600))
    assert decision.action is Action.RETRY and 0.75 <= decision.wait <= 1.0 and decision.hold == decision.wait


def test_a_server_error_retries_without_holding_the_others() -> None:
    decision = POLICY.decide(StatusError(503), 1, Deadline(600))
    assert decision.action is Action.RETRY and 0.375 <= decision.wait <= 0.5 and decision.hold == 0.0


def test_a_retry_after_past_the_deadline_parks_the_file() -> None:
    exc = StatusError(429, headers={"retry-after": "600"})
    parked = POLICY.decide(exc, 1, Deadline(30))
    assert parked.action is Action.PARK and parked.wait == 600.0 and parked.hold == 600.0
    assert POLICY.decide(exc, 1, Deadline(900)).action is Action.RETRY  # within the deadline: waited


def test_a_wait_past_the_deadline_that_is_not_a_rate_limit_gives_up() -> None:
    decision = POLICY.decide(StatusError(503, headers={"retry-after": "600"}), 1, Deadline(30))
    assert decision.action is Action.GIVE_UP and decision.fault is Fault.SERVER


def test_the_last_attempt_gives_up_but_a_429_is_retried_while_the_deadline_allows() -> None:
    policy = RetryPolicy(attempts=3)
    assert policy.decide(StatusError(503), 2, Deadline(600)).action is Action.RETRY
    assert policy.decide(StatusError(503), 3, Deadline(600)).action is Action.GIVE_UP
    last = policy.decide(StatusError(429, headers={"retry-after": "2"}), 3, Deadline(600))
    assert last.action is Action.RETRY and last.hold == 2.0  # a rate limit is not counted against the attempts
    assert policy.decide(StatusError(429, headers={"retry-after": "20"}), 9, Deadline(10)).action is Action.PARK
    assert RetryPolicy(attempts=1).decide(StatusError(503), 1, Deadline(600)).action is Action.GIVE_UP


def test_errors_retrying_cannot_fix_give_up_at_once() -> None:
    for exc in (StatusError(401), StatusError(400, "bad"), ValueError("odd")):
        assert POLICY.decide(exc, 1, Deadline(600)).action is Action.GIVE_UP


def test_the_deadline_allows_only_waits_that_end_before_it() -> None:
    deadline = Deadline(10)
    assert deadline.allows(0.0) and deadline.allows(9.0)
    assert not deadline.allows(11.0)
    assert not Deadline(-1).allows(0.0)


# -- batch's parking ----------------------------------------------------------------------------------


def test_which_failures_park_a_file() -> None:
    assert POLICY.parks_file(RateLimitedError("past the deadline", retry_after=600))
    assert POLICY.parks_file(EndpointError("kept rate-limiting (429) after retries", status=429))
    assert not POLICY.parks_file(EndpointError("quota exhausted", status=429, fatal=True))
    assert not POLICY.parks_file(EndpointError("failed with 503 after retries", status=503))
    assert not POLICY.parks_file(EndpointError("no status"))


def test_how_long_parked_files_wait() -> None:
    assert POLICY.park_wait(5.0, 100.0) == 5.0  # the gate's hold, when one is in force
    assert POLICY.park_wait(0.0, 100.0) == 100.0  # else the longest Retry-After the files got
    assert POLICY.park_wait(0.0, 10**6) == POLICY.park_wait_cap
    assert POLICY.park_wait(0.0, 0.0) == 0.0
