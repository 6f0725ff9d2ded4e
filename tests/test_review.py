"""The human review as a person uses it: `enrich review` keys (through tmux and CliRunner), approve, reject, status."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
import yaml

from enrich.errors import ExitStatus
from enrich.frontmatter.provenance import MARKER, find_provenance
from enrich.review.approve import apply_approval
from enrich.review.views import diff_values
from enrich.testing.fakeserver import FakeLLM, answer, valid_answer
from tests.conftest import FIXTURES, run_cli

INPUTS = ["zh-trade-article.txt", "xK3mP9qL2wA.txt", "xK3mP9qL2wA.info.json"]


def values(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8").split("---\n")[1])
    return data


def log(site: Path) -> list[dict[str, Any]]:
    path = site / ".enrich" / "review-log.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []


@pytest.fixture
def drafts(fake_llm: FakeLLM, isolated: Path) -> Path:
    """A site with `draft = false` on approval and two drafts written by `enrich batch`."""
    (isolated / "enrich.toml").write_text("[profile.approval]\ndraft = false\n", encoding="utf-8")
    inbox = isolated / "inbox"
    inbox.mkdir()
    for name in INPUTS:
        shutil.copy(FIXTURES / name, inbox / name)
    result = run_cli("batch", "inbox")
    assert result.exit_code == 0, result.output
    return isolated / "drafts"


def editor(tmp_path: Path, title: str) -> str:
    """An $EDITOR that changes the title, as a person would."""
    script = tmp_path / "edit-title.py"
    script.write_text(
        "import sys, re\n"
        "p = sys.argv[1]\n"
        "t = open(p, encoding='utf-8').read()\n"
        f"t = re.sub(r'(?m)^title: .*$', 'title: {title}', t, count=1)\n"
        "open(p, 'w', encoding='utf-8').write(t)\n",
        encoding="utf-8",
    )
    return f"{shlex.quote(sys.executable)} {shlex.quote(str(script))}"


# -- approve / reject -----------------------------------------------------------------------------------


def test_approve_checks_applies_approval_strips_provenance_moves_and_logs(drafts: Path, isolated: Path) -> None:
    draft = drafts / "xK3mP9qL2wA.md"
    text = re.sub(r"(?m)^title: .*$", "title: 拆分单体的真实代价", draft.read_text(encoding="utf-8"), count=1)
    draft.write_text(text, encoding="utf-8")  # a person's edit before approving
    result = run_cli("approve", str(draft), "--to", "content/notes")
    assert result.exit_code == 0, result.output
    target = isolated / "content" / "notes" / "xK3mP9qL2wA.md"
    assert not draft.exists() and target.is_file()
    published = target.read_text(encoding="utf-8")
    assert MARKER not in published
    assert values(target)["draft"] is False and values(target)["title"] == "拆分单体的真实代价"
    assert published.split("---\n", 2)[2].strip() == text.split("---\n", 2)[2].strip()  # body untouched
    record = log(isolated)[-1]
    assert record["action"] == "approve" and record["input"] == "xK3mP9qL2wA.txt" and record["input_sha256"]
    assert record["target"].endswith("content/notes/xK3mP9qL2wA.md")
    assert record["changes"] == [
        {"key": "title", "change": "changed", "before": "测试标题：一次关于转录稿的讨论", "after": "拆分单体的真实代价"}
    ]
    assert record["values"]["draft"] is False and record["model"] == "gpt-4.1-mini"


def test_approve_refuses_a_draft_that_fails_check(drafts: Path, isolated: Path) -> None:
    draft = drafts / "xK3mP9qL2wA.md"
    before = draft.read_text(encoding="utf-8").replace("area: tech-engineering", "area: cooking")
    draft.write_text(before, encoding="utf-8")
    result = run_cli("approve", str(draft), "--to", "content")
    assert result.exit_code == ExitStatus.FINDINGS
    assert "not approved: enrich check finds 1 error(s)" in result.stderr and "area" in result.stderr
    assert draft.read_text(encoding="utf-8") == before and not (isolated / "content").exists()
    assert log(isolated) == []


def test_approve_never_replaces_a_published_post(drafts: Path, isolated: Path) -> None:
    target = isolated / "content" / "xK3mP9qL2wA.md"
    target.parent.mkdir()
    target.write_text("---\ntitle: already here\n---\n", encoding="utf-8")
    result = run_cli("approve", str(drafts / "xK3mP9qL2wA.md"), "--to", "content")
    assert result.exit_code == ExitStatus.EXISTS
    assert "already exists; not replaced" in result.stderr
    assert target.read_text(encoding="utf-8") == "---\ntitle: already here\n---\n"
    assert (drafts / "xK3mP9qL2wA.md").exists()


def test_approve_needs_a_destination(drafts: Path) -> None:
    result = run_cli("approve", str(drafts / "zh-trade-article.md"))
    assert result.exit_code == ExitStatus.CONFIG and "--to" in result.stderr


def test_reject_sets_the_draft_aside_logs_it_and_batch_leaves_the_input_alone(
    drafts: Path, isolated: Path, fake_llm: FakeLLM
) -> None:
    result = run_cli("reject", str(drafts / "zh-trade-article.md"), "--reason", "off topic")
    assert result.exit_code == 0, result.output
    assert not (drafts / "zh-trade-article.md").exists()
    assert (isolated / ".enrich" / "rejected" / "zh-trade-article.md").is_file()
    record = log(isolated)[-1]
    assert record["action"] == "reject" and record["reason"] == "off topic" and record["input"] == "zh-trade-article.txt"
    calls = len(fake_llm.requests)
    again = run_cli("batch", "inbox", "--report", "r.json")
    assert again.exit_code == 0, again.output
    assert len(fake_llm.requests) == calls and not (drafts / "zh-trade-article.md").exists()
    outcomes = {Path(f["input"]).name: f["outcome"] for f in json.loads((isolated / "r.json").read_text())["files"]}
    assert outcomes["zh-trade-article.txt"] == "reviewed"


def test_status_shows_the_inbox_at_a_glance(drafts: Path, isolated: Path) -> None:
    inbox = isolated / "inbox"
    (inbox / "broken.txt").write_bytes(b"\x00\x01binary")
    run_cli("batch", "inbox")
    shutil.copy(FIXTURES / "en-podcast.srt", inbox / "en-podcast.srt")  # arrived after the batch
    run_cli("approve", str(drafts / "xK3mP9qL2wA.md"), "--to", "content")
    result = run_cli("status", "inbox", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    states = {item["name"]: item["state"] for item in data["items"]}
    assert states == {
        "broken.txt": "failed",
        "en-podcast.srt": "new",
        "xK3mP9qL2wA.txt": "approved",
        "zh-trade-article.txt": "flagged",
    }
    assert data["counts"] == {"new": 1, "drafted": 0, "flagged": 1, "approved": 1, "rejected": 0, "failed": 1}
    text = run_cli("status", "inbox").stdout
    assert re.search(r"(?m)^flagged +1$", text) and re.search(r"(?m)^total +4$", text)
    assert "needs attention" in text and "binary file" in text


# -- review, driven with keys ------------------------------------------------------------------------------


def test_review_edit_accept_reject_with_keys(drafts: Path, isolated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDITOR", editor(isolated, "人工写的标题"))
    # first draft (xK3mP9qL2wA): edit, then accept; second (zh-trade-article): reject
    result = run_cli("review", input="ear")
    assert result.exit_code == 0, result.output
    assert "title" in result.output and "[model]" in result.output and "[metadata]" in result.output
    assert "edited: title" in result.output and "review: 1 accepted, 1 edited, 1 rejected" in result.output
    accepted = drafts / "xK3mP9qL2wA.md"
    prov = find_provenance(accepted.read_text(encoding="utf-8").split("---\n")[1])
    assert prov is not None and prov.reviewed and prov.fields["title"] == "person"
    assert values(accepted)["title"] == "人工写的标题"
    assert not (drafts / "zh-trade-article.md").exists()
    actions = [(r["action"], r["input"]) for r in log(isolated)]
    assert actions == [("edit", "xK3mP9qL2wA.txt"), ("accept", "xK3mP9qL2wA.txt"), ("reject", "zh-trade-article.txt")]
    edit = log(isolated)[0]
    assert edit["changes"] == [
        {"key": "title", "change": "changed", "before": "测试标题：一次关于转录稿的讨论", "after": "人工写的标题"}
    ]
    # an accepted draft is reviewed: the next review has nothing left
    assert "nothing to review" in run_cli("review").output


def test_review_accept_with_to_approves_and_a_failing_draft_is_refused(drafts: Path, isolated: Path) -> None:
    result = run_cli("review", "--to", "content", input="aa")
    assert result.exit_code == 0, result.output
    assert "approved: content/xK3mP9qL2wA.md" in result.output
    # the second draft has no source (no metadata): check fails, it stays a draft and the question comes again
    assert "not approved" in result.output and "missing-key source" in result.output
    assert [p.name for p in (isolated / "content").iterdir()] == ["xK3mP9qL2wA.md"]
    assert (drafts / "zh-trade-article.md").exists()
    assert [r["action"] for r in log(isolated)] == ["approve"]


def test_review_skip_and_quit_decide_nothing(drafts: Path, isolated: Path) -> None:
    result = run_cli("review", input="sq")
    assert result.exit_code == 0, result.output
    assert "review: 1 skipped" in result.output
    assert log(isolated) == [] and len(list(drafts.iterdir())) == 2


def test_review_shows_flags_and_asks_again_on_unknown_keys(fake_llm: FakeLLM, isolated: Path) -> None:
    shutil.copy(FIXTURES / "zh-trade-article.txt", isolated)
    fake_llm.push(lambda request: answer({**valid_answer(request), "people": ["Nobody Atall"]}))
    assert run_cli("zh-trade-article.txt").exit_code == 0
    result = run_cli("review", "drafts/zh-trade-article.md", input="xs")
    assert "press one of: a, e, r, s, q" in result.output
    assert "dropped" in result.output and "Nobody Atall" in result.output  # a name the source never wrote


def test_review_reads_piped_keys_without_a_terminal(drafts: Path, isolated: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k.startswith(("ENRICH_", "XDG_", "PATH", "HOME", "LANG"))}
    done = subprocess.run(
        [sys.executable, "-m", "enrich", "review"],
        input="sq",
        cwd=isolated,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        start_new_session=True,  # no controlling terminal, as under cron or CI
    )
    assert done.returncode == 0, done.stderr
    assert "(1/2)" in done.stdout and "(2/2)" in done.stdout and "review: 1 skipped" in done.stdout
    lines = done.stdout.splitlines()
    assert lines == [line.rstrip() for line in lines] and "\x1b" not in done.stdout  # plain text off a terminal


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
def test_review_in_a_real_terminal_through_tmux(drafts: Path, isolated: Path) -> None:
    socket = f"enrich-test-{uuid.uuid4().hex[:8]}"
    env = {k: v for k, v in os.environ.items() if k.startswith(("ENRICH_", "XDG_", "PATH", "HOME", "LANG"))}
    env["EDITOR"] = editor(isolated, "终端里改的标题")
    exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
    python = shlex.quote(sys.executable)
    command = f"cd {shlex.quote(str(isolated))} && env {exports} {python} -m enrich review --to content; sleep 30"
    tmux = ["tmux", "-L", socket, "-f", "/dev/null"]
    subprocess.run([*tmux, "new-session", "-d", "-x", "160", "-y", "50", "-s", "review", command], check=True)

    def screen() -> str:  # the whole scrollback: earlier screens scroll off the visible pane
        return subprocess.run([*tmux, "capture-pane", "-p", "-S", "-", "-t", "review"], capture_output=True, text=True).stdout

    def wait_for(text: str, count: int = 1, timeout: float = 15.0) -> str:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            shown = screen()
            if shown.count(text) >= count:
                return shown
            time.sleep(0.05)
        raise AssertionError(f"{text!r} never appeared {count} time(s) on the screen:\n{screen()}")

    def press(key: str, prompts_before: int) -> None:
        """A key once the question is asked (a key typed while the screen is drawn is dropped, as in any raw-mode prompt)."""
        wait_for("[q]uit >", count=prompts_before)
        subprocess.run([*tmux, "send-keys", "-t", "review", key], check=True)  # one key, no Enter

    try:
        first = wait_for("[q]uit >")
        assert "xK3mP9qL2wA.md  (1/2)" in first and "[metadata]" in first
        press("e", 1)
        wait_for("edited: title")
        press("a", 2)  # the same draft again, now with the person's title
        wait_for("zh-trade-article.md  (2/2)")
        press("r", 3)
        wait_for("review: 1 approved, 1 edited, 1 rejected")
    finally:
        subprocess.run([*tmux, "kill-server"], capture_output=True)
    approved = isolated / "content" / "xK3mP9qL2wA.md"
    assert values(approved)["title"] == "终端里改的标题" and values(approved)["draft"] is False
    assert (isolated / ".enrich" / "rejected" / "zh-trade-article.md").is_file()
    assert [r["action"] for r in log(isolated)] == ["edit", "approve", "reject"]


# -- the pieces -----------------------------------------------------------------------------------------


def test_apply_approval_replaces_or_inserts_in_profile_order() -> None:
    from enrich.profile import load_profile

    profile = load_profile()
    text = "---\narea: x\ndraft: true\ntags:\n- a\n- b\ntitle: t\n# enrich-provenance: {}\n---\n\nbody\n"
    out = apply_approval(text, {"draft": False, "tags": ["c"], "status": "budding"}, profile)
    assert out == "---\narea: x\ndraft: false\nstatus: budding\ntags:\n- c\ntitle: t\n# enrich-provenance: {}\n---\n\nbody\n"


def test_diff_values_names_every_change() -> None:
    assert diff_values({"a": 1, "b": [1], "c": "x"}, {"a": 1, "b": [2], "d": True}) == [
        {"key": "b", "change": "changed", "before": [1], "after": [2]},
        {"key": "c", "change": "removed", "before": "x"},
        {"key": "d", "change": "added", "after": True},
    ]
