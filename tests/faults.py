"""Helpers for the fault-injection suite (tests/test_faults_*.py): inputs, runs and what a run left behind."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
from click.testing import Result

from tests.conftest import run_cli

TRANSCRIPT = "今天我们讨论贸易政策的变化，以及它对制造业的影响。" * 20 + "\n"
INTERNAL = 70


def transcript(folder: Path, name: str = "talk.txt", text: str = TRANSCRIPT) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def inbox(site: Path, count: int, name: str = "inbox") -> Path:
    folder = site / name
    for i in range(count):
        transcript(folder, f"t{i:02d}.txt", f"第{i}篇。" + TRANSCRIPT)
    return folder


def clean_failure(result: Result, *statuses: int) -> str:
    """The run failed with one of `statuses`, one line on stderr, no traceback, no internal error; the line."""
    err = result.stderr if result.stderr_bytes is not None else result.output
    assert result.exit_code in statuses, (result.exit_code, err)
    assert result.exit_code != INTERNAL
    assert "Traceback" not in err and "internal error" not in err, err
    return err


def cli(*args: str, input: str | None = None) -> Result:
    return run_cli(*args, input=input)


def every_file(root: Path) -> dict[Path, bytes]:
    """Every regular file under `root` with its bytes (the scan for secrets and leftovers)."""
    return {p: p.read_bytes() for p in root.rglob("*") if p.is_file() and not p.is_symlink()}


def fail_writes(patch: pytest.MonkeyPatch, code: int, where: str) -> None:
    """`code` (ENOSPC, EFBIG) for every write and sync of a file whose path contains `where`; others go on.

    Atomic writes fail at their fsync (the temp file), appends to a log at their os.write."""
    real_write, real_pwrite, real_fsync = os.write, os.pwrite, os.fsync

    def hit(fd: int) -> bool:
        try:
            return where in os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            return False

    def write(fd: int, data: bytes) -> int:
        if hit(fd):
            raise OSError(code, os.strerror(code))
        return real_write(fd, data)

    def pwrite(fd: int, data: bytes, offset: int) -> int:
        if hit(fd):
            raise OSError(code, os.strerror(code))
        return real_pwrite(fd, data, offset)

    def fsync(fd: int) -> None:
        if hit(fd):
            raise OSError(code, os.strerror(code))
        real_fsync(fd)

    patch.setattr(os, "write", write)
    patch.setattr(os, "pwrite", pwrite)
    patch.setattr(os, "fsync", fsync)


def temp_files(root: Path) -> list[Path]:
    """The temp files atomic writes use (`.NAME.XXXX.tmp`) anywhere under `root`."""
    return [p for p in root.rglob(".*.tmp")] if root.exists() else []


def interruptible() -> None:
    """`preexec_fn` for a child the test will Ctrl-C: a shell runs background jobs with SIGINT ignored,
    and a Python started that way never turns SIGINT into KeyboardInterrupt."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
