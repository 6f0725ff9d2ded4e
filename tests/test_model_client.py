"""The model boundary against a misbehaving server: retries, fallbacks and one clear error each."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from enrich.errors import EndpointError, ExitStatus, HaltedError, RateLimitedError
from enrich.model.client import LLMClient
from enrich.model.gate import RateGate
from enrich.model.policy import Deadline
from enrich.settings import load_settings
from enrich.testing.fakeserver import FakeLLM, Reply, answer, completion, error, valid_answer
from tests.conftest import FIXTURES, run_cli

SAMPLE = str(FIXTURES / "zh-rolling.vtt")


def test_429_with_retry_after_is_honoured(fake_llm: FakeLLM) -> None:
    fake_llm.push(error(429, "slow down", headers={"retry-after": "1"}))
    started = time.monotonic()
    result = run_cli(SAMPLE)
    assert result.exit_code == 0, result.stderr
    assert len(fake_llm.requests) == 2 and time.monotonic() - started >= 1.0


def test_retry_after_ms_is_preferred(fake_llm: FakeLLM) -> None:
    fake_llm.push(error(429, "slow down", headers={"retry-after-ms": "50", "retry-after": "30"}))
    started = time.monotonic()
    assert run_cli(SAMPLE).exit_code == 0
    assert time.monotonic() - started < 5


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_are_retried(fake_llm: FakeLLM, status: int) -> None:
    fake_llm.push(error(status, "boom"))
    assert run_cli(SAMPLE).exit_code == 0
    assert len(fake_llm.requests) == 2


def test_retries_stop_after_max_attempts(fake_llm: FakeLLM, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENRICH_MAX_ATTEMPTS", "3")
    fake_llm.responder = lambda request: error(503, "down")
    result = run_cli(SAMPLE)
    assert result.exit_code == ExitStatus.ENDPOINT and "503 after retries" in result.stderr
    assert len(fake_llm.requests) == 3  # one layer of retries, not client retries on top


@pytest.mark.parametrize(
    ("reply", "message"),
    [
        (error(401, "Incorrect API key provided: sk-test-SE***cdef", code="invalid_api_key"), "rejected the API key (401)"),
        (error(403, "forbidden"), "refused access (403)"),
        (error(404, "model not found"), "no such model or path (404)"),
        (error(400, "bad things"), "rejected the request (400)"),
        (error(429, "You exceeded your current quota", code="insufficient_quota"), "quota exhausted"),
        (
            error(400, "This model's maximum context length is 8192 tokens", code="context_length_exceeded"),
            "too long for the model",
        ),
    ],
)
def test_errors_that_retrying_cannot_fix_are_not_retried(fake_llm: FakeLLM, reply: Reply, message: str) -> None:
    fake_llm.push(reply)
    result = run_cli(SAMPLE)
    assert result.exit_code == ExitStatus.ENDPOINT
    assert message in result.stderr and "zh-rolling.vtt" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    assert len(fake_llm.requests) == 1


def test_timeout_is_retried_then_succeeds(fake_llm: FakeLLM) -> None:
    fake_llm.push(Reply(delay=2.0, body=json.dumps(completion("{}")).encode()))
    result = run_cli(SAMPLE, "--timeout", "0.5")
    assert result.exit_code == 0, result.stderr
    assert len(fake_llm.requests) == 2


def test_deadline_per_file(fake_llm: FakeLLM) -> None:
    fake_llm.responder = lambda request: Reply(delay=1.0, body=b"{}")
    started = time.monotonic()
    result = run_cli(SAMPLE, "--timeout", "0.4", "--deadline", "1.5")
    assert result.exit_code == ExitStatus.ENDPOINT
    assert time.monotonic() - started < 6


def test_retry_after_past_the_deadline_fails_fast(fake_llm: FakeLLM) -> None:
    fake_llm.push(error(429, "slow", headers={"retry-after": "600"}))
    started = time.monotonic()
    result = run_cli(SAMPLE, "--deadline", "30")
    assert result.exit_code == ExitStatus.ENDPOINT and "Retry-After" in result.stderr
    assert time.monotonic() - started < 5


def test_unreachable_endpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("ENRICH_MAX_ATTEMPTS", "2")
    result = run_cli(SAMPLE)
    assert result.exit_code == ExitStatus.ENDPOINT and "cannot reach 127.0.0.1" in result.stderr


@pytest.mark.parametrize(
    "reply",
    [
        Reply(body=b"<html><body>Welcome to my server</body></html>", content_type="text/html"),
        Reply(body=b'{"id": "x", "choices": [{"message": {"content": "{\\"ti'),
        Reply(body=json.dumps(completion("{}", choices=False)).encode()),
        Reply(body=b'{"unexpected": true}'),
    ],
    ids=["html", "truncated", "no-choices", "odd-shape"],
)
def test_odd_server_answers_become_one_clear_error(fake_llm: FakeLLM, reply: Reply) -> None:
    fake_llm.responder = lambda request: reply
    result = run_cli(SAMPLE)
    assert result.exit_code == ExitStatus.ENDPOINT, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr


def test_refusal(fake_llm: FakeLLM) -> None:
    fake_llm.push(Reply(body=json.dumps(completion(None, refusal="I can't help with that.")).encode()))
    result = run_cli(SAMPLE)
    assert result.exit_code == ExitStatus.ENDPOINT and "refused" in result.stderr


def test_cut_off_answer_is_retried_with_more_room(fake_llm: FakeLLM) -> None:
    fake_llm.push(Reply(body=json.dumps(completion('{"title": "cut', finish_reason="length")).encode()))
    assert run_cli(SAMPLE).exit_code == 0
    first, second = fake_llm.requests
    assert second["max_tokens"] == 2 * first["max_tokens"]


def test_falls_back_to_json_object_and_remembers(fake_llm: FakeLLM, isolated: Path) -> None:
    fake_llm.reject_json_schema = True
    assert run_cli(SAMPLE).exit_code == 0
    formats = [(r.get("response_format") or {}).get("type") for r in fake_llm.requests]
    assert formats == ["json_schema", "json_object"]
    assert "JSON Schema" in fake_llm.requests[1]["messages"][0]["content"]
    assert run_cli(SAMPLE, "--force").exit_code == 0
    assert (fake_llm.requests[2].get("response_format") or {}).get("type") == "json_object"  # remembered


def test_falls_back_to_plain_text(fake_llm: FakeLLM) -> None:
    fake_llm.reject_json_schema = fake_llm.reject_json_object = True
    fake_llm.responder = lambda request: answer("Here you go:\n```json\n" + json.dumps(valid_answer(request)) + "\n```")
    assert run_cli(SAMPLE).exit_code == 0
    assert "response_format" not in fake_llm.requests[-1]


def test_forced_format_does_not_fall_back(fake_llm: FakeLLM) -> None:
    fake_llm.reject_json_schema = True
    result = run_cli(SAMPLE, "--response-format", "json_schema")
    assert result.exit_code == ExitStatus.ENDPOINT and "rejected response_format json_schema" in result.stderr


def test_max_completion_tokens_and_temperature_adjustments(fake_llm: FakeLLM) -> None:
    fake_llm.push(
        error(400, "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead."),
        error(400, "Unsupported value: 'temperature' does not support 0.2 with this model."),
    )
    assert run_cli(SAMPLE).exit_code == 0
    last = fake_llm.requests[-1]
    assert "max_completion_tokens" in last and "max_tokens" not in last and "temperature" not in last


def test_no_endpoint_configured_says_how(monkeypatch: pytest.MonkeyPatch) -> None:
    import enrich.draft.build

    monkeypatch.setattr(enrich.draft.build, "offline_available", lambda: False)
    result = run_cli(SAMPLE)
    assert result.exit_code == ExitStatus.CONFIG
    assert "OPENAI_API_KEY" in result.stderr and "localhost:11434/v1" in result.stderr


# -- the shared gate: slots on the wire, holds, halts -------------------------------------------------


def _client(llm: FakeLLM, gate: RateGate, monkeypatch: pytest.MonkeyPatch) -> LLMClient:
    monkeypatch.setenv("OPENAI_BASE_URL", llm.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-SECRET-0123456789abcdef")
    return LLMClient(load_settings({}), gate=gate)


MESSAGES = [{"role": "system", "content": "Answer in JSON."}, {"role": "user", "content": "a transcript"}]
SCHEMA = {"type": "object", "properties": {"title": {"type": "string"}}, "required": ["title"], "additionalProperties": False}


def test_the_gate_caps_requests_on_the_wire_and_counts_them(monkeypatch: pytest.MonkeyPatch) -> None:
    gate = RateGate(max_in_flight=2)
    with FakeLLM(latency=0.3) as llm:
        client = _client(llm, gate, monkeypatch)
        workers = [threading.Thread(target=client.complete_json, args=(MESSAGES, SCHEMA, "fm", Deadline(30))) for _ in range(6)]
        for worker in workers:
            worker.start()
        assert gate.wait_for_requests(2, timeout=5.0)  # both slots fill
        for worker in workers:
            worker.join()
        assert len(llm.requests) == 6 and llm.max_active == 2
    assert not gate.wait_for_requests(1, timeout=0.05)  # every slot given back


def test_a_halt_stops_a_request_that_waits_for_a_slot(monkeypatch: pytest.MonkeyPatch) -> None:
    gate = RateGate(max_in_flight=1)
    errors: list[BaseException] = []

    def second() -> None:
        try:
            client.complete_json(MESSAGES, SCHEMA, "fm", Deadline(30))
        except EndpointError as exc:
            errors.append(exc)

    with FakeLLM(latency=0.6) as llm:
        client = _client(llm, gate, monkeypatch)
        first = threading.Thread(target=client.complete_json, args=(MESSAGES, SCHEMA, "fm", Deadline(30)))
        first.start()
        assert gate.wait_for_requests(1, timeout=5.0)
        waiting = threading.Thread(target=second)
        waiting.start()
        time.sleep(0.1)  # the second request is built and waits for the only slot
        gate.halt("the budget is spent")
        first.join()
        waiting.join()
        assert len(llm.requests) == 1  # the waiting request never went out
    assert len(errors) == 1 and isinstance(errors[0], HaltedError) and "budget" in str(errors[0])


def test_a_429_seen_while_waiting_for_a_slot_holds_the_waiting_request(monkeypatch: pytest.MonkeyPatch) -> None:
    gate = RateGate(max_in_flight=1)
    sent: list[float] = []

    def responder(request: dict[str, Any]) -> Reply:
        sent.append(time.monotonic())
        if len(sent) == 1:
            return Reply(**{**error(429, "slow down", headers={"retry-after": "1"}).__dict__, "delay": 0.3})
        return answer(valid_answer(request))

    with FakeLLM() as llm:
        llm.responder = responder
        client = _client(llm, gate, monkeypatch)
        workers = [threading.Thread(target=client.complete_json, args=(MESSAGES, SCHEMA, "fm", Deadline(30))) for _ in range(2)]
        for worker in workers:
            worker.start()
            time.sleep(0.05)
        for worker in workers:
            worker.join()
    # the other worker was already past the gate's check, waiting for the slot, when the 429 came back
    assert len(sent) == 3 and sent[1] >= sent[0] + 0.3 + 0.9


def test_the_first_request_is_built_alone_then_all_together(monkeypatch: pytest.MonkeyPatch) -> None:
    with FakeLLM() as llm:
        client = _client(llm, RateGate(max_in_flight=4), monkeypatch)
        client._wait_for_first_request()  # the first caller goes straight on to build its request
        other = threading.Thread(target=client.complete_json, args=(MESSAGES, SCHEMA, "fm", Deadline(30)))
        other.start()
        time.sleep(0.3)
        assert llm.requests == []  # held back while the first request is being built
        client._built_one.set()  # what the HTTP client does once that request reaches it
        other.join(timeout=5.0)
        assert len(llm.requests) == 1

        fresh = _client(llm, RateGate(max_in_flight=4), monkeypatch)
        fresh.complete_json(MESSAGES, SCHEMA, "fm", Deadline(30))
        assert fresh._built_one.is_set()  # a real request opens the way for the others


def test_an_azure_endpoint_goes_through_the_same_gated_client(fake_llm: FakeLLM) -> None:
    base = fake_llm.base_url.removesuffix("/v1")
    result = run_cli(SAMPLE, "--stdout", "--base-url", base, "--api-version", "2024-10-21", "--model", "my-deployment")
    assert result.exit_code == 0, result.stderr
    assert fake_llm.paths == ["/openai/deployments/my-deployment/chat/completions?api-version=2024-10-21"]
    assert fake_llm.headers[0]["api-key"] == "sk-test-SECRET-0123456789abcdef"


def test_a_429_is_retried_past_max_attempts_and_holds_every_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENRICH_MAX_ATTEMPTS", "1")
    gate = RateGate()
    with FakeLLM() as llm:
        llm.push(error(429, "slow down", headers={"retry-after": "1"}), error(429, "slow down", headers={"retry-after": "1"}))
        client = _client(llm, gate, monkeypatch)
        started = time.monotonic()
        client.complete_json(MESSAGES, SCHEMA, "fm", Deadline(30))
    assert len(llm.requests) == 3 and time.monotonic() - started >= 1.8  # a rate limit never fails while the deadline allows
    with FakeLLM() as llm:
        llm.push(error(429, "slow down", headers={"retry-after": "5"}))
        client = _client(llm, gate, monkeypatch)
        with pytest.raises(RateLimitedError):
            client.complete_json(MESSAGES, SCHEMA, "fm", Deadline(3))  # past the deadline: batch parks the file
    assert 4.0 < gate.wait_time() <= 5.0  # the other workers wait too


def test_no_request_left_in_the_window_holds_every_worker_until_it_resets(monkeypatch: pytest.MonkeyPatch) -> None:
    gate = RateGate()
    with FakeLLM() as llm:
        headers = {"x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": "1.5s"}
        llm.push(lambda request: Reply(**{**answer(valid_answer(request)).__dict__, "headers": headers}))
        _client(llm, gate, monkeypatch).complete_json(MESSAGES, SCHEMA, "fm", Deadline(30))
    assert 1.0 < gate.wait_time() <= 1.5


def test_a_prompt_the_content_filter_blocks_is_one_clear_error_not_retried(fake_llm: FakeLLM) -> None:
    fake_llm.push(error(400, "The response was filtered due to the prompt triggering the content policy.", code="content_filter"))
    result = run_cli(SAMPLE)
    assert result.exit_code == ExitStatus.ENDPOINT and "content filter blocked the request" in result.stderr
    assert len(fake_llm.requests) == 1
