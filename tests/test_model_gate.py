"""The gate every worker shares: holds, parking at the gate, halting, the in-flight cap (threads, no server)."""

from __future__ import annotations

import threading
import time

import pytest

from enrich.errors import EndpointError, HaltedError, RateLimitedError
from enrich.model.gate import RateGate
from enrich.model.policy import Deadline


def test_a_free_gate_admits_at_once() -> None:
    gate = RateGate()
    started = time.monotonic()
    gate.admit(Deadline(30))
    assert time.monotonic() - started < 0.05 and gate.wait_time() == 0.0


def test_a_hold_is_waited_out_and_a_shorter_one_does_not_shorten_it() -> None:
    gate = RateGate()
    gate.hold(0.3)
    gate.hold(0.05)  # a shorter hold seen later keeps the longer one
    assert 0.2 < gate.wait_time() <= 0.3
    started = time.monotonic()
    gate.admit(Deadline(30))
    assert time.monotonic() - started >= 0.25
    assert gate.wait_time() == 0.0


def test_a_hold_past_the_deadline_parks_at_once() -> None:
    gate = RateGate()
    gate.hold(600)
    started = time.monotonic()
    with pytest.raises(RateLimitedError) as caught:
        gate.admit(Deadline(30))
    assert time.monotonic() - started < 0.05
    assert caught.value.retry_after is not None and 599 < caught.value.retry_after <= 600
    assert caught.value.status == 429 and not caught.value.fatal


def test_a_passed_deadline_is_not_admitted() -> None:
    with pytest.raises(EndpointError, match="deadline of 0s per file passed"):
        RateGate().admit(Deadline(0))


def test_a_halted_gate_admits_nothing() -> None:
    gate = RateGate()
    gate.halt("the budget is spent")
    with pytest.raises(HaltedError, match="not sent: the budget is spent"):
        gate.admit(Deadline(30))
    with pytest.raises(HaltedError):
        gate.check_halted()


def test_the_in_flight_cap_and_the_count_of_requests_on_the_wire() -> None:
    gate = RateGate(max_in_flight=2)
    lock = threading.Lock()
    active, peak = [0], [0]

    def request() -> None:
        with gate.slot():
            with lock:
                active[0] += 1
                peak[0] = max(peak[0], active[0])
            time.sleep(0.1)
            with lock:
                active[0] -= 1

    workers = [threading.Thread(target=request) for _ in range(6)]
    for worker in workers:
        worker.start()
    assert gate.wait_for_requests(2, timeout=5.0)
    assert not gate.wait_for_requests(3, timeout=0.05)  # never more than the cap
    for worker in workers:
        worker.join()
    assert peak[0] == 2
    assert not gate.wait_for_requests(1, timeout=0.01)  # every slot given back


def test_without_a_cap_every_request_goes_at_once() -> None:
    gate = RateGate()
    release = threading.Event()

    def request() -> None:
        with gate.slot():
            release.wait(5.0)

    workers = [threading.Thread(target=request) for _ in range(5)]
    for worker in workers:
        worker.start()
    assert gate.wait_for_requests(5, timeout=5.0)
    release.set()
    for worker in workers:
        worker.join()


def test_a_slot_is_given_back_when_the_request_fails() -> None:
    gate = RateGate(max_in_flight=1)
    with pytest.raises(OSError), gate.slot():
        raise OSError("connection reset")
    with gate.slot():  # would block forever if the slot had leaked
        assert gate.wait_for_requests(1, timeout=0.01)
