"""Crash safety: `kill -9` at random points of a batch, repeated; the next run finishes, nothing torn or left over."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from enrich.frontmatter.split import split_front_matter
from enrich.testing.fakeserver import FakeLLM
from tests.faults import inbox, interruptible

REPEATS = int(os.environ.get("ENRICH_SLOW_REPEATS", "3"))  # CI bounds it; locally raise it for a soak


@pytest.mark.slow
def test_kill_9_at_random_points_of_a_batch_loses_nothing(isolated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    inbox(isolated, 6)
    rng = random.Random(13)
    with FakeLLM(latency=0.3) as llm:
        monkeypatch.setenv("OPENAI_BASE_URL", llm.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test-SECRET-0123456789abcdef")
        command = [sys.executable, "-m", "enrich", "batch", "inbox", "--jobs", "2"]
        for _ in range(REPEATS):
            proc = subprocess.Popen(
                command, cwd=isolated, env=dict(os.environ), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
            time.sleep(rng.uniform(0.5, 4.0))
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            for draft in (isolated / "drafts").glob("*.md"):  # every draft on disk is whole
                split = split_front_matter(draft.read_text(encoding="utf-8"))
                assert split is not None and isinstance(yaml.safe_load(split[0]), dict), draft
        done = {p.name for p in (isolated / "drafts").glob("*.md")} if (isolated / "drafts").exists() else set()
        sent_before = len(llm.requests)
        final = subprocess.run(command, cwd=isolated, env=dict(os.environ), capture_output=True, timeout=120)
        assert final.returncode == 0, final.stderr
        asked = [r["messages"][-1]["content"] for r in llm.requests[sent_before:]]
    assert len(list((isolated / "drafts").glob("*.md"))) == 6
    for name in done:  # a finished file is never paid for again
        marker = f"第{int(name[1:3])}篇。"
        assert not any(marker in text for text in asked), name
    leftovers = [p for p in isolated.rglob("*.tmp")]
    assert leftovers == []


@pytest.mark.parametrize("presses", [1])  # twice, at once: test_faults_concurrency.py
def test_ctrl_c_once_or_twice_in_a_batch_exits_130_with_no_partial_file(
    isolated: Path, monkeypatch: pytest.MonkeyPatch, presses: int
) -> None:
    inbox(isolated, 4)
    with FakeLLM(latency=1.5) as llm:
        monkeypatch.setenv("OPENAI_BASE_URL", llm.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test-SECRET-0123456789abcdef")
        proc = subprocess.Popen(
            [sys.executable, "-m", "enrich", "batch", "inbox", "--jobs", "2"],
            preexec_fn=interruptible,
            cwd=isolated,
            env=dict(os.environ),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 60
        while not llm.requests and time.monotonic() < deadline:
            time.sleep(0.05)
        for _ in range(presses):
            proc.send_signal(signal.SIGINT)
            time.sleep(0.2)
        _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, (proc.returncode, err)
    assert b"Traceback" not in err and b"internal error" not in err, err
    for draft in (isolated / "drafts").glob("*.md") if (isolated / "drafts").exists() else []:
        split = split_front_matter(draft.read_text(encoding="utf-8"))
        assert split is not None and isinstance(yaml.safe_load(split[0]), dict), draft
    assert [p for p in isolated.rglob("*.tmp")] == []
