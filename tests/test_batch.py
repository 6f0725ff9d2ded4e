"""`enrich batch INBOX` end to end against the fake server: cache, resume, lock, rate limits, budgets."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from enrich.batch.cache import JsonlLog
from enrich.batch.lock import InboxLock, lock_path
from enrich.errors import ExitStatus
from enrich.testing.fakeserver import FakeLLM, Reply, answer, error, valid_answer
from tests.conftest import FIXTURES, REPO, run_cli
from tests.faults import interruptible

KEY = "sk-test-SECRET-0123456789abcdef"
GOOD = ["zh-trade-article.txt", "en-podcast.srt", "xK3mP9qL2wA.txt", "xK3mP9qL2wA.info.json"]


def make_inbox(site: Path, names: list[str] = GOOD) -> Path:
    inbox = site / "inbox"
    inbox.mkdir(exist_ok=True)
    for name in names:
        shutil.copy(FIXTURES / name, inbox / name)
    return inbox


def use(monkeypatch: pytest.MonkeyPatch, llm: FakeLLM) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", llm.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", KEY)


def report(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def outcomes(path: Path) -> dict[str, str]:
    return {Path(f["input"]).name: f["outcome"] for f in report(path)["files"]}


def test_batch_drafts_every_file_and_rerun_costs_nothing(fake_llm: FakeLLM, isolated: Path) -> None:
    make_inbox(isolated)
    result = run_cli("batch", "inbox", "--jobs", "3", "--report", "r.json")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (isolated / "drafts").iterdir()) == ["en-podcast.md", "xK3mP9qL2wA.md", "zh-trade-article.md"]
    assert len(fake_llm.requests) == 3
    data = report(isolated / "r.json")
    assert data["totals"]["drafted"] == 3 and data["totals"]["calls"] == 3 and data["ok"] is True
    row = data["files"][0]
    assert {"input", "outcome", "draft", "key", "tokens_in", "tokens_out", "cost", "seconds", "flags"} <= set(row)
    assert row["tokens_in"] == 100 and row["cost"] > 0
    assert "drafted" in result.output and "total" in result.output

    again = run_cli("batch", "inbox", "--report", "r.json")
    assert again.exit_code == 0, again.output
    assert len(fake_llm.requests) == 3  # not a single new call
    assert set(outcomes(isolated / "r.json").values()) == {"unchanged"}


IMPORTS_OPENAI = """
import sys
from enrich.cli import main
try:
    main(sys.argv[1:])
except SystemExit as exc:
    print(exc.code, "openai" in sys.modules)
