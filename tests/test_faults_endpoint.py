"""Fault injection, endpoint side: odd answers, stalls, cuts and rate limits, through the CLI against the fake server."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from enrich.testing.fakeserver import FakeLLM, Reply, completion, error, raw_message
from tests.faults import clean_failure, cli, inbox, transcript


@pytest.mark.parametrize(
    "reply",
    [
        raw_message(None),
        raw_message({"role": "assistant", "content": ["not", "a", "string"]}),
        raw_message({"role": "assistant", "content": 42}),
        raw_message({"role": "assistant", "content": {"title": "x"}}),
        raw_message("a string, not an object"),
        Reply(body=b"<html><body>gateway</body></html>", content_type="text/html"),
        Reply(body=b"{}"),
        Reply(body=b'{"choices": [{"message": {"content": "{\\"ti'),
        Reply(body=json.dumps(completion("{}", choices=False)).encode()),
        Reply(body=b"null"),
        Reply(body=b"[]"),
    ],
    ids=[
        "null-message",
        "list-content",
        "number-content",
        "object-content",
        "string-message",
        "html-200",
        "empty-object",
        "truncated-json",
        "no-choices",
        "json-null",
        "json-list",
    ],
)
def test_an_odd_200_answer_is_one_clear_line_never_an_internal_error(fake_llm: FakeLLM, isolated: Path, reply: Reply) -> None:
    path = transcript(isolated)
    fake_llm.push(*[reply] * 8)
    result = cli(str(path))
    clean_failure(result, 5, 6)
    assert not (isolated / "drafts" / "talk.md").exists()


def test_a_lone_surrogate_in_an_answer_is_not_an_internal_error(fake_llm: FakeLLM, isolated: Path) -> None:
    path = transcript(isolated)
    good = {"title": "标题\ud800坏", "summary": "这是一段测试摘要，" * 6}

    def reply(request: dict[str, object]) -> Reply:
        from enrich.testing.fakeserver import valid_answer

        data = valid_answer(request)
        data.update(good)
        return Reply(body=json.dumps(completion(json.dumps(data))).encode())  # ensure_ascii: "\ud800" escaped

    fake_llm.push(*[reply] * 4)
    result = cli(str(path))
    if result.exit_code == 0:
        (isolated / "drafts" / "talk.md").read_text(encoding="utf-8")  # valid UTF-8 on disk
    else:
        clean_failure(result, 5, 6)


@pytest.mark.parametrize("status", [500, 502, 503])
def test_a_5xx_with_an_html_body_is_retried_then_fails_cleanly(
    fake_llm: FakeLLM, isolated: Path, monkeypatch: pytest.MonkeyPatch, status: int
) -> None:
    monkeypatch.setenv("ENRICH_MAX_ATTEMPTS", "2")
    path = transcript(isolated)
    html = Reply(status=status, body=b"<html>bad gateway</html>", content_type="text/html")
    fake_llm.push(html, html, html)
    result = cli(str(path))
    clean_failure(result, 5)
    assert len(fake_llm.requests) == 2


def test_a_5xx_then_an_answer_succeeds(fake_llm: FakeLLM, isolated: Path) -> None:
    path = transcript(isolated)
    fake_llm.push(Reply(status=503, body=b"<html>busy</html>", content_type="text/html"))
    assert cli(str(path)).exit_code == 0
    assert (isolated / "drafts" / "talk.md").is_file()


@pytest.mark.parametrize(
    ("reply", "status"),
    [
        (error(401, "Incorrect API key provided"), 5),
        (error(403, "forbidden"), 5),
        (error(429, "You exceeded your current quota", code="insufficient_quota"), 5),
        (error(400, "This model's maximum context length is 8192 tokens", code="context_length_exceeded"), 5),
        (error(400, "content management policy", code="content_filter"), 5),
    ],
    ids=["401", "403", "quota", "context-length", "content-filter"],
)
def test_errors_that_retrying_cannot_fix_are_sent_once(fake_llm: FakeLLM, isolated: Path, reply: Reply, status: int) -> None:
    path = transcript(isolated)
    fake_llm.push(*[reply] * 8)
    result = cli(str(path))
    clean_failure(result, status)
    assert len(fake_llm.requests) <= 2  # context length may be split once; never retried


def test_connection_refused_and_dns_failure_are_one_line(isolated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = transcript(isolated)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-SECRET-0123456789abcdef")
    monkeypatch.setenv("ENRICH_MAX_ATTEMPTS", "1")
    for url in ("http://127.0.0.1:9/v1", "http://no-such-host.invalid/v1"):
        monkeypatch.setenv("OPENAI_BASE_URL", url)
        err = clean_failure(cli(str(path)), 5)
        assert "cannot reach" in err


def test_a_body_that_trickles_ends_at_the_deadline(fake_llm: FakeLLM, isolated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENRICH_DEADLINE", "3")
    monkeypatch.setenv("ENRICH_TIMEOUT", "30")
    path = transcript(isolated)
    fake_llm.push(Reply(body=json.dumps(completion("{}")).encode(), trickle=0.5))
    started = time.monotonic()
    result = cli(str(path))
    elapsed = time.monotonic() - started
    clean_failure(result, 5)
    assert elapsed < 20, elapsed  # the deadline bounds the whole request, not each read


def test_a_stalled_read_ends_at_the_deadline(fake_llm: FakeLLM, isolated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENRICH_DEADLINE", "2")
    path = transcript(isolated)
    fake_llm.push(Reply(body=b"{}", delay=30))
    started = time.monotonic()
    clean_failure(cli(str(path)), 5)
    assert time.monotonic() - started < 15


def test_a_body_cut_mid_answer_is_transient_not_unreachable(
    fake_llm: FakeLLM, isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ENRICH_MAX_ATTEMPTS", "1")
    path = transcript(isolated)
    fake_llm.push(Reply(body=json.dumps(completion("{}")).encode(), cut_after=40))
    err = clean_failure(cli(str(path)), 5)
    assert "cannot reach" not in err and "is the server running" not in err, err


def test_a_body_cut_mid_answer_is_retried(fake_llm: FakeLLM, isolated: Path) -> None:
    path = transcript(isolated)
    fake_llm.push(Reply(body=json.dumps(completion("{}")).encode(), cut_after=40))
    assert cli(str(path)).exit_code == 0


def test_a_cut_body_does_not_stop_a_batch(fake_llm: FakeLLM, isolated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENRICH_MAX_ATTEMPTS", "1")
    inbox(isolated, 4)
    fake_llm.push(Reply(body=json.dumps(completion("{}")).encode(), cut_after=40))
    result = cli("batch", "inbox", "--jobs", "1")
    assert result.exit_code == 1, result.output
    assert len(list((isolated / "drafts").glob("*.md"))) == 3


def test_a_429_inside_the_deadline_waits_and_succeeds(fake_llm: FakeLLM, isolated: Path) -> None:
    path = transcript(isolated)
    fake_llm.push(error(429, "slow down", headers={"retry-after": "1"}))
    assert cli(str(path)).exit_code == 0


def test_a_429_far_past_the_deadline_fails_the_file_at_once_in_a_batch(fake_llm: FakeLLM, isolated: Path) -> None:
    inbox(isolated, 1)
    fake_llm.push(*[error(429, "slow down", headers={"retry-after": "86400"})] * 6)
    started = time.monotonic()
    result = cli("batch", "inbox")
    assert time.monotonic() - started < 20
    assert result.exit_code in (1, 5), result.output
    assert "rate limited until" in result.output, result.output
    assert "Traceback" not in result.output
