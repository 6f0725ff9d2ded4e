"""The limiter every worker shares: buckets, learning from headers, 429 bodies, remembering (threads, no server)."""

from __future__ import annotations

import itertools
import threading
import time

import pytest

from enrich.errors import RateLimitedError
from enrich.model.capabilities import Capabilities
from enrich.model.limiter import Learned, Limiter, learned_from
from enrich.model.policy import Deadline, Fault, RetryPolicy, try_again_in
from enrich.testing.ratelimits import openai_duration


def headers(limit: int, remaining: int, reset: str, kind: str = "requests") -> dict[str, str]:
    return {
        f"x-ratelimit-limit-{kind}": str(limit),
        f"x-ratelimit-remaining-{kind}": str(remaining),
        f"x-ratelimit-reset-{kind}": reset,
    }


def test_headers_give_the_limit_the_bucket_and_its_refill() -> None:
    learned = learned_from(headers(300, 9, "200ms"), "requests")
    assert learned == Learned(300, 9, 0.2)
    assert learned.bucket_shape() == pytest.approx((10.0, 5.0))  # burst 10, 5 a second
    full_minute = learned_from(headers(10000, 9990, "60ms"), "requests")
    assert full_minute is not None and full_minute.bucket_shape() == pytest.approx((10000.0, 10000 / 60))
    per_day = learned_from(headers(200, 199, "7m12s"), "requests")  # a day's limit: 432 s a request
    assert per_day is not None and per_day.bucket_shape() == pytest.approx((200.0, 1 / 432))
    assert learned_from({"x-ratelimit-limit-requests": "x"}, "requests") is None


def test_the_duration_formats_both_ways() -> None:
    assert try_again_in("Rate limit reached ... Please try again in 1.822s. Visit") == pytest.approx(1.822)
    assert try_again_in("Please try again in 174ms.") == pytest.approx(0.174)
    assert try_again_in("Please try again in 1m26.4s.") == pytest.approx(86.4)
    assert try_again_in("no hint") is None
    assert [openai_duration(s) for s in (0.174, 1.822, 360.0, 86.4)] == ["174ms", "1.822s", "6m0s", "1m26.4s"]


def test_a_bucket_paces_workers_one_after_another_not_all_at_once() -> None:
    limiter = Limiter(rpm=600)  # --rpm given: a second's worth at once
    assert limiter.knows("requests") and not limiter.knows("tokens") and limiter.limits["requests"] == 600
    limiter = Limiter(remembered={"requests": 600, "requests_burst": 2})  # 10 a second, burst 2
    times: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        limiter.acquire(lambda: 0.0, Deadline(30))
        with lock:
            times.append(time.monotonic())

    started = time.monotonic()
    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    offsets = sorted(t - started for t in times)
    assert offsets[1] < 0.08  # the burst goes at once
    assert 0.5 <= offsets[-1] < 1.2  # the other six at 10 a second: 0.6 s, never all together
    gaps = [b - a for a, b in itertools.pairwise(offsets[2:])]
    assert min(gaps) > 0.05


def test_tokens_are_booked_at_what_the_request_costs() -> None:
    limiter = Limiter(tpm=60_000)  # 1,000 a second, a second's worth at once
    limiter.acquire(lambda: 500.0, Deadline(30))
    started = time.monotonic()
    limiter.acquire(lambda: 800.0, Deadline(30))  # 300 short: 0.3 s
    assert 0.2 < time.monotonic() - started < 0.6


def test_a_wait_past_the_deadline_parks_and_books_nothing() -> None:
    limiter = Limiter(tpm=600)  # 10 a second
    limiter.acquire(lambda: 10.0, Deadline(30))
    with pytest.raises(RateLimitedError) as caught:
        limiter.acquire(lambda: 300.0, Deadline(5))  # 30 s away
    assert caught.value.retry_after == pytest.approx(30, abs=1)
    started = time.monotonic()
    limiter.acquire(lambda: 5.0, Deadline(5))  # the refused booking was given back
    assert time.monotonic() - started < 0.8


