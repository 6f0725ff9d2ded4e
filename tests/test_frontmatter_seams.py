"""The disagreements of issue 9 item 2, through the entry points a user meets: inputs, check, review.

Each test here failed before the front-matter layer was one: inputs and review read YAML 1.1 and split
with other delimiter rules than check, and approval edited lines with its own regex engine.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from enrich.check.checker import Checker
from enrich.errors import EnrichError, ExitStatus, InputError
from enrich.ingest.read import read_source
from enrich.profile import load_profile
from enrich.review.approve import Reviewer, apply_approval
from enrich.review.views import parse_values
from enrich.testing.fakeserver import FakeLLM
from enrich.vocab import read_post
from tests.conftest import FIXTURES, REPO, run_cli

GOOD = (FIXTURES / "posts" / "good.md").read_text(encoding="utf-8")


def markdown(folder: Path, name: str, text: str | bytes) -> Path:
    path = folder / name
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return path


# -- one YAML reading ------------------------------------------------------------------------------------


def test_yaml_12_values_in_an_input_and_in_review(isolated: Path) -> None:
    text = "---\nspeaker: no\ncode: 012\nat: 10:00\nlive: on\n---\nnotes about a talk\n"
    expected = {"speaker": "no", "code": 12, "at": "10:00", "live": "on"}  # YAML 1.1 read False, 10, 600, True
    assert read_source(markdown(isolated, "notes.md", text)).person_fields == expected
    assert parse_values(text) == expected


def test_speaker_no_in_an_input_is_drafted_as_the_text_no(fake_llm: FakeLLM, isolated: Path) -> None:
    markdown(isolated, "notes.md", "---\nspeaker: no\n---\n" + "A long enough talk about release engineering. " * 20)
    result = run_cli("notes.md", "--stdout")
    assert result.exit_code == 0, result.output
    assert "\nspeaker: 'no'\n" in result.stdout


def test_a_duplicate_key_in_an_input_is_refused_naming_the_file_and_key(fake_llm: FakeLLM, isolated: Path) -> None:
    markdown(isolated, "notes.md", "---\ntitle: first\nspeaker: x\ntitle: second\n---\nbody text of the notes\n")
    with pytest.raises(InputError) as info:
        read_source(isolated / "notes.md")
    assert (
        info.value.path == str(isolated / "notes.md")
        and "'title'" in info.value.message
        and "lines 2 and 4" in info.value.message
    )
    result = run_cli("notes.md", "--stdout")
    assert result.exit_code == ExitStatus.INPUT
    assert "notes.md" in result.stderr and "repeats the key 'title'" in result.stderr
    assert not fake_llm.requests  # refused before anything was asked


def draft_with(site: Path, replace: dict[str, str]) -> Path:
    text = GOOD.replace("draft: false", "draft: true")
    for old, new in replace.items():
        assert old in text
        text = text.replace(old, new)
    text = text.replace("title: 小团队如何建立可靠的发布流程\n", "title: 小团队如何建立可靠的发布流程\n# enrich-provenance: {}\n")
    (site / "drafts").mkdir(exist_ok=True)
    return markdown(site / "drafts", "p.md", text)


def test_a_draft_with_an_impossible_date_is_reviewed_and_its_approval_names_the_finding(isolated: Path) -> None:
    path = draft_with(isolated, {"date: '2024-03-15'": "date: 2021-02-30"})
    reviewer = Reviewer(isolated, load_profile())
    view = reviewer.view(path)
    assert view.error is None and view.values["date"] == "2021-02-30"  # YAML 1.1: "day is out of range"
    assert next(r for r in view.rows if r.key == "date").value == "2021-02-30"
    with pytest.raises(EnrichError, match="date-invalid") as info:
        reviewer.approve(path, isolated / "content")
    assert "2021-03-02" in info.value.message  # what Eleventy would silently publish
    result = run_cli("approve", "drafts/p.md", "--to", "content")
    assert result.exit_code == ExitStatus.FINDINGS and "date-invalid" in result.stderr
    assert path.exists() and not (isolated / "content" / "p.md").exists()


# -- one splitter ----------------------------------------------------------------------------------------

SPLITS = {
    "plain": "---\ntitle: t\ntags:\n- a\n---\nbody text\n",
    "bom": "\ufeff---\ntitle: t\ntags:\n- a\n---\nbody text\n",
    "crlf": "---\r\ntitle: t\r\ntags:\r\n- a\r\n---\r\nbody text\r\n",
    "long-dashes": "----\ntitle: t\ntags:\n- a\n-----\nbody text\n",
    "dots": "---\ntitle: t\ntags:\n- a\n...\nbody text\n",
    "unterminated": "---\ntitle: t\ntags:\n- a\nbody text\n",
}


def readers(folder: Path, text: str) -> dict[str, Any]:
    """What each reader makes of one file: its values, or the error it gives."""
    path = markdown(folder, "same.md", text)
    out: dict[str, Any] = {}
    for name, read in (
        ("input", lambda: read_source(path).person_fields),
        ("review", lambda: parse_values(text)),
        ("vocabulary", lambda: {"tags": read_post(path).tags}),
    ):
        try:
            out[name] = read()
        except InputError:
            out[name] = None
    return out


@pytest.mark.parametrize("name", list(SPLITS))
def test_the_same_file_splits_the_same_way_for_input_check_review_and_vocabulary(isolated: Path, name: str) -> None:
    text = SPLITS[name]
    read = readers(isolated, text)
    findings = {f.rule for f in Checker(load_profile()).check_bytes("same.md", text.encode("utf-8"))}
    if findings & {"unterminated", "yaml-syntax"}:
        assert read == {"input": None, "review": None, "vocabulary": None}
    else:
        assert read == {
            "input": {"title": "t", "tags": ["a"]},
            "review": {"title": "t", "tags": ["a"]},
            "vocabulary": {"tags": ["a"]},
        }
    expected = {"bom": {"bom"}, "long-dashes": {"bad-delimiter"}, "dots": {"unterminated"}, "unterminated": {"unterminated"}}
    assert findings & {"bom", "bad-delimiter", "unterminated"} == expected.get(name, set())


def test_an_input_closed_by_dots_says_which_line(isolated: Path) -> None:
    with pytest.raises(InputError, match=r"no closing '---' \(line 5 is '\.\.\.'"):
        read_source(markdown(isolated, "notes.md", SPLITS["dots"]))


# -- one line-edit engine ----------------------------------------------------------------------------------

DRAFT = (
    "---\narea: x\ndraft: true  # until a person approves\ntags:\n- a\n# kept for now\n- b\ntitle: t\n"
    "# enrich-provenance: {}\n---\n\nbody\n"
)


def test_approval_edits_through_the_verified_engine() -> None:
    profile = load_profile()
    out = apply_approval(DRAFT, {"draft": False, "tags": ["c"]}, profile)
    # the regex engine stopped the list at the comment and left `- b` behind: tags [c, b]
    assert (
        out
        == "---\narea: x\ndraft: false  # until a person approves\ntags:\n- c\ntitle: t\n# enrich-provenance: {}\n---\n\nbody\n"
    )
    assert parse_values(out)["tags"] == ["c"]


def test_approval_keeps_crlf_and_straightens_long_delimiters() -> None:
    profile = load_profile()
    crlf = DRAFT.replace("\n", "\r\n")
    out = apply_approval(crlf, {"draft": False, "status": "budding"}, profile)
    assert "\n" not in out.replace("\r\n", "") and "status: budding\r\ntags:" in out
    dashes = DRAFT.replace("---\n", "----\n")
    assert apply_approval(dashes, {"draft": False}, profile).startswith("---\narea: x\ndraft: false")


def test_enrich_check_does_not_import_the_emitter_or_the_edit_engine() -> None:
    probe = (
        "import sys, enrich.cli.check_cmd, enrich.check.checker\nprint(sorted(m for m in sys.modules if m.startswith('enrich.')))"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    result = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True)
    assert "enrich.frontmatter.yaml12" in result.stdout
    assert "enrich.frontmatter.emit" not in result.stdout and "enrich.frontmatter.edit" not in result.stdout
