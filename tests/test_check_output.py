"""`enrich check` output a person can act on: severity on every line, one summary, a hint only when fix helps."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO, run_cli
from tests.test_check import GOOD, post

UNQUOTED = {"date: '2024-03-15'": "date: 2024-03-15"}  # an error `enrich fix` fixes
UNKNOWN = {"layout: post.njk": "layout: post.njk\nmood: happy"}  # a warning nothing fixes
MISSING = {"title: 小团队如何建立可靠的发布流程\n": ""}  # an error nothing fixes


def test_every_line_says_error_or_warning() -> None:
    post("bad.md", GOOD, {**UNQUOTED, **MISSING})
    post("warn.md", GOOD, UNKNOWN)
    result = run_cli("check", "bad.md", "warn.md")
    lines = result.stdout.splitlines()
    assert len(lines) == 3
    for line in lines:
        assert line.split(": ", 1)[1].split(" ", 1)[0] in ("error", "warning"), line
    assert len(result.stderr.splitlines()) == 1  # one summary line per run


def test_nothing_to_report_prints_nothing() -> None:
    post("good.md", GOOD)
    result = run_cli("check", "good.md")
    assert result.exit_code == 0 and result.stdout == "" and result.stderr == ""


def test_the_fix_hint_appears_only_when_fix_would_change_something() -> None:
    post("missing.md", GOOD, MISSING)
    post("warn.md", GOOD, UNKNOWN)
    unfixable = run_cli("check", "missing.md", "warn.md")
    assert unfixable.exit_code == 1  # an error, but one `enrich fix` cannot fix
    assert unfixable.stderr.splitlines() == ["enrich check: 1 error, 1 warning in 2 of 2 files"]
    assert "fixable" not in unfixable.stdout
    post("bad.md", GOOD, UNQUOTED)
    fixable = run_cli("check", "missing.md", "bad.md")
    assert "`enrich fix` fixes 1 of them (marked fixable)" in fixable.stderr
    assert fixable.stdout.splitlines() == [
        "missing.md:1:1: error missing-key title: required key is missing",
        "bad.md:6:1: error date-unquoted date: unquoted date 2024-03-15; quote it as '2024-03-15' (fixable)",
    ]
    assert Path("bad.md").read_text(encoding="utf-8").count("date: 2024-03-15") == 1  # the dry run wrote nothing


def _entry(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    code = "from enrich.cli.check_cmd import main; main()"
    full = {**os.environ, "PYTHONPATH": str(REPO), **env}
    return subprocess.run([sys.executable, "-c", code, *args], env=full, capture_output=True, text=True, timeout=120)


def test_under_pre_commit_parallel_chunks_concatenate_into_one_clean_report() -> None:
    """pre-commit (PRE_COMMIT=1) runs one process per chunk of files: each prints its own lines, no summary."""
    post("a.md", GOOD, UNQUOTED)
    post("b.md", GOOD, UNKNOWN)
    post("c.md", GOOD, MISSING)
    whole = _entry(["a.md", "b.md", "c.md"], {"PRE_COMMIT": "1"})
    chunks = [_entry(["a.md", "b.md"], {"PRE_COMMIT": "1"}), _entry(["c.md"], {"PRE_COMMIT": "1"})]
    assert whole.returncode == 1 and [c.returncode for c in chunks] == [1, 1]
    assert whole.stderr == "" and all(c.stderr == "" for c in chunks)  # no partial summaries to add up
    assert "".join(c.stdout for c in chunks) == whole.stdout
    assert whole.stdout.splitlines()[0].endswith("(fixable)")  # the hint survives, on the line it concerns
    by_hand = _entry(["a.md", "b.md", "c.md"], {"PRE_COMMIT": ""})
    assert by_hand.stdout == whole.stdout and len(by_hand.stderr.splitlines()) == 1


def test_json_is_unchanged_by_the_text_report() -> None:
    post("bad.md", GOOD, UNQUOTED)
    result = run_cli("check", "--format", "json", "bad.md")
    assert result.stderr == "" and '"severity": "error"' in result.stdout