def test_an_unknown_endpoint_is_probed_by_one_request_then_paced_by_its_headers() -> None:
    learned: list[dict[str, float]] = []
    limiter = Limiter(remembered=None, on_learn=learned.append)
    first = limiter.acquire(lambda: 0.0, Deadline(30))
    waiting = threading.Thread(target=lambda: limiter.acquire(lambda: 0.0, Deadline(30)))
    waiting.start()
    time.sleep(0.2)
    assert waiting.is_alive()  # the others wait for the first answer
    limiter.observe(headers(300, 9, "200ms"), first)
    waiting.join(timeout=2)
    assert not waiting.is_alive()
    assert learned == [{"requests": 300.0, "requests_burst": 10}]
    quiet = Limiter(remembered=None, on_learn=learned.append)
    quiet.observe({}, quiet.acquire(lambda: 0.0, Deadline(30)))
    assert learned[-1] == {} and not quiet.knows("requests")  # no headers: remembered as "no limits"


def test_a_429_empties_the_bucket_for_the_wait_it_names() -> None:
    limiter = Limiter(remembered={"requests": 6000, "requests_burst": 100})
    ticket = limiter.acquire(lambda: 0.0, Deadline(30))
    assert limiter.rate_limited({}, "Please try again in 400ms.", "requests", None, ticket)
    started = time.monotonic()
    limiter.acquire(lambda: 0.0, Deadline(30))
    assert 0.3 < time.monotonic() - started < 0.8
    assert not Limiter(remembered={}).rate_limited({}, "Please try again in 1s.", "requests", None, None)


def test_learned_limits_are_remembered_per_endpoint(tmp_path: object) -> None:
    from pathlib import Path

    folder = Path(str(tmp_path))
    caps = Capabilities.in_folder(folder)
    assert caps.limits("host|model") is None
    caps.remember_limits("host|model", {"requests": 300.0, "requests_burst": 10})
    again = Capabilities.in_folder(folder)
    assert again.limits("host|model") == {"requests": 300.0, "requests_burst": 10.0}
    assert again.limits("host|other") is None


def test_quota_and_too_large_are_not_rate_limits() -> None:
    policy = RetryPolicy()
    assert policy.classify_status(429, "insufficient_quota", "You exceeded your current quota") is Fault.QUOTA
    too_large = "Request too large for gpt-4o on tokens per min (TPM): Limit 200000, Requested 245000."
    assert policy.classify_status(429, "rate_limit_exceeded", too_large) is Fault.TOO_LARGE
    assert not Fault.TOO_LARGE.retryable and not Fault.TOO_LARGE.fatal and Fault.QUOTA.fatal
    assert policy.classify_status(429, "rate_limit_exceeded", "Please try again in 1s") is Fault.RATE_LIMITED


def tokens_headers(limit: int, remaining: int, capacity: int) -> dict[str, str]:
    return headers(limit, remaining, openai_duration((capacity - remaining) / (limit / 60)), kind="tokens")


def test_an_answer_that_overtook_an_earlier_request_does_not_give_back_what_that_one_will_cost() -> None:
    # Booked A then B; B reached the server first, so B's count does not hold A yet: A is still to be counted.
    limiter = Limiter(remembered={"tokens": 60_000, "tokens_burst": 100_000})  # 1,000 a second
    limiter.acquire(lambda: 40_000.0, Deadline(30))  # A: its answer is still out
    second = limiter.acquire(lambda: 40_000.0, Deadline(30))
    limiter.observe(tokens_headers(60_000, 60_000, 100_000), second)  # the server has counted B alone
    with pytest.raises(RateLimitedError):  # 100k - A - B = 20k now: 50k is 30 s away, not free
        limiter.acquire(lambda: 50_000.0, Deadline(5))
    limiter.close(second)
    with pytest.raises(RateLimitedError):  # still, once B's answer is read: A's answer is not
        limiter.acquire(lambda: 50_000.0, Deadline(5))


