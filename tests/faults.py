"""Helpers for the fault-injection suite (tests/test_faults_*.py): inputs, runs and what a run left behind."""

from __future__ import annotations

from pathlib import Path

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
