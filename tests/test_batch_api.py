"""`enrich batch --via batch-api | --via jsonl | --import` end to end against the fake server's Batch API."""

from __future__ import annotations

import json
import random
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from enrich.batch.jsonl import custom_id_for, files_needed, parse_results, request_line, split_requests
from enrich.testing.fakeserver import FakeLLM, completion, valid_answer
from tests.conftest import run_cli
from tests.test_batch import make_inbox, note_inbox, outcomes, report, subprocess_env, use

VIA = ("--via", "batch-api", "--poll", "0.02")
DRAFTS = ["en-podcast.md", "xK3mP9qL2wA.md", "zh-trade-article.md"]


def run_state(site: Path) -> dict[str, Any]:
    [state] = list((site / ".enrich" / "batches").glob("*/state.json"))
    data: dict[str, Any] = json.loads(state.read_text(encoding="utf-8"))
    return data


def without_times(text: str) -> str:
    return re.sub(r'"created": ?"[^"]*"|created: \S+', "", text)


def test_a_batch_run_drafts_every_file_with_the_live_request_at_half_the_price(
    fake_llm: FakeLLM, isolated: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_inbox(isolated)
    result = run_cli("batch", "inbox", *VIA, "--report", "r.json")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (isolated / "drafts").iterdir()) == DRAFTS
    assert fake_llm.batch.created == 1 and fake_llm.requests == []  # no live call at all
    data = report(isolated / "r.json")
    assert data["totals"]["drafted"] == 3 and data["ok"] is True
    batch_cost = data["totals"]["cost"]
    assert "batch price" in result.output and "completed (3/3 answered" in result.output
    [upload] = [c for f, c in fake_llm.batch.contents.items() if fake_llm.batch.files[f]["purpose"] == "batch"]
    lines = [json.loads(line) for line in upload.decode().splitlines()]
    assert {line["method"] for line in lines} == {"POST"} and {line["url"] for line in lines} == {"/v1/chat/completions"}

    # the same inbox drafted live, in another site: the same requests, the same drafts, twice the price
    live_site = tmp_path / "live-site"
    live_site.mkdir()
    make_inbox(live_site)
    monkeypatch.chdir(live_site)
    live = run_cli("batch", "inbox", "--jobs", "1", "--report", "r.json")
    assert live.exit_code == 0, live.output
    assert sorted(json.dumps(r, sort_keys=True) for r in fake_llm.requests) == sorted(
        json.dumps(line["body"], sort_keys=True) for line in lines
    )
    for name in DRAFTS:
        assert without_times((live_site / "drafts" / name).read_text("utf-8")) == without_times(
            (isolated / "drafts" / name).read_text("utf-8")
        )
    assert report(live_site / "r.json")["totals"]["cost"] == pytest.approx(2 * batch_cost, rel=0.01)

    monkeypatch.chdir(isolated)
    again = run_cli("batch", "inbox", *VIA, "--report", "r.json")  # nothing left to ask: no batch at all
    assert again.exit_code == 0, again.output
    assert fake_llm.batch.created == 1 and set(outcomes(isolated / "r.json").values()) == {"unchanged"}


