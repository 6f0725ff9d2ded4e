"""Crash safety and concurrency of writes: `kill -9` inside one draft's write, two runs on one draft, two
batches into one `--out`, and a second Ctrl-C that stops at once.

Every run is a real `enrich` process (or the click runner) against the fake server on loopback.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from enrich.frontmatter.split import split_front_matter
from enrich.testing.fakeserver import FakeLLM, Reply, answer, valid_answer
from tests.faults import TRANSCRIPT, clean_failure, cli, inbox, interruptible, temp_files, transcript

SECRET = "sk-test-SECRET-0123456789abcdef"
REPEATS = int(os.environ.get("ENRICH_SLOW_REPEATS", "3"))  # CI bounds it; locally raise it for a soak
ENRICH = [sys.executable, "-m", "enrich"]


def _slow_writes(seconds: float) -> list[str]:
    """enrich with every fsync slowed down, so that a kill or a Ctrl-C lands inside a write (temp file written,
    not yet renamed)."""
    code = (
        "import os, sys, time\n"
        "real = os.fsync\n"
        "def slow(fd):\n"
        f"    time.sleep({seconds})\n"
        "    real(fd)\n"
        "os.fsync = slow\n"
        "from enrich.cli import main\n"
        "sys.argv[0] = 'enrich'\n"
        "main()\n"
    )
    return [sys.executable, "-c", code]


def _whole(draft: Path) -> bool:
    """A draft that reads back: front matter that is a mapping, and the transcript's body after it."""
    split = split_front_matter(draft.read_text(encoding="utf-8"))
    return split is not None and isinstance(yaml.safe_load(split[0]), dict) and TRANSCRIPT.strip()[:40] in split[1]


def _env(llm: FakeLLM) -> dict[str, str]:
    return {**os.environ, "OPENAI_BASE_URL": llm.base_url, "OPENAI_API_KEY": SECRET}


def _wait_for(condition: Any, seconds: float = 60.0) -> None:
    ends = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < ends, "timed out"
        time.sleep(0.005)


# -- kill -9 inside a single `enrich FILE` write ------------------------------------------------------


