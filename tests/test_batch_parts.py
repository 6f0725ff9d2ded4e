"""The pieces of `enrich batch` on their own: exit status, planning rules, lock, budget, progress and summaries."""

from __future__ import annotations

import io
import os
import shutil
from pathlib import Path

import pytest
from rich.console import Console

from enrich.batch.cache import CacheEntry, JsonlLog
from enrich.batch.lock import InboxLock, lock_path
from enrich.batch.plan import draft_name_clashes, skip_reason, will_call_model
from enrich.batch.prices import Budget, Price, price_for, price_table
from enrich.batch.progress import Progress, ProgressTracker
from enrich.batch.report import BatchResult, FileResult, Outcome
from enrich.batch.state import SiteState, path_key, review_log
from enrich.cli.progress import LiveProgress, PlainProgress
from enrich.cli.render import batch_summary, dry_run_summary
from enrich.errors import ConfigError, EndpointError, ExitStatus, LockedError
from tests.conftest import FIXTURES, run_cli


def result(*outcomes: Outcome, **extra: object) -> BatchResult:
    files = [FileResult(input=f"inbox/f{i}.txt", outcome=o) for i, o in enumerate(outcomes)]
    return BatchResult(inbox="inbox", out="drafts", model="gpt-4.1-mini", files=files, **extra)  # type: ignore[arg-type]


# -- exit status -------------------------------------------------------------------------------------


def test_the_result_decides_its_exit_status() -> None:
    assert result(Outcome.DRAFTED, Outcome.CACHED, Outcome.KEPT).exit_status == ExitStatus.OK
    assert result(Outcome.DRAFTED, Outcome.FAILED).exit_status == ExitStatus.FINDINGS
    budget = result(Outcome.DRAFTED, Outcome.NOT_STARTED, stopped="--max-cost $1.00 reached")
    assert budget.exit_status == ExitStatus.FINDINGS
    fatal = EndpointError("the endpoint rejected the API key", fatal=True)
    assert result(Outcome.FAILED, Outcome.NOT_STARTED, stopped="bad key", stop_error=fatal).exit_status == ExitStatus.ENDPOINT
    ctrl_c = result(Outcome.DRAFTED, Outcome.NOT_STARTED, stopped="interrupted", stop_error=fatal, interrupted=True)
    assert ctrl_c.exit_status == ExitStatus.INTERRUPTED
    assert result(Outcome.PLANNED, Outcome.FAILED, dry_run=True).exit_status == ExitStatus.OK  # a plan never fails


# -- planning rules ----------------------------------------------------------------------------------


def test_draft_name_clashes_within_the_inbox_and_with_another_inbox(isolated: Path) -> None:
    inbox = isolated / "inbox"
    inbox.mkdir()
    for name in ("a.txt", "a.srt", "b.txt"):
        (inbox / name).write_text("x", encoding="utf-8")
    out = isolated / "drafts"
    out.mkdir()
    other = isolated / "other" / "b.txt"
    other.parent.mkdir()
    other.write_text("y", encoding="utf-8")
    (out / "b.md").write_text("draft of the other b", encoding="utf-8")
    state = SiteState(isolated)
    state.record_written(other, out / "b.md", "k", "draft of the other b")
    inputs = sorted(inbox.iterdir())
    clashes = draft_name_clashes(inputs, out, state)
    assert set(clashes) == {path_key(inbox / "a.txt"), path_key(inbox / "b.txt")}  # a.srt came first
    assert "would be the same as that of a.srt" in str(clashes[path_key(inbox / "a.txt")].error)
    assert "was written for" in str(clashes[path_key(inbox / "b.txt")].error)
    other.unlink()  # the other input is gone: its draft may be replaced
    assert set(draft_name_clashes(inputs, out, state)) == {path_key(inbox / "a.txt")}