def test_kill_9_while_polling_then_rerun_resumes_the_same_batch(isolated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    names = [f"note{i}.txt" for i in range(5)]
    note_inbox(isolated, names)
    with FakeLLM() as llm:
        llm.batch.hold = True
        proc = subprocess.Popen(
            [sys.executable, "-m", "enrich", "batch", "inbox", *VIA],
            cwd=isolated,
            env=subprocess_env(llm, isolated),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not (llm.batch.created and _polled(isolated)):
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert llm.batch.created == 1 and not (isolated / "drafts").exists()
        llm.batch.hold = False
        use(monkeypatch, llm)
        result = run_cli("batch", "inbox", *VIA, "--report", "r.json")
        assert result.exit_code == 0, result.output
        assert "resuming batch run" in result.output
        assert llm.batch.created == 1 and llm.batch.uploads == 1 and llm.requests == []
    assert sorted(p.name for p in (isolated / "drafts").iterdir()) == sorted(n.replace(".txt", ".md") for n in names)


def _polled(site: Path) -> bool:
    try:
        return bool(run_state(site)["parts"][0]["status"] == "in_progress")
    except (ValueError, IndexError, KeyError):
        return False


def test_a_kill_between_create_and_recording_the_id_finds_the_batch_again(fake_llm: FakeLLM, isolated: Path) -> None:
    make_inbox(isolated)
    fake_llm.batch.hold = True
    fake_llm.batch.phase_seconds = 0.01

    def killed(*_args: Any) -> None:
        raise KeyboardInterrupt  # stands in for the kill: the state is left as the last save wrote it

    import enrich.batch.api as api

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(api.BatchApiRun, "_poll", killed)
        run_cli("batch", "inbox", *VIA)
    state_file = next((isolated / ".enrich" / "batches").glob("*/state.json"))
    state = json.loads(state_file.read_text("utf-8"))
    state["parts"][0]["batch_id"] = None  # as if killed right after batches.create returned
    state["parts"][0]["input_file_id"] = None  # ... and after the upload
    state_file.write_text(json.dumps(state), "utf-8")
    fake_llm.batch.hold = False
    result = run_cli("batch", "inbox", *VIA)
    assert result.exit_code == 0, result.output
    assert fake_llm.batch.created == 1 and fake_llm.batch.uploads == 1  # found by metadata and file name
    assert sorted(p.name for p in (isolated / "drafts").iterdir()) == DRAFTS


def test_a_partly_failed_batch_drafts_the_rest_and_the_next_run_asks_again(fake_llm: FakeLLM, isolated: Path) -> None:
    make_inbox(isolated)
    fake_llm.batch.fail_lines = {0}
    result = run_cli("batch", "inbox", *VIA, "--report", "r.json")
    assert result.exit_code == 1, result.output
    got = outcomes(isolated / "r.json")
    assert sorted(got.values()) == ["drafted", "drafted", "not-started"]
    assert "left for the next run: its batch line failed (HTTP 400" in result.output
    assert "1 file(s) left for the next run" in result.output
    fake_llm.batch.fail_lines = set()
    again = run_cli("batch", "inbox", *VIA, "--report", "r.json")
    assert again.exit_code == 0, again.output
    assert fake_llm.batch.created == 2 and fake_llm.requests == []
    assert sorted(outcomes(isolated / "r.json").values()) == ["drafted", "unchanged", "unchanged"]
    uploads = [c for f, c in fake_llm.batch.contents.items() if fake_llm.batch.files[f]["purpose"] == "batch"]
    assert [len(c.splitlines()) for c in uploads] == [3, 1]  # only the failed one is paid for again


def test_every_line_failed_gives_no_output_file_and_nothing_breaks(fake_llm: FakeLLM, isolated: Path) -> None:
    make_inbox(isolated)
    fake_llm.batch.fail_lines = {0, 1, 2}
    result = run_cli("batch", "inbox", *VIA, "--report", "r.json")
    assert result.exit_code == 1, result.output
    [batch] = fake_llm.batch.batches.values()
    assert batch["output_file_id"] is None and batch["error_file_id"] is not None
    assert set(outcomes(isolated / "r.json").values()) == {"not-started"}


def test_an_expired_batch_keeps_its_partial_output_and_leaves_the_rest(fake_llm: FakeLLM, isolated: Path) -> None:
    make_inbox(isolated)
    fake_llm.batch.outcome, fake_llm.batch.expire_after = "expired", 1
    result = run_cli("batch", "inbox", *VIA, "--report", "r.json")
    assert result.exit_code == 1, result.output
    assert sorted(outcomes(isolated / "r.json").values()) == ["drafted", "not-started", "not-started"]
    assert "expired" in result.output and "2 file(s) left for the next run" in result.output
    fake_llm.batch.outcome = "completed"
    assert run_cli("batch", "inbox", *VIA).exit_code == 0
    assert sorted(p.name for p in (isolated / "drafts").iterdir()) == DRAFTS and fake_llm.batch.created == 2


def test_a_failed_batch_says_why_and_drafts_nothing(fake_llm: FakeLLM, isolated: Path) -> None:
    make_inbox(isolated)
    fake_llm.batch.outcome = "failed"
    result = run_cli("batch", "inbox", *VIA)
    assert result.exit_code == 1
    assert "the batch failed: line 1: line is not a chat request" in result.output


def test_an_answer_that_fails_validation_is_repaired_live(fake_llm: FakeLLM, isolated: Path) -> None:
    make_inbox(isolated, ["en-podcast.srt"])
    fake_llm.batch.answer = lambda body: completion(json.dumps({"title": ""}))
    result = run_cli("batch", "inbox", *VIA, "--report", "r.json")
    assert result.exit_code == 0, result.output
    assert len(fake_llm.requests) == 1  # the repair, live; the first answer came from the batch
    row = report(isolated / "r.json")["files"][0]
    assert row["outcome"] == "drafted" and row["calls"] == 2


def test_status_and_cancel(fake_llm: FakeLLM, isolated: Path) -> None:
    make_inbox(isolated)
    assert "no batch in progress" in run_cli("batch", "inbox", "--via", "batch-api", "--status").output
    fake_llm.batch.hold = True
    import enrich.batch.api as api

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(api.BatchApiRun, "_poll", lambda *_a: (_ for _ in ()).throw(KeyboardInterrupt()))
        stopped = run_cli("batch", "inbox", *VIA)
    assert stopped.exit_code == 130 and "keeps running at the provider" in stopped.output
    shown = run_cli("batch", "inbox", "--via", "batch-api", "--status")
    assert shown.exit_code == 0 and "in_progress" in shown.output
    cancelled = run_cli("batch", "inbox", "--via", "batch-api", "--cancel")
    assert cancelled.exit_code == 0 and "cancelled" in cancelled.output
    result = run_cli("batch", "inbox", *VIA, "--report", "r.json")
    assert result.exit_code == 1 and "cancelled before answering it" in result.output
    assert fake_llm.batch.created == 1


def test_jsonl_export_and_import_like_vllm_run_batch(fake_llm: FakeLLM, isolated: Path) -> None:
    make_inbox(isolated)
    exported = run_cli("batch", "inbox", "--via", "jsonl", "--requests", "requests.jsonl")
    assert exported.exit_code == 0, exported.output
    assert "vllm run-batch -i requests.jsonl -o results.jsonl" in exported.output
    lines = [json.loads(line) for line in (isolated / "requests.jsonl").read_text("utf-8").splitlines()]
    assert len(lines) == 3 and all(len(line["custom_id"]) <= 64 and line["custom_id"].isascii() for line in lines)
    assert run_cli("batch", "inbox", "--via", "jsonl", "--requests", "requests.jsonl").exit_code != 0  # never clobbered
    results = [
        {
            "id": f"vllm-{n}",
            "custom_id": line["custom_id"],
            "response": {
                "status_code": 200,
                "request_id": "r",
                "body": completion(json.dumps(valid_answer(line["body"]), ensure_ascii=False)),
            },
            "error": None,
        }
        for n, line in enumerate(lines[:2])
    ]
    random.Random(3).shuffle(results)
    (isolated / "results.jsonl").write_text("".join(json.dumps(r) + "\n" for r in results), "utf-8")
    imported = run_cli("batch", "inbox", "--import", "results.jsonl", "--report", "r.json")
    assert imported.exit_code == 1, imported.output  # one input had no line
    assert sorted(outcomes(isolated / "r.json").values()) == ["drafted", "drafted", "not-started"]
    assert "no line for it in results.jsonl" in imported.output and fake_llm.requests == []
    (isolated / "bad.jsonl").write_text("not json\n", "utf-8")
    bad = run_cli("batch", "inbox", "--import", "bad.jsonl")
    assert bad.exit_code != 0 and "bad.jsonl" in bad.output and "line 1" in bad.output


def test_custom_ids_are_short_ascii_and_split_files_keep_the_limits() -> None:
    key = "f" * 64
    assert len(custom_id_for(key)) == 64 and custom_id_for(key).isascii() and custom_id_for(key) != custom_id_for("e" * 64)
    lines = [("m1", f"id{n}", request_line(f"id{n}", {"model": "m1", "n": n})) for n in range(5)]
    lines.append(("m2", "other", request_line("other", {"model": "m2"})))
    files = split_requests(lines, max_lines=2)
    assert [(f.model, len(f.lines)) for f in files] == [("m1", 2), ("m1", 2), ("m1", 1), ("m2", 1)]
    by_size = split_requests(lines[:5], max_bytes=len(lines[0][2]) * 3)
    assert [len(f.lines) for f in by_size] == [3, 2] and all(f.size <= len(lines[0][2]) * 3 for f in by_size)
    assert files_needed(0, 0) == 0 and files_needed(120_000, 10) == 3 and files_needed(10, 450 * 1024 * 1024) == 3
    out = b'{"custom_id": "a", "response": {"status_code": 200, "body": {"x": 1}}, "error": null}\n'
    assert parse_results(out, source="o")["a"].body == {"x": 1}


def test_dry_run_shows_the_live_and_the_batch_price(isolated: Path) -> None:
    make_inbox(isolated)
    result = run_cli("batch", "inbox", "--dry-run")
    assert result.exit_code == 0, result.output
    found = re.search(r"live \$(\d+\.\d+), through the Batch API \(--via batch-api\) \$(\d+\.\d+); 1 batch file", result.output)
    assert found, result.output
    assert float(found.group(2)) == pytest.approx(float(found.group(1)) / 2, abs=0.0001)


def test_a_long_transcript_is_drafted_live_not_in_the_batch(fake_llm: FakeLLM, isolated: Path) -> None:
    inbox = make_inbox(isolated, ["en-podcast.srt"])
    text = "\n\n".join(f"Part {i}: " + "The factory robots need better fixtures and data. " * 40 for i in range(12))
    (inbox / "long.txt").write_text(text, encoding="utf-8")
    result = run_cli("batch", "inbox", *VIA, "--max-input-tokens", "4000", "--report", "r.json")
    assert result.exit_code == 0, result.output
    assert set(outcomes(isolated / "r.json").values()) == {"drafted"}
    names = [r["response_format"]["json_schema"]["name"] for r in fake_llm.requests]
    assert names.count("notes") >= 2 and names[-1] == "front_matter"  # the notes and the merge went live
    assert fake_llm.batch.created == 1
    state = next((isolated / ".enrich" / "batches").glob("*-done-*/state.json"))
    assert len(json.loads(state.read_text("utf-8"))["live"]) >= 1


def test_without_an_endpoint_or_with_live_only_options_one_clear_line(isolated: Path) -> None:
    make_inbox(isolated)
    result = run_cli("batch", "inbox", "--via", "batch-api")
    assert result.exit_code != 0 and "Traceback" not in result.output and not (isolated / ".enrich" / "batches").exists()
    refused = run_cli("batch", "inbox", "--via", "batch-api", "--max-cost", "1")
    assert refused.exit_code != 0 and "--max-cost is for live drafting" in refused.output
    assert "--status and --cancel are for --via batch-api" in run_cli("batch", "inbox", "--status").output


def test_a_draft_a_person_edited_is_neither_asked_for_nor_replaced(fake_llm: FakeLLM, isolated: Path) -> None:
    make_inbox(isolated)
    mine = isolated / "drafts" / "en-podcast.md"
    mine.parent.mkdir()
    mine.write_text("---\ntitle: mine\n---\nmy words\n", encoding="utf-8")
    result = run_cli("batch", "inbox", *VIA, "--report", "r.json")
    assert result.exit_code == 0, result.output
    assert outcomes(isolated / "r.json")["en-podcast.srt"] == "kept"
    assert mine.read_text(encoding="utf-8") == "---\ntitle: mine\n---\nmy words\n"
    [batch] = fake_llm.batch.batches.values()
    assert batch["request_counts"]["total"] == 2


def test_requests_over_the_line_limit_go_into_several_batches(fake_llm: FakeLLM, isolated: Path) -> None:
    from enrich.batch.api import BatchApiRun, RemoteOptions
    from enrich.draft.build import build_drafter
    from enrich.settings import load_settings

    make_inbox(isolated)
    drafter, _ = build_drafter(load_settings({}), planning=True)
    options = RemoteOptions(isolated / "inbox", isolated / "drafts", poll=0.02, max_lines=2)
    remote = BatchApiRun(drafter, options).run()
    assert remote.created == 2 and fake_llm.batch.created == 2
    assert remote.result.ok and sorted(p.name for p in (isolated / "drafts").iterdir()) == DRAFTS
    assert sum("completed" in note for note in remote.notes) == 2