@pytest.mark.slow
def test_kill_9_at_random_points_of_a_single_write_keeps_the_old_draft_or_the_new(isolated: Path) -> None:
    transcript(isolated)
    draft = isolated / "drafts" / "talk.md"
    draft.parent.mkdir()
    old = b"---\ntitle: the old draft\n---\n\na person's edit\n"
    draft.write_bytes(old)
    rng = random.Random(13)
    with FakeLLM() as llm:
        env = _env(llm)
        for attempt in range(2 * REPEATS):
            proc = subprocess.Popen(
                [*_slow_writes(0.15), "talk.txt", "--force"],
                cwd=isolated,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            # the first kill lands the moment the temp file appears; the others at random points of the write
            _wait_for(lambda p=proc: bool(temp_files(draft.parent)) or p.poll() is not None)
            time.sleep(0.0 if attempt == 0 else rng.uniform(0.0, 0.4))
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            assert draft.read_bytes() == old or _whole(draft), draft.read_text(encoding="utf-8")  # never torn
        final = subprocess.run([*ENRICH, "talk.txt", "--force"], cwd=isolated, env=env, capture_output=True, timeout=120)
    assert final.returncode == 0, final.stderr
    assert _whole(draft)
    assert temp_files(isolated) == []  # what the kills left is gone after the next run


# -- two `enrich FILE` runs on the same draft ----------------------------------------------------------


@pytest.mark.parametrize("force", [False, True])
def test_two_runs_writing_the_same_draft_at_once_one_wins_whole(isolated: Path, force: bool) -> None:
    transcript(isolated)
    both_asked = threading.Event()
    with FakeLLM() as llm:

        def reply(request: dict[str, Any]) -> Reply:  # answer only once both runs have asked: they race to write
            if len(llm.requests) >= 2:
                both_asked.set()
            both_asked.wait(60)
            return answer(valid_answer(request))

        llm.responder = reply
        args = [*ENRICH, "talk.txt", *(["--force"] if force else [])]
        procs = [
            subprocess.Popen(args, cwd=isolated, env=_env(llm), stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(2)
        ]
        done = [(p.wait(timeout=120), p.stderr.read().decode() if p.stderr else "") for p in procs]
    draft = isolated / "drafts" / "talk.md"
    assert _whole(draft)
    assert temp_files(isolated) == []
    codes = sorted(code for code, _ in done)
    if force:
        assert codes == [0, 0], done
        return
    assert codes == [0, 7], done  # 7: a draft already exists
    told = next(err for code, err in done if code == 7)
    assert told.count("\n") == 1 and "Traceback" not in told, told
    assert "talk.md" in told and "another" in told and "--force" in told, told


# -- two batches into one --out ------------------------------------------------------------------------


def test_two_batches_with_different_inboxes_into_one_out_the_second_is_refused(
    isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    inbox(isolated, 2, name="inbox-a")
    inbox(isolated, 2, name="inbox-b")
    (isolated.parent / "link").symlink_to(isolated)
    (isolated.parent / "elsewhere").mkdir()
    with FakeLLM(latency=30.0) as llm:
        env = _env(llm)
        monkeypatch.setenv("OPENAI_BASE_URL", llm.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", SECRET)
        first = subprocess.Popen(
            [*ENRICH, "batch", "inbox-a", "--out", "drafts"],
            cwd=isolated,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            _wait_for(lambda: len(llm.requests) >= 2)
            for cwd, out in (
                (isolated, "drafts"),
                (isolated, "./drafts/"),
                (isolated.parent / "elsewhere", str(isolated.parent / "link" / "drafts")),  # another site root, a symlink
            ):
                monkeypatch.chdir(cwd)
                err = clean_failure(cli("batch", str(isolated / "inbox-b"), "--out", out), 8)  # 8: another run holds the lock
                assert "drafts" in err and "--out" in err and err.count("\n") == 1, err
            assert len(llm.requests) == 2  # the refused runs asked nothing
        finally:
            first.send_signal(signal.SIGKILL)  # killed: its locks must not outlive it
            first.wait()
        llm.latency = 0.0
        monkeypatch.chdir(isolated)
        again = cli("batch", "inbox-b", "--out", "drafts")  # a killed run's lock never blocks
    assert again.exit_code == 0, again.output
    assert {p.name for p in (isolated / "drafts").glob("*.md")} >= {"t00.md", "t01.md"}


# -- Ctrl-C twice: at once --------------------------------------------------------------------------------


@pytest.mark.parametrize("during", ["requests", "writes"])
def test_a_second_ctrl_c_stops_at_once_with_no_partial_file(isolated: Path, during: str) -> None:
    inbox(isolated, 4)
    # answers that would take half a minute to land, or writes that each take 6 s to sync
    with FakeLLM(latency=30.0 if during == "requests" else 0.0) as llm:
        command = [*ENRICH] if during == "requests" else _slow_writes(6.0)
        proc = subprocess.Popen(
            [*command, "batch", "inbox", "--jobs", "2"],
            preexec_fn=interruptible,
            cwd=isolated,
            env=_env(llm),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        if during == "requests":
            _wait_for(lambda: len(llm.requests) >= 2)
        else:
            _wait_for(lambda: bool(temp_files(isolated)))
        proc.send_signal(signal.SIGINT)
        time.sleep(0.3)
        pressed = time.monotonic()
        proc.send_signal(signal.SIGINT)
        _out, err = proc.communicate(timeout=90)
        took = time.monotonic() - pressed
    assert proc.returncode == 130, (proc.returncode, err)
    assert took < 3.0, took  # not the 30 s the requests on the wire would take, nor the writes' 6 s
    assert b"Traceback" not in err and b"internal error" not in err, err
    assert b"at once" in err, err
    assert temp_files(isolated) == []  # the writes it cut short left nothing behind
    for draft in (isolated / "drafts").glob("*.md") if (isolated / "drafts").exists() else []:
        assert _whole(draft), draft