def test_skip_reasons_and_whether_the_model_will_be_needed(isolated: Path) -> None:
    from enrich.draft.build import build_drafter
    from enrich.settings import load_settings

    inbox = isolated / "inbox"
    inbox.mkdir()
    shutil.copy(FIXTURES / "zh-trade-article.txt", inbox / "a.txt")
    drafter, _ = build_drafter(load_settings({}), planning=True)
    prepared = drafter.prepare(inbox / "a.txt")
    state = SiteState(isolated)
    target = isolated / "drafts" / "a.md"
    entry = CacheEntry(key="k", text="cached draft", input="a.txt", input_sha256=prepared.source.sha256)
    assert skip_reason(state, inbox / "a.txt", prepared, entry, None, target) is None  # no draft yet: write it
    assert skip_reason(state, inbox / "a.txt", prepared, entry, "cached draft", target) == Outcome.UNCHANGED
    assert skip_reason(state, inbox / "a.txt", prepared, entry, "a person's text", target) == Outcome.KEPT
    state.record_written(inbox / "a.txt", target, "k", "an older draft")
    assert skip_reason(state, inbox / "a.txt", prepared, entry, "an older draft", target) is None  # batch's own: replace it
    assert will_call_model([inbox / "a.txt"], isolated / "drafts", state)
    review_log(isolated).append({"action": "reject", "input": "a.txt", "input_sha256": prepared.source.sha256})
    state.load()
    assert skip_reason(state, inbox / "a.txt", prepared, None, None, target) == Outcome.REVIEWED
    assert not will_call_model([inbox / "a.txt"], isolated / "drafts", state)


# -- lock and budget ---------------------------------------------------------------------------------


def test_the_inbox_lock_refuses_a_second_holder_and_is_released_on_exit(isolated: Path) -> None:
    inbox = isolated / "inbox"
    path = lock_path(isolated, inbox)
    assert path == lock_path(isolated, Path("inbox"))  # the same inbox however it is named
    with InboxLock(path, inbox):
        assert f"pid {os.getpid()}" in path.read_text(encoding="utf-8")
        with pytest.raises(LockedError, match="another enrich batch is running"), InboxLock(path, inbox):
            pass
    assert path.read_text(encoding="utf-8") == ""  # released and emptied
    with InboxLock(path, inbox):
        pass


def test_the_budget_reserves_for_requests_in_flight() -> None:
    budget = Budget("gpt-4.1-mini", price_table(), max_cost=1.0)
    assert budget.limited and budget.reserve(0.6) is None
    refused = budget.reserve(0.6)  # 0.6 already set aside for a request on the wire
    assert refused is not None and "--max-cost $1.00 reached" in refused
    budget.release(0.6)
    budget.spend(0.5)
    assert budget.reserve(0.4) is None and budget.reserve(0.2) is not None
    assert not Budget("llama3:8b", price_table(), max_cost=1.0).limited  # no price: the run refuses --max-cost


# -- progress ----------------------------------------------------------------------------------------


def test_jsonl_log_tolerates_a_torn_last_line(tmp_path: Path) -> None:
    log = JsonlLog(tmp_path / "log.jsonl")
    log.append({"a": 1})
    with log.path.open("ab") as handle:
        handle.write(b'{"a": 2, "b"')
    assert list(log.read()) == [{"a": 1}]
    log.append({"a": 3})
    assert list(log.read()) == [{"a": 1}, {"a": 3}]


def test_prices_match_snapshots_and_sites_override_them() -> None:
    table = price_table({"gpt-4.1-mini": {"input": 1, "output": 2}, "local": [0, 0]})
    assert price_for("gpt-4.1-mini-2025-04-14", table) == Price(1.0, 2.0)
    assert price_for("local", table) == Price(0.0, 0.0)
    assert price_for("mystery", table) is None
    with pytest.raises(ConfigError):
        price_table({"x": {"input": "cheap"}})


def test_progress_bar_on_a_terminal_and_plain_lines_otherwise() -> None:
    from rich.console import Console

    from enrich.cli.progress import LiveProgress, PlainProgress

    progress = Progress(total=4, done=1, failed=1, tokens=1500, cost=0.01)
    progress.last = FileResult(input="inbox/a.txt", outcome=Outcome.DRAFTED, tokens_in=100, tokens_out=50, calls=1)
    tty = io.StringIO()
    live = LiveProgress(Console(file=tty, force_terminal=True, width=120))
    live(progress)
    live.close()
    shown = tty.getvalue()
    assert "2/4" in shown and "ETA" in shown and "1.5k tokens" in shown and "$0.0100" in shown
    plain = io.StringIO()
    PlainProgress(plain)(progress)
    assert plain.getvalue() == "[2/4] drafted     a.txt (100+50 tokens)\n"