"""


def batch_in_subprocess(*args: str) -> str:
    """Exit status and whether the openai client was imported, for one `enrich batch` in a fresh interpreter."""
    done = subprocess.run([sys.executable, "-c", IMPORTS_OPENAI, "batch", *args], capture_output=True, text=True, timeout=120)
    return done.stdout.strip().splitlines()[-1]


def test_a_rerun_with_nothing_to_draft_and_an_offline_batch_never_import_openai(fake_llm: FakeLLM, isolated: Path) -> None:
    make_inbox(isolated)
    assert batch_in_subprocess("inbox", "--jobs", "3") == "0 True"
    assert batch_in_subprocess("inbox", "--jobs", "3") == "0 False"  # every draft in place: no client at all
    assert len(fake_llm.requests) == 3
    assert batch_in_subprocess("inbox", "--offline", "--out", "offline-drafts") == "0 False"
    assert len(list((isolated / "offline-drafts").glob("*.md"))) == 3


def test_changed_input_is_redrafted_and_deleted_draft_comes_from_cache(fake_llm: FakeLLM, isolated: Path) -> None:
    inbox = make_inbox(isolated)
    run_cli("batch", "inbox")
    first = (isolated / "drafts" / "en-podcast.md").read_text(encoding="utf-8")
    with (inbox / "en-podcast.srt").open("a", encoding="utf-8") as handle:
        handle.write("\n99\n00:09:00,000 --> 00:09:02,000\nOne more line about the migration.\n")
    (isolated / "drafts" / "zh-trade-article.md").unlink()
    result = run_cli("batch", "inbox", "--report", "r.json")
    assert result.exit_code == 0, result.output
    assert len(fake_llm.requests) == 4  # only the changed input
    got = outcomes(isolated / "r.json")
    assert got["en-podcast.srt"] == "drafted" and got["zh-trade-article.txt"] == "cached"
    assert (isolated / "drafts" / "en-podcast.md").read_text(encoding="utf-8") != first
    assert (isolated / "drafts" / "zh-trade-article.md").is_file()


def test_a_new_vocabulary_or_a_cleared_cache_does_not_pay_again_for_drafts_in_place(fake_llm: FakeLLM, isolated: Path) -> None:
    shutil.copytree(FIXTURES / "vocab" / "posts", isolated / "content")
    assert run_cli("vocab", "build", "content").exit_code == 0
    inbox = make_inbox(isolated)
    assert run_cli("batch", "inbox").exit_code == 0
    paid = len(fake_llm.requests)
    drafts = {p.name: p.read_bytes() for p in (isolated / "drafts").glob("*.md")}
    # a post approved since: the vocabulary is rebuilt, so every cache key changes
    (isolated / "content" / "new.md").write_text("---\ntitle: New\ntags: [brand-new]\n---\nbody\n", encoding="utf-8")
    assert run_cli("vocab", "build", "content").exit_code == 0
    result = run_cli("batch", "inbox", "--report", "r.json")
    assert result.exit_code == 0, result.output
    assert len(fake_llm.requests) == paid  # nothing paid again
    assert set(outcomes(isolated / "r.json").values()) == {"unchanged"}
    assert {p.name: p.read_bytes() for p in (isolated / "drafts").glob("*.md")} == drafts
    shutil.rmtree(isolated / ".enrich" / "cache")  # the same with the draft cache gone
    assert run_cli("batch", "inbox").exit_code == 0 and len(fake_llm.requests) == paid
    # what does change the work is drafted: a changed input, a deleted draft
    with (inbox / "zh-trade-article.txt").open("a", encoding="utf-8") as handle:
        handle.write("\n补充一段新的内容。\n")
    (isolated / "drafts" / "en-podcast.md").unlink()
    result = run_cli("batch", "inbox", "--report", "r.json")
    got = outcomes(isolated / "r.json")
    assert got["zh-trade-article.txt"] == "drafted" and got["en-podcast.srt"] == "drafted"
    assert got["xK3mP9qL2wA.txt"] == "unchanged"


def test_a_draft_a_person_edited_is_never_overwritten(fake_llm: FakeLLM, isolated: Path) -> None:
    inbox = make_inbox(isolated)
    run_cli("batch", "inbox")
    draft = isolated / "drafts" / "zh-trade-article.md"
    edited = draft.read_text(encoding="utf-8").replace("title:", "title: 人工", 1)
    draft.write_text(edited, encoding="utf-8")
    with (inbox / "zh-trade-article.txt").open("a", encoding="utf-8") as handle:
        handle.write("\n补充一段新的内容。\n")
    result = run_cli("batch", "inbox", "--report", "r.json")
    assert result.exit_code == 0, result.output
    assert outcomes(isolated / "r.json")["zh-trade-article.txt"] == "kept"
    assert len(fake_llm.requests) == 3  # never pays for a draft it would not write
    assert draft.read_text(encoding="utf-8") == edited
    assert "kept" in result.output


def test_resume_after_a_crash_left_a_temp_file_and_a_torn_manifest_line(fake_llm: FakeLLM, isolated: Path) -> None:
    inbox = make_inbox(isolated)
    run_cli("batch", "inbox")
    drafts = isolated / "drafts"
    # a kill -9 mid-write: a temp file beside the drafts, a draft not written yet, half a manifest line
    stale = drafts / ".en-podcast.md.x1y2z3.tmp"
    stale.write_text("---\ntitle: half", encoding="utf-8")
    old = time.time() - 60
    os.utime(stale, (old, old))
    (drafts / "en-podcast.md").unlink()
    manifest = isolated / ".enrich" / "manifest.jsonl"
    with manifest.open("a", encoding="utf-8") as handle:
        handle.write('{"event":"wrote","draft":"/x/en-po')
    with (inbox / "zh-trade-article.txt").open("a", encoding="utf-8") as handle:
        handle.write("\n又一段。\n")  # so this run appends after the torn line
    result = run_cli("batch", "inbox", "--report", "r.json")
    assert result.exit_code == 0, result.output
    assert len(fake_llm.requests) == 4  # only the changed input: nothing finished is done again
    assert outcomes(isolated / "r.json")["en-podcast.srt"] == "cached"
    assert not stale.exists()
    assert (drafts / "en-podcast.md").is_file()
    records = list(JsonlLog(manifest).read())
    assert len(records) == 4 and manifest.read_text(encoding="utf-8").endswith("}\n")
    assert records[-1]["draft"].endswith("zh-trade-article.md")


def note_inbox(site: Path, names: list[str]) -> None:
    """An inbox of distinct Chinese articles, one per name."""
    inbox = site / "inbox"
    inbox.mkdir()
    text = (FIXTURES / "zh-trade-article.txt").read_text(encoding="utf-8")
    for i, name in enumerate(names):
        (inbox / name).write_text(f"第{i}篇。\n" + text, encoding="utf-8")


def subprocess_env(llm: FakeLLM, site: Path) -> dict[str, str]:
    """The environment for `enrich` run as a subprocess against `llm`, with no user settings leaking in."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "ENRICH_"))}
    env.update(OPENAI_BASE_URL=llm.base_url, OPENAI_API_KEY=KEY, ENRICH_CACHE_DIR=str(site / "uc"))
    return env


