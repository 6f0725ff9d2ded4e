"""`enrich batch` against a fake server that enforces request and token limits: pacing, 429s, quota, budgets."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from enrich.errors import ExitStatus
from enrich.testing.fakeserver import FakeLLM, answer, error, valid_answer
from enrich.testing.ratelimits import RateLimits, request_tokens
from tests.conftest import run_cli
from tests.test_batch import make_inbox, outcomes, use

MANY = ["zh-trade-article.txt", "en-podcast.srt", "xK3mP9qL2wA.txt", "xK3mP9qL2wA.info.json"]


def many_inbox(site: Path, copies: int) -> None:
    make_inbox(site, MANY)
    inbox = site / "inbox"
    text = (inbox / "zh-trade-article.txt").read_text(encoding="utf-8")
    for n in range(copies):
        (inbox / f"copy-{n}.txt").write_text(f"第{n}份。\n{text}", encoding="utf-8")


def test_requests_are_paced_at_the_requests_limit_without_a_stampede(monkeypatch: pytest.MonkeyPatch, isolated: Path) -> None:
    many_inbox(isolated, 5)  # 8 files
    limits = RateLimits(rpm=600, burst=2)  # 10 a second, 2 at once
    with FakeLLM(latency=0.05, limits=limits) as llm:
        use(monkeypatch, llm)
        result = run_cli("batch", "inbox", "--jobs", "8", "--report", "r.json")
    assert result.exit_code == 0, result.output
    assert set(outcomes(isolated / "r.json").values()) == {"drafted"}
    assert limits.refusals <= 1  # paced from the first answer's headers on: no stampede
    remembered = json.loads((isolated.parent / "user-cache" / "endpoints.json").read_text(encoding="utf-8"))
    assert remembered["127.0.0.1|gpt-4.1-mini"]["limits"]["requests"] == 600


def test_tokens_are_paced_at_the_tokens_limit(monkeypatch: pytest.MonkeyPatch, isolated: Path) -> None:
    many_inbox(isolated, 3)  # 6 files
    seen: list[int] = []

    def counted(request: dict[str, Any]) -> Any:
        seen.append(request_tokens(request))
        return answer(valid_answer(request))

    limits = RateLimits(tpm=600_000, token_burst=6_000)  # 10,000 a second, about two requests at once
    with FakeLLM(latency=0.05, limits=limits) as llm:
        llm.responder = counted
        use(monkeypatch, llm)
        result = run_cli("batch", "inbox", "--jobs", "6", "--report", "r.json")
    assert result.exit_code == 0, result.output
    assert set(outcomes(isolated / "r.json").values()) == {"drafted"}
    assert limits.refusals <= 1
    assert max(seen) < 6_000 and all(r["max_tokens"] < 2000 for r in llm.requests)  # room sized from the schema


def test_rpm_and_tpm_flags_pace_a_server_that_sends_no_headers(monkeypatch: pytest.MonkeyPatch, isolated: Path) -> None:
    many_inbox(isolated, 2)  # 5 files
    limits = RateLimits(rpm=120, burst=3, headers=False)  # enforces 2 a second (3 at once), says nothing
    with FakeLLM(limits=limits) as llm:
        use(monkeypatch, llm)
        (isolated / "enrich.toml").write_text("tpm = 10000000\n", encoding="utf-8")
        result = run_cli("batch", "inbox", "--jobs", "5", "--rpm", "120", "--report", "r.json")
    assert result.exit_code == 0, result.output
    assert set(outcomes(isolated / "r.json").values()) == {"drafted"}
    assert limits.refusals == 0  # a hand-set limit goes a second's worth at once, then evenly


def test_a_rate_limit_never_fails_a_file_while_its_deadline_allows(monkeypatch: pytest.MonkeyPatch, isolated: Path) -> None:
    make_inbox(isolated, ["zh-trade-article.txt"])
    refusal = error(429, "Rate limit reached. Please try again in 50ms.", code="rate_limit_exceeded", type_="requests")
    with FakeLLM() as llm:
        llm.push(*[refusal] * 7)  # more 429s than max_attempts
        use(monkeypatch, llm)
        result = run_cli("batch", "inbox", "--report", "r.json")
    assert result.exit_code == 0, result.output
    assert outcomes(isolated / "r.json") == {"zh-trade-article.txt": "drafted"}
    assert len(llm.requests) == 8


def test_insufficient_quota_stops_the_batch_at_once(monkeypatch: pytest.MonkeyPatch, isolated: Path) -> None:
    make_inbox(isolated, ["zh-trade-article.txt"])
    with FakeLLM() as llm:
        llm.push(error(429, "You exceeded your current quota", code="insufficient_quota", type_="insufficient_quota"))
        use(monkeypatch, llm)
        result = run_cli("batch", "inbox", "--report", "r.json")
    assert result.exit_code != 0 and "quota exhausted (insufficient_quota)" in result.stderr
    assert len(llm.requests) == 1  # never retried


def test_a_request_too_large_for_the_limit_fails_its_file_at_once(monkeypatch: pytest.MonkeyPatch, isolated: Path) -> None:
    make_inbox(isolated, ["zh-trade-article.txt"])
    limits = RateLimits(tpm=1000)
    with FakeLLM(limits=limits) as llm:
        use(monkeypatch, llm)
        result = run_cli("batch", "inbox", "--report", "r.json")
    assert result.exit_code == ExitStatus.FINDINGS, result.output
    assert "larger than the whole tokens-per-minute limit (limit 1000, requested" in result.output
    assert len(llm.requests) == 1 and limits.refused["too_large"] == 1


def test_max_cost_holds_with_jobs_and_drafts_what_fits(monkeypatch: pytest.MonkeyPatch, isolated: Path) -> None:
    make_inbox(isolated)
    with FakeLLM(latency=0.05) as llm:
        use(monkeypatch, llm)
        result = run_cli("batch", "inbox", "--max-cost", "0.002", "--jobs", "4", "--report", "r.json")
        assert result.exit_code == 0, result.output  # each file's estimate fits once the one before has cost less
        assert set(outcomes(isolated / "r.json").values()) == {"drafted"}
        for path in (isolated / "drafts").iterdir():
            path.unlink()
        (isolated / ".enrich").rename(isolated / "old-state")
        llm.responder = lambda request: answer(valid_answer(request), prompt_tokens=1000, completion_tokens=200)
        result = run_cli("batch", "inbox", "--max-cost", "0.0016", "--jobs", "4", "--report", "r.json")
    done = outcomes(isolated / "r.json")
    assert "drafted" in done.values() and "not-started" in done.values()  # $0.00072 a file: two fit, not three
    assert "spent $0.00" in result.stderr and "reserved for files in flight" in result.stderr
    totals = json.loads((isolated / "r.json").read_text(encoding="utf-8"))["totals"]
    assert totals["cost"] <= 0.0016
