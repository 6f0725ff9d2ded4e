"""Pieces of a fast batch on their own: the manifest's shared fsync, and the benchmarks' realistic answers."""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

import pytest

from enrich.batch.cache import JsonlLog
from enrich.testing.approved import ApprovedAnswers


def test_lines_appended_together_share_an_fsync_and_each_is_durable_when_append_returns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = JsonlLog(tmp_path / "manifest.jsonl")
    real_fsync = os.fsync
    synced: list[int] = []  # the file's size at each fsync

    def slow_fsync(fd: int) -> None:
        size = os.fstat(fd).st_size
        time.sleep(0.05)  # a loaded disk
        real_fsync(fd)
        synced.append(size)

    monkeypatch.setattr(os, "fsync", slow_fsync)
    returned: list[tuple[int, int]] = []  # (line number, fsyncs done when its append returned)
    lock = threading.Lock()
    start = threading.Barrier(16)

    def worker(n: int) -> None:
        start.wait()
        log.append({"n": n})
        with lock:
            returned.append((n, len(synced)))

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(r["n"] for r in log.read()) == list(range(16))
    assert len(synced) < 8  # one fsync in a row each would be 16
    lines = (tmp_path / "manifest.jsonl").read_bytes().splitlines(keepends=True)
    ends = {json.loads(line)["n"]: sum(map(len, lines[: i + 1])) for i, line in enumerate(lines)}
    for n, done in returned:
        assert done and max(synced[:done]) >= ends[n]  # an fsync that covered its line came before it returned


def test_the_fake_answers_with_the_approved_posts_values_for_the_transcript_it_is_sent(tmp_path: Path) -> None:
    raw, posts = tmp_path / "raw", tmp_path / "posts"
    raw.mkdir()
    posts.mkdir()
    words = " ".join(f"word{n}" for n in range(400))
    (raw / "abcdefghijk.txt").write_text(f"Sam Altman and OpenAI\n{words}\n", encoding="utf-8")
    (raw / "zyxwvutsrqp.txt").write_text("other " * 300, encoding="utf-8")
    (posts / "abcdefghijk.md").write_text(
        "---\ntitle: 真正的标题\ntags:\n  - ai-policy\n  - Not Kebab\n"
        "people:\n  - Sam Altman\n  - 某人\ncategory: ai-ml\n---\nbody\n",
        encoding="utf-8",
    )
    approved = ApprovedAnswers(raw, posts)
    entity = {"type": "object", "properties": {"name": {"type": "string"}, "mention": {"type": "string"}}}
    schema = {
        "type": "object",
        "properties": {
            "title": {"type": "string"},
            "tags": {"type": "array", "items": {"type": "string", "pattern": "^[a-z0-9]+(?:-[a-z0-9]+)*$"}},
            "people": {"type": "array", "items": entity},
            "category": {"type": "string", "enum": ["ai-ml", "general"]},
        },
    }
    cleaned = "Sam Altman and OpenAI " + words.replace(" ", "\n")  # the cleaning reflowed its lines
    request = {
        "messages": [
            {"role": "system", "content": "rules"},
            {"role": "user", "content": f"<transcript>\n{cleaned}\n</transcript>"},
        ],
        "response_format": {"type": "json_schema", "json_schema": {"name": "front_matter", "schema": schema}},
    }
    body = json.loads(approved(request).body or b"{}")
    values = json.loads(body["choices"][0]["message"]["content"])
    assert values["title"] == "真正的标题" and values["category"] == "ai-ml"
    assert values["people"] == [{"name": "Sam Altman", "mention": "Sam Altman"}, {"name": "某人", "mention": "某人"}]
    assert values["tags"] == ["alpha-topic", "beta-topic", "gamma-topic"]  # `Not Kebab` does not fit: replaced
    assert approved.replaced == {"tags": 1} and approved.matched == 1 and approved.names == 2
    repair = {**request, "messages": [{"role": "user", "content": "fix this answer"}]}
    approved(repair)
    assert approved.unmatched == 1


def test_while_the_first_request_goes_alone_one_on_the_wire_is_all_batch_waits_for() -> None:
    from enrich.model.gate import RateGate
    from enrich.model.limiter import Limiter
    from enrich.model.policy import Deadline

    gate = RateGate(max_in_flight=16)
    limiter = Limiter(remembered=None)  # a new endpoint: its first request probes alone
    gate.alone = lambda: limiter.probing
    with gate.slot():
        assert gate.wait_for_requests(16, timeout=0.5)  # the extra workers start now, not after the probe's answer
        ticket = limiter.acquire(lambda: 0.0, Deadline(30))
        limiter.observe({}, ticket)  # the answer: no limits
        assert not gate.wait_for_requests(16, timeout=0.05)  # from now on the first 16 requests are waited for