def test_kill_9_mid_run_then_rerun_finishes_without_redoing_work(isolated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    names = [f"note{i}.txt" for i in range(8)]
    note_inbox(isolated, names)
    with FakeLLM(latency=0.25) as llm:
        env = subprocess_env(llm, isolated)
        proc = subprocess.Popen(
            [sys.executable, "-m", "enrich", "batch", "inbox", "--jobs", "2"],
            cwd=isolated,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        cache = isolated / ".enrich" / "cache"
        deadline = time.monotonic() + 90  # generous: a loaded machine can starve the child for a while
        while time.monotonic() < deadline and len(list(cache.rglob("*.json"))) < 3:
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        finished = len(list(cache.rglob("*.json")))
        assert 3 <= finished < len(names)
        before = len(llm.requests)
        use(monkeypatch, llm)
        result = run_cli("batch", "inbox", "--jobs", "4", "--report", "r.json")
        assert result.exit_code == 0, result.output
        assert len(llm.requests) - before == len(names) - finished  # finished files cost nothing again
    assert not list((isolated / "drafts").glob(".*.tmp"))
    drafts = sorted((isolated / "drafts").iterdir())
    assert [p.name for p in drafts] == sorted(n.replace(".txt", ".md") for n in names)  # no partial, no duplicate
    for draft in drafts:
        text = draft.read_text(encoding="utf-8")
        assert text.startswith("---\n") and "# enrich-provenance: " in text


def test_ctrl_c_lets_sent_requests_land_then_reports_and_a_rerun_goes_on(isolated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    names = [f"note{i}.txt" for i in range(6)]
    note_inbox(isolated, names)
    with FakeLLM(latency=1.0) as llm:
        env = subprocess_env(llm, isolated)
        proc = subprocess.Popen(
            [sys.executable, "-m", "enrich", "batch", "inbox", "--jobs", "2", "--report", "r.json", "--no-progress"],
            preexec_fn=interruptible,
            cwd=isolated,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 90  # generous: a loaded machine can starve the child for a while
        while time.monotonic() < deadline and len(llm.requests) < 2:
            time.sleep(0.02)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
        assert proc.returncode == ExitStatus.INTERRUPTED
        assert "stopped early: interrupted (Ctrl-C)" in err and "Traceback" not in err
        sent = len(llm.requests)
        totals = report(isolated / "r.json")["totals"]
        assert totals["drafted"] == sent >= 2  # what was sent was paid for, and is kept
        assert totals["not_started"] == len(names) - sent and "not-started" in out
        assert len(list((isolated / "drafts").glob("*.md"))) == sent

        use(monkeypatch, llm)
        result = run_cli("batch", "inbox", "--jobs", "3", "--report", "r.json")
        assert result.exit_code == 0, result.output
        assert len(llm.requests) == len(names)  # nothing paid twice
    assert len(list((isolated / "drafts").glob("*.md"))) == len(names)


def test_ctrl_c_before_every_file_was_handed_out_still_reports_each(
    fake_llm: FakeLLM, isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from enrich.batch.run import BatchRun

    make_inbox(isolated, [*GOOD, "zh-rolling.vtt", "en-notes.md"])

    def interrupted(self: BatchRun, first: list[Any], count: int) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(BatchRun, "_wait_for_first_requests", interrupted)
    result = run_cli("batch", "inbox", "--jobs", "2", "--report", "r.json")
    assert result.exit_code == ExitStatus.INTERRUPTED
    got = outcomes(isolated / "r.json")
    assert len(got) == 5 and set(got.values()) <= {"drafted", "not-started"}
    assert list(got.values()).count("not-started") >= 3  # only the first two files were handed out
    assert list(got.values()).count("drafted") == len(fake_llm.requests)


def test_a_second_batch_on_the_same_inbox_is_refused_and_a_stale_lock_does_not_block(fake_llm: FakeLLM, isolated: Path) -> None:
    inbox = make_inbox(isolated)
    path = lock_path(isolated, inbox)
    with InboxLock(path, inbox):
        result = run_cli("batch", "inbox")
    assert result.exit_code == ExitStatus.LOCKED
    assert "another enrich batch is running on this inbox" in result.stderr and f"pid {os.getpid()}" in result.stderr
    assert not fake_llm.requests
    path.write_text("pid 999999, started long ago\n", encoding="utf-8")  # left by a killed run: no flock held
    result = run_cli("batch", "inbox")
    assert result.exit_code == 0, result.output


def test_a_429_holds_every_worker(isolated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make_inbox(isolated, [f"{n}" for n in GOOD] + ["zh-rolling.vtt", "en-notes.md"])
    times: list[float] = []
    lock = threading.Lock()

    def responder(request: dict[str, Any]) -> Reply:
        with lock:
            times.append(time.monotonic())
            first = len(times) == 1
        if first:
            return Reply(**{**error(429, "slow down", headers={"retry-after": "1"}).__dict__, "delay": 0.001})
        return answer(valid_answer(request))

    with FakeLLM(latency=0.3) as llm:
        llm.responder = responder
        use(monkeypatch, llm)
        result = run_cli("batch", "inbox", "--jobs", "2")
        assert result.exit_code == 0, result.output
        assert llm.max_active <= 2
    limited_at = times[0]
    later = times[2:]  # the second request was already in flight when the 429 came
    assert len(later) == 4 and min(later) >= limited_at + 0.9


def test_a_file_parked_on_a_long_retry_after_is_drafted_later(isolated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make_inbox(isolated)
    with FakeLLM() as llm:
        llm.push(error(429, "come back later", headers={"retry-after-ms": "1500"}))
        use(monkeypatch, llm)
        result = run_cli("batch", "inbox", "--jobs", "1", "--deadline", "1", "--report", "r.json")
        assert result.exit_code == 0, result.output
        assert "parked" in result.output
        assert set(outcomes(isolated / "r.json").values()) == {"drafted"}
        assert len(llm.requests) == 4


def test_a_fatal_error_stops_the_batch_with_one_message(isolated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    inbox = isolated / "inbox"
    inbox.mkdir()
    for i in range(12):
        shutil.copy(FIXTURES / "zh-trade-article.txt", inbox / f"t{i:02d}.txt")
    with FakeLLM() as llm:
        llm.responder = lambda request: error(401, "Incorrect API key provided", code="invalid_api_key")
        use(monkeypatch, llm)
        result = run_cli("batch", "inbox", "--jobs", "2", "--report", "r.json")
        assert result.exit_code == ExitStatus.ENDPOINT
        assert result.output.count("rejected the API key") == 1
        assert "stopped early" in result.stderr
        assert len(llm.requests) <= 4
    data = report(isolated / "r.json")
    assert data["totals"]["not_started"] >= 8 and data["ok"] is False
    assert KEY not in result.output and KEY not in (isolated / "r.json").read_text(encoding="utf-8")


def test_one_bad_file_is_reported_and_the_others_are_drafted(fake_llm: FakeLLM, isolated: Path) -> None:
    inbox = make_inbox(isolated)
    (inbox / "broken.txt").write_bytes(b"\x00\x01\x02binary" * 100)
    (inbox / "notes.pdf").write_bytes(b"%PDF-1.4")
    result = run_cli("batch", "inbox", "--report", "r.json")
    assert result.exit_code == ExitStatus.FINDINGS
    got = outcomes(isolated / "r.json")
    assert got["broken.txt"] == "failed" and got["notes.pdf"] == "failed"
    assert [v for k, v in got.items() if k not in ("broken.txt", "notes.pdf")] == ["drafted"] * 3
    assert "inbox/broken.txt: binary file" in result.stdout and "unsupported file type .pdf" in result.stdout


def test_two_inputs_with_one_draft_name_do_not_clobber(fake_llm: FakeLLM, isolated: Path) -> None:
    inbox = make_inbox(isolated, ["en-podcast.srt"])
    shutil.copy(FIXTURES / "en-notes.md", inbox / "en-podcast.md")
    result = run_cli("batch", "inbox", "--report", "r.json")
    assert result.exit_code == ExitStatus.FINDINGS
    got = outcomes(isolated / "r.json")
    assert sorted(got.values()) == ["drafted", "failed"]
    assert "would be the same as that of" in result.stdout


def test_a_draft_written_for_an_input_in_another_inbox_is_not_replaced(fake_llm: FakeLLM, isolated: Path) -> None:
    for folder, line in (("inbox-a", "第一篇。"), ("inbox-b", "第二篇。")):
        (isolated / folder).mkdir()
        text = line + "\n" + (FIXTURES / "zh-trade-article.txt").read_text(encoding="utf-8")
        (isolated / folder / "note.txt").write_text(text, encoding="utf-8")
    assert run_cli("batch", "inbox-a").exit_code == 0
    draft = isolated / "drafts" / "note.md"
    first = draft.read_text(encoding="utf-8")

    result = run_cli("batch", "inbox-b", "--report", "r.json")
    assert result.exit_code == ExitStatus.FINDINGS
    assert "was written for" in result.output and "inbox-a" in result.output and "another --out" in result.output
    assert draft.read_text(encoding="utf-8") == first and len(fake_llm.requests) == 1
    assert run_cli("batch", "inbox-b", "--dry-run").exit_code == 0  # the plan says so too, without failing
    assert run_cli("batch", "inbox-b", "--out", "drafts-b").exit_code == 0

    (isolated / "inbox-a" / "note.txt").unlink()  # the first input is gone: its draft may now be replaced
    assert run_cli("batch", "inbox-b").exit_code == 0
    assert draft.read_text(encoding="utf-8") != first


def test_dry_run_counts_offline_and_prices_per_model(isolated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make_inbox(isolated)
    (isolated / "enrich.toml").write_text('[prices]\n"my-local" = { input = 0.0, output = 0.0 }\n', encoding="utf-8")
    with FakeLLM() as llm:
        use(monkeypatch, llm)
        result = run_cli("batch", "inbox", "--dry-run", "--report", "r.json")
        assert not llm.requests
    assert result.exit_code == 0, result.output
    assert "3 to draft" in result.stdout and "no model was called" in result.stdout
    assert "gpt-4.1-mini" in result.stdout and "<- --model / config" in result.stdout and "my-local" in result.stdout
    data = report(isolated / "r.json")
    assert data["dry_run"] is True and all(f["estimate_in"] > 100 for f in data["files"])
    assert not (isolated / "drafts").exists()


def test_dry_run_needs_no_endpoint_and_knows_what_is_cached(
    fake_llm: FakeLLM, isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_inbox(isolated)
    run_cli("batch", "inbox")
    monkeypatch.delenv("OPENAI_BASE_URL")
    monkeypatch.delenv("OPENAI_API_KEY")
    result = run_cli("batch", "inbox", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "0 to draft, 3 already drafted or cached" in result.stdout


def test_max_cost_stops_starting_files(fake_llm: FakeLLM, isolated: Path) -> None:
    make_inbox(isolated)
    result = run_cli("batch", "inbox", "--max-cost", "0.000001", "--report", "r.json")
    assert result.exit_code == ExitStatus.FINDINGS
    assert "--max-cost" in result.stderr and not fake_llm.requests
    assert set(outcomes(isolated / "r.json").values()) == {"not-started"}
    result = run_cli("batch", "inbox", "--max-cost", "5")
    assert result.exit_code == 0, result.output
    assert len(fake_llm.requests) == 3


def test_max_cost_needs_a_price(fake_llm: FakeLLM, isolated: Path) -> None:
    make_inbox(isolated)
    result = run_cli("batch", "inbox", "--model", "llama3:8b", "--max-cost", "1")
    assert result.exit_code == ExitStatus.CONFIG
    assert "[prices]" in result.stderr


def test_move_done_moves_inputs_and_their_sidecars(fake_llm: FakeLLM, isolated: Path) -> None:
    inbox = make_inbox(isolated)
    result = run_cli("batch", "inbox", "--move-done", "done")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (isolated / "done").iterdir()) == sorted(GOOD)
    assert not list(inbox.iterdir())


def test_inputs_are_never_modified(fake_llm: FakeLLM, isolated: Path) -> None:
    inbox = make_inbox(isolated)
    before = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in inbox.iterdir()}
    run_cli("batch", "inbox")
    assert {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in inbox.iterdir()} == before


def test_no_secret_in_cache_manifest_or_report(fake_llm: FakeLLM, isolated: Path) -> None:
    make_inbox(isolated)
    run_cli("batch", "inbox", "--report", "r.json")
    for path in [isolated / "r.json", *(isolated / ".enrich").rglob("*")]:
        if path.is_file():
            assert KEY not in path.read_text(encoding="utf-8", errors="replace")


def test_a_batch_with_the_live_bar_forced_on_still_summarises(fake_llm: FakeLLM, isolated: Path) -> None:
    make_inbox(isolated)
    result = run_cli("batch", "inbox", "--progress")
    assert result.exit_code == 0, result.output
    assert "ETA" in result.stderr and "drafted" in result.stdout and len(fake_llm.requests) == 3


def test_bench_script_exists() -> None:
    assert (REPO / "bench" / "bench_batch.py").is_file()