def test_plain_progress_prints_one_line_per_file_and_each_note_once() -> None:
    stream = io.StringIO()
    tracker = ProgressTracker(PlainProgress(stream))
    tracker.start(4)
    tracker.finished(FileResult(input="inbox/a.txt", outcome=Outcome.CACHED, flags=[{"kind": "x"}]))
    tracker.finished(FileResult(input="inbox/b.txt", outcome=Outcome.FAILED, error="inbox/b.txt: binary file"))
    for left in (3, 2, 1):
        tracker.note(f"rate limited: 1 file(s) parked, retrying in {left}s")
    tracker.note(None)
    tracker.finished(FileResult(input="inbox/c.txt", outcome=Outcome.NOT_STARTED, error="not started"))
    tracker.finished(FileResult(input="inbox/d.txt", outcome=Outcome.FAILED, error="bad key", fatal=True))
    assert stream.getvalue().splitlines() == [
        "[1/4] cached      a.txt, 1 flag(s)",
        "[2/4] failed      inbox/b.txt: binary file",
        "enrich: rate limited: 1 file(s) parked, retrying in 3s",
    ]  # not-started and fatal files are told once, in the summary
    assert tracker.progress.done == 1 and tracker.progress.failed == 3


def test_the_live_bar_fits_the_terminal_and_prints_failures_above_it() -> None:
    stream = io.StringIO()
    live = LiveProgress(Console(file=stream, force_terminal=True, width=60))
    progress = Progress(total=10, done=3, failed=1, tokens=2_500_000, cost=1.5, note="rate limited: parked a.txt")
    progress.last = FileResult(input="inbox/b.txt", outcome=Outcome.FAILED, error="inbox/b.txt: binary file")
    live(progress)
    live.close()
    shown = stream.getvalue()
    plain = _strip_ansi(shown)
    assert "inbox/b.txt: binary file" in plain and "4/10  ok 3  failed 1  2.50M tokens  $1.50" in plain and "ETA" in plain
    assert "rate limited: parked a.txt" in plain
    assert all(len(line) <= 60 for line in plain.splitlines())


def _strip_ansi(text: str) -> str:
    import re

    return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]|\r", "\n", text)


# -- summaries ----------------------------------------------------------------------------------------


def test_summaries_off_a_terminal_are_plain_and_never_cut_a_message() -> None:
    long_error = "inbox/" + "x" * 150 + ".txt: binary file"
    run = result(Outcome.DRAFTED, Outcome.FAILED, wall_seconds=1.0)
    run.files[1].error = long_error
    stream = io.StringIO()
    batch_summary(Console(file=stream, width=80), run)
    text = stream.getvalue()
    assert "\x1b" not in text and long_error in text
    assert not [line for line in text.splitlines() if line != line.rstrip()]
    rows = [line.split() for line in text.splitlines()]
    assert ["drafted", "1", "drafted", "with", "the", "model"] in rows and ["total", "2"] in rows
    plan = result(Outcome.PLANNED, dry_run=True, estimates=[("gpt-4.1-mini", 0.01), ("mystery", None)])
    stream = io.StringIO()
    dry_run_summary(Console(file=stream, width=80), plan)
    text = stream.getvalue()
    assert "1 to draft" in text and "<- --model / config" in text and 'no price: add [prices] "mystery"' in text


def test_status_and_review_never_import_the_batch_scheduler(isolated: Path) -> None:
    import subprocess
    import sys

    probe = (
        "import sys\nimport enrich.review.approve, enrich.review.status\n"
        "print(sorted(m for m in sys.modules if m.startswith('enrich.batch')))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "['enrich.batch', 'enrich.batch.cache', 'enrich.batch.state']"
    assert run_cli("status", "--json").exit_code == ExitStatus.CONFIG  # no inbox, no drafts: says so
