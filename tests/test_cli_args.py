"""Files named `-x`, misspelt commands, refusing paid work that would be thrown away, no silent offline batch,
and defaults the profile intends that are not flags (issue 10, items 6 to 9)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from enrich.errors import ExitStatus
from enrich.frontmatter.provenance import find_provenance
from enrich.testing.fakeserver import FakeLLM
from tests.conftest import FIXTURES, run_cli
from tests.test_check import GOOD, post

DASHED = "-Et3GJRSI_0"  # a YouTube id that starts with "-"


# -- item 6: files named like options, and commands misspelt ------------------------------------------


def test_enrich_dashed_file_drafts_it(fake_llm: FakeLLM, isolated: Path) -> None:
    shutil.copy(FIXTURES / "en-podcast.srt", isolated / f"{DASHED}.srt")
    result = run_cli(f"{DASHED}.srt")
    assert result.exit_code == 0, result.output
    assert (isolated / "drafts" / f"{DASHED}.md").is_file()
    again = run_cli("draft", f"{DASHED}.srt", "--force", "--out", "other")
    assert again.exit_code == 0, again.output
    assert (isolated / "other" / f"{DASHED}.md").is_file()


def test_enrich_dashed_file_then_options(fake_llm: FakeLLM, isolated: Path) -> None:
    shutil.copy(FIXTURES / "en-podcast.srt", isolated / "-x.srt")
    result = run_cli("-x.srt", "--stdout")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("---\n") and not (isolated / "drafts").exists()


def test_a_dashed_word_that_is_no_file_is_still_an_unknown_option(isolated: Path) -> None:
    result = run_cli("-Enosuch.txt")
    assert result.exit_code == 2 and "No such option" in result.output


def test_batch_drafts_dashed_inbox_files(fake_llm: FakeLLM, isolated: Path) -> None:
    inbox = isolated / "inbox"
    inbox.mkdir()
    shutil.copy(FIXTURES / "en-podcast.srt", inbox / f"{DASHED}.srt")
    result = run_cli("batch", "inbox")
    assert result.exit_code == 0, result.output
    assert (isolated / "drafts" / f"{DASHED}.md").is_file()


def test_check_and_fix_dashed_posts(isolated: Path) -> None:
    post("-x.md", GOOD, {"date: '2024-03-15'": "date: 2024-03-15"})
    checked = run_cli("check", "-x.md")
    assert checked.exit_code == 1 and checked.stdout.startswith("-x.md:6:1: error date-unquoted")
    strict = run_cli("check", "--strict", "-x.md", "--format", "json")
    assert json.loads(strict.stdout)["findings"][0]["path"] == "-x.md"
    fixed = run_cli("fix", "-x.md")
    assert fixed.exit_code == 0 and "-x.md: fixed 1" in fixed.stdout
    assert run_cli("check", "-x.md").exit_code == 0


def test_a_misspelt_command_gets_did_you_mean(isolated: Path) -> None:
    result = run_cli("chek", "x.md")
    assert result.exit_code == 2
    assert "no such command 'chek'; did you mean 'check'?" in result.output


def test_a_missing_file_is_still_a_missing_file(isolated: Path) -> None:
    result = run_cli("notes.txt")
    assert result.exit_code == ExitStatus.INPUT and "notes.txt" in result.output


def test_a_file_named_like_a_command_is_reachable_with_draft(isolated: Path) -> None:
    shutil.copy(FIXTURES / "zh-trade-article.txt", isolated / "check")
    result = run_cli("draft", "check", "--offline")
    # the file is reached (and refused for its type: drafts need .txt, .md, .srt or .vtt), not the command
    assert result.exit_code == ExitStatus.INPUT and "check: unsupported file type" in result.output
    shutil.copy(FIXTURES / "zh-trade-article.txt", isolated / "chek")
    typo_named = run_cli("chek", "--offline")
    assert typo_named.exit_code == ExitStatus.INPUT and "chek: unsupported file type" in typo_named.output


# -- item 7: an existing draft is refused before the model is paid -------------------------------------


def test_existing_draft_is_refused_before_any_model_call(fake_llm: FakeLLM, isolated: Path) -> None:
    shutil.copy(FIXTURES / "zh-trade-article.txt", isolated)
    assert run_cli("zh-trade-article.txt").exit_code == 0
    paid = len(fake_llm.requests)
    before = (isolated / "drafts" / "zh-trade-article.md").read_bytes()
    result = run_cli("zh-trade-article.txt")
    assert result.exit_code == ExitStatus.EXISTS
    assert "already exists; use --force to overwrite" in result.output
    assert len(fake_llm.requests) == paid  # zero requests for the refused run
    assert (isolated / "drafts" / "zh-trade-article.md").read_bytes() == before
    assert run_cli("zh-trade-article.txt", "--force").exit_code == 0
    assert len(fake_llm.requests) == paid + 1


def test_existing_draft_is_refused_before_offline_drafting(isolated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from enrich.draft.drafter import Drafter

    shutil.copy(FIXTURES / "zh-trade-article.txt", isolated)
    assert run_cli("zh-trade-article.txt", "--offline").exit_code == 0
    calls: list[Path] = []
    original = Drafter.draft

    def counting(self: Drafter, path: Path, *args: Any, **kwargs: Any) -> Any:
        calls.append(path)
        return original(self, path, *args, **kwargs)

    monkeypatch.setattr(Drafter, "draft", counting)
    result = run_cli("zh-trade-article.txt", "--offline")
    several = run_cli("draft", "zh-trade-article.txt", "zh-trade-article.txt", "--offline")
    assert result.exit_code == ExitStatus.EXISTS and several.exit_code == ExitStatus.EXISTS
    assert calls == []


# -- item 8: no silent offline batch ---------------------------------------------------------------------


def test_batch_without_endpoint_refuses_unless_offline(isolated: Path) -> None:
    inbox = isolated / "inbox"
    inbox.mkdir()
    shutil.copy(FIXTURES / "zh-trade-article.txt", inbox)
    refused = run_cli("batch", "inbox")
    assert refused.exit_code == ExitStatus.CONFIG
    assert "no model endpoint configured" in refused.output and "--offline" in refused.output
    assert not (isolated / "drafts").exists()
    offline = run_cli("batch", "inbox", "--offline")
    assert offline.exit_code == 0, offline.output
    assert (isolated / "drafts" / "zh-trade-article.md").is_file()
    assert run_cli("batch", "inbox", "--dry-run").exit_code == 0  # planning needs no endpoint


def test_enrich_file_without_endpoint_keeps_its_notice_and_drafts_offline(isolated: Path) -> None:
    shutil.copy(FIXTURES / "zh-trade-article.txt", isolated)
    result = run_cli("zh-trade-article.txt")
    assert result.exit_code == 0, result.output
    assert result.stderr.count("no model endpoint configured") == 1
    assert "drafting offline, without a model" in result.stderr


# -- item 9: the profile's intended defaults are recorded as defaults, not flagged -----------------------


def test_intended_defaults_are_recorded_not_flagged(fake_llm: FakeLLM, isolated: Path) -> None:
    inbox = isolated / "inbox"
    inbox.mkdir()
    shutil.copy(FIXTURES / "en-podcast.srt", inbox / "aB3dE5fG7hJ.srt")  # no metadata: no date; the id gives the source
    assert run_cli("batch", "inbox").exit_code == 0
    prov = find_provenance((isolated / "drafts" / "aB3dE5fG7hJ.md").read_text(encoding="utf-8"))
    assert prov is not None
    assert prov.fields["date"] == "default" and prov.fields["source"] == "default"
    assert prov.flags == [], prov.flags
    status = run_cli("status", "inbox", "--json")
    assert status.exit_code == 0, status.output
    items = json.loads(status.stdout)["items"]
    assert [i["state"] for i in items] == ["drafted"], items