def test_answers_of_a_burst_read_in_any_order_leave_the_level_the_server_has() -> None:
    # A, B and C go on the wire together; the server counts them C, B, A (a moment's jitter) and the
    # answers are read C, B, A. Each answer alone cannot tell whether the others were counted before it:
    # read as "none were", A's answer said -50k and nothing was sent for a minute (bench_limits (b)).
    limiter = Limiter(remembered={"tokens": 60_000, "tokens_burst": 100_000})  # 1,000 a second
    tickets = [limiter.acquire(lambda: 30_000.0, Deadline(30)) for _ in range(3)]
    for ticket in tickets:
        limiter.sent(ticket)
    a, b, c = tickets
    for ticket, remaining in ((c, 70_000), (b, 40_000), (a, 10_000)):
        limiter.observe(tokens_headers(60_000, remaining, 100_000), ticket)
        limiter.close(ticket)
    started = time.monotonic()
    limiter.acquire(lambda: 9_000.0, Deadline(5))  # the server has 10k: at once
    assert time.monotonic() - started < 0.5


def test_an_answer_counting_less_than_we_booked_lowers_the_level() -> None:
    # Another client of the same key spent 50k: the server has less than our bookings say.
    limiter = Limiter(remembered={"tokens": 60_000, "tokens_burst": 100_000})
    ticket = limiter.acquire(lambda: 30_000.0, Deadline(30))
    limiter.sent(ticket)
    limiter.observe(tokens_headers(60_000, 20_000, 100_000), ticket)
    limiter.close(ticket)
    with pytest.raises(RateLimitedError):  # 20k left, not 70k: 30k is 10 s away
        limiter.acquire(lambda: 30_000.0, Deadline(5))


def test_the_bucket_size_is_the_largest_reading_since_remaining_is_rounded_down() -> None:
    limiter = Limiter(remembered=None)
    limiter.observe(headers(300, 9, "190ms"), None)  # 9.95: a burst of 10
    limiter.observe(headers(300, 4, "1s"), None)  # 4.x left, rounded down: reads as 9
    assert limiter.limits["requests_burst"] == 10


def test_the_refill_counts_from_when_the_request_went_on_the_wire() -> None:
    limiter = Limiter(remembered={"requests": 120, "requests_burst": 1})  # 2 a second, one at a time
    ticket = limiter.acquire(lambda: 0.0, Deadline(30))
    time.sleep(0.6)  # waiting for an HTTP slot: the server has not seen it yet
    limiter.sent(ticket)
    limiter.observe(headers(120, 0, "500ms"), ticket)  # it has now: none left
    limiter.close(ticket)
    started = time.monotonic()
    limiter.acquire(lambda: 0.0, Deadline(30))
    assert time.monotonic() - started > 0.4  # the half second until the next one, not credited with the 0.6 s before


def test_after_a_429_the_retry_waits_the_time_named_not_that_plus_its_own_cost() -> None:
    limiter = Limiter(remembered={"tokens": 60_000, "tokens_burst": 2_000})  # 1,000 a second
    ticket = limiter.acquire(lambda: 1_000.0, Deadline(30))
    assert limiter.rate_limited({}, "Please try again in 1s.", "tokens", None, ticket)
    limiter.close(ticket)
    started = time.monotonic()
    limiter.acquire(lambda: 1_000.0, Deadline(30))  # the same request again
    assert 0.6 < time.monotonic() - started < 1.35


def test_a_booking_given_up_while_it_waits_is_given_back() -> None:
    limiter = Limiter(remembered={"requests": 60, "requests_burst": 1})  # 1 a second
    limiter.acquire(lambda: 0.0, Deadline(30))
    errors: list[BaseException] = []

    def waiter() -> None:
        try:
            limiter.acquire(lambda: 0.0, Deadline(3))  # its turn in a second...
        except RateLimitedError as exc:
            errors.append(exc)

    thread = threading.Thread(target=waiter)
    thread.start()
    time.sleep(0.2)
    limiter.rate_limited({}, "Please try again in 20s.", "requests", None, None)  # ...then 20 s: past its deadline
    thread.join(timeout=5)
    assert errors
    with pytest.raises(RateLimitedError) as caught:
        limiter.acquire(lambda: 0.0, Deadline(5))
    assert caught.value.retry_after == pytest.approx(20, abs=0.5)  # 20 s for this one: the given-up booking left nothing
