"""The site vocabulary: reading messy posts, aliases, merges, incremental builds, queries, the CLI."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from enrich.profile import load_profile
from enrich.vocab.apply import apply_vocabulary
from enrich.vocab.build import build_vocabulary
from enrich.vocab.file import load_vocabulary
from enrich.vocab.index import VocabIndex, load_index
from enrich.vocab.model import Vocabulary
from enrich.vocab.posts import extract_glosses, read_post

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "vocab"
SHARED = Path(__file__).resolve().parent.parent.parent / "shared"


@pytest.fixture()
def site(tmp_path: Path) -> Path:
    shutil.copytree(FIXTURES / "posts", tmp_path / "posts")
    return tmp_path


@pytest.fixture()
def built(site: Path) -> Vocabulary:
    result = build_vocabulary(site / "posts", site / ".enrich" / "vocab.yaml")
    return result.vocab


def test_glosses_both_directions() -> None:
    body = (
        "**特朗普**（Donald Trump: 美国总统）and **Claude Code**（克劳德代码: 编程工具）"
        "**世贸组织**（WTO: World Trade Organization: 国际组织） **Uber**（一家网约车公司）"
    )
    pairs = extract_glosses(body)
    assert ["特朗普", "Donald Trump"] in pairs
    assert ["克劳德代码", "Claude Code"] in pairs
    assert ["世贸组织", "WTO", "World Trade Organization"] in pairs
    assert not any(p[0].startswith("一家") for p in pairs)  # a description is not a name


def test_messy_front_matter_is_read(site: Path) -> None:
    rec = read_post(site / "posts" / "chip-exports.md")  # BOM, unquoted date, string list, "[]", null
    assert rec.tags == ["ai-chips", "trade-war", "export-controls"]
    assert rec.names["people"] == ["川普"]
    assert rec.names["companies_orgs"] == ["NVIDIA", "台積電"]
    assert rec.names["media_books"] == []


def test_build_counts_and_skips_bad_posts(site: Path) -> None:
    result = build_vocabulary(site / "posts", site / ".enrich" / "vocab.yaml")
    assert result.vocab.posts == 4
    assert len(result.skipped) == 2
    assert any("broken.md" in line and "YAML" in line for line in result.skipped)
    data = yaml.safe_load((site / ".enrich" / "vocab.yaml").read_text(encoding="utf-8"))
    assert data["version"] == 1
    assert data["tags"]["trade-war"] == 2
    assert next(iter(data["tags"])) == "trade-war"  # sorted by count, then name
    assert data["areas"] == {"tech-engineering": 3, "geopolitics": 1}
    assert data["people"]["Donald Trump"]["count"] == 2
    assert set(data) >= {"tags", "areas", "categories", "people", "companies_orgs", "products_models", "media_books", "merges"}


def test_aliases_from_front_matter_and_glosses(built: Vocabulary) -> None:
    # only certain mappings resolve for drafting: the canonical name itself and its spelling variants
    assert built.canonical_name("people", "Donald Trump") == "Donald Trump"
    assert built.canonical_name("companies_orgs", "nvidia") == "Nvidia"  # case variant
    assert built.canonical_name("companies_orgs", "NVIDIA") is None  # written as often as Nvidia: no majority
    assert built.entities["companies_orgs"]["Nvidia"].tied == ["NVIDIA"]
    assert built.canonical_name("companies_orgs", "台积电") == "台積電"  # Traditional/Simplified
    assert built.canonical_name("companies_orgs", "World Trade Organization") == "World Trade Organization"
    assert built.canonical_name("people", "Nobody Here") is None
    # a translation a gloss gave is an alias: known, but only a suggestion
    for kind, name, canonical in [
        ("people", "特朗普", "Donald Trump"),
        ("people", "川普", "Donald Trump"),  # front matter, linked by the gloss
        ("people", "山姆·奥特曼", "Sam Altman"),
        ("companies_orgs", "英伟达", "Nvidia"),
    ]:
        assert built.canonical_name(kind, name) is None
        found = built.index.lookup(kind, name)
        assert found is not None and (found.value, found.reason, found.certain) == (canonical, "alias", False)
    assert "特朗普" in built.aliases("people", "Donald Trump")
    assert "贸易战" in built.aliases("tags", "trade-war")


def test_merge_suggestions_and_accepted_flags_survive(site: Path, built: Vocabulary) -> None:
    pairs = {(m.source, m.target, m.reason) for m in built.merges}
    assert ("ai-agents", "ai-agent", "plural") in pairs
    assert ("developer-tool", "developer-tools", "plural") in pairs or ("developer-tools", "developer-tool", "plural") in pairs
    assert any(m.reason == "acronym" and {m.source, m.target} == {"llm", "large-language-model"} for m in built.merges)
    assert not any(m.accepted for m in built.merges)
    assert built.canonical_tag("ai-agents") == "ai-agents"  # not applied silently
    path = site / ".enrich" / "vocab.yaml"
    text = path.read_text(encoding="utf-8")
    line = next(ln for ln in text.splitlines() if "from: ai-agents" in ln)
    path.write_text(text.replace(line, line.replace("accepted: false", "accepted: true")), encoding="utf-8")
    (site / "posts" / "new.md").write_text("---\ntags: [ai-agents]\narea: tech-engineering\n---\n", encoding="utf-8")
    again = build_vocabulary(site / "posts", path).vocab
    assert any(m.source == "ai-agents" and m.accepted for m in again.merges)
    assert again.canonical_tag("ai-agents") == "ai-agent"
    reloaded = load_vocabulary(site)
    assert reloaded is not None and reloaded.canonical_tag("ai-agents") == "ai-agent"


def test_incremental_rebuild_reads_only_changed(site: Path) -> None:
    out = site / ".enrich" / "vocab.yaml"
    first = build_vocabulary(site / "posts", out)
    assert first.read == 6
    second = build_vocabulary(site / "posts", out)
    assert (second.read, second.reused) == (0, 6)
    (site / "posts" / "later.md").write_text("---\ntags: [robotics]\n---\n", encoding="utf-8")
    changed = site / "posts" / "agents-en.md"
    changed.write_text(changed.read_text(encoding="utf-8").replace("- llm", "- llm\n- robotics"), encoding="utf-8")
    touched = site / "posts" / "trade-talks.md"
    os.utime(touched, (time.time() + 5, time.time() + 5))  # mtime changed, content not: not re-parsed
    third = build_vocabulary(site / "posts", out)
    assert third.read == 2
    assert third.vocab.tags["robotics"] == 2
    assert (site / ".enrich" / "vocab-state.json").is_file()


def test_shortlist_chinese_and_english(built: Vocabulary) -> None:
    zh = "美国和中国的贸易战又升级了，关税越来越高。"
    assert "trade-war" in built.shortlist_tags(zh, limit=5)
    en = "Coding agents: every AI agent needs developer tools and tests."
    short = built.shortlist_tags(en, limit=5)
    assert "ai-agent" in short[:3]
    assert len(built.shortlist_tags("", limit=40)) <= 40


def test_apply_vocabulary_maps_and_flags(built: Vocabulary) -> None:
    profile = load_profile(FIXTURES)
    values = {
        "tags": ["Trade-Wars", "tariffs", "quantum-gravity", "trade-war"],
        "people": ["特朗普", "Donald Trump", "Jane Unknown"],
        "companies_orgs": ["nvidia", "NVIDIA", "英伟达"],
    }
    out, flags = apply_vocabulary(values, built, profile)
    assert out["tags"] == ["trade-war", "tariffs", "quantum-gravity"]
    assert out["people"] == ["特朗普", "Donald Trump", "Jane Unknown"]  # a translation is not applied
    assert out["companies_orgs"] == ["Nvidia", "英伟达"]  # a spelling variant is applied (NVIDIA: a repeat)
    kinds = {(f.kind, f.field, f.value) for f in flags}
    assert ("vocab-mapped", "tags", "trade-war") in kinds
    assert ("new-tag", "tags", "quantum-gravity") in kinds
    assert ("vocab-mapped", "companies_orgs", "Nvidia") in kinds
    assert not any(f.field == "people" for f in flags)


def test_a_name_drafted_under_several_kinds_or_the_wrong_one_gets_one_kind_without_a_repair(built: Vocabulary) -> None:
    profile = load_profile(FIXTURES)
    values = {
        "people": ["Nvidia", "Donald Trump", "Acme Unknown", "Jane Unknown"],
        "companies_orgs": ["Acme Unknown"],
        "products_models": [],
    }
    out, flags = apply_vocabulary(values, built, profile)
    assert out["people"] == ["Donald Trump", "Jane Unknown"]
    assert out["companies_orgs"] == ["Acme Unknown", "Nvidia"]  # listed twice: not people; the site's kind: moved
    moved = {f.message.split("'")[1] for f in flags if f.kind == "entity-kind"}
    assert moved == {"Nvidia", "Acme Unknown"}


def test_load_vocabulary_absent(tmp_path: Path) -> None:
    assert load_vocabulary(tmp_path) is None


def test_cli_build_and_show(site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from enrich.cli import main

    runner = CliRunner()
    monkeypatch.chdir(site)
    res = runner.invoke(main, ["vocab", "build", str(site / "posts")])
    assert res.exit_code == 0, res.output
    assert "4 posts" in res.output and "merge suggestions" in res.output
    assert Path(".enrich/vocab.yaml").is_file()
    res = runner.invoke(main, ["vocab", "show", "特朗普"])
    assert res.exit_code == 0, res.output
    assert "Donald Trump" in res.output and "trade-talks.md" in res.output
    res = runner.invoke(main, ["vocab", "show", "ai-agents"])
    assert "merge ai-agents -> ai-agent" in res.output
    res = runner.invoke(main, ["vocab", "show", "no-such-thing"])
    assert res.exit_code == 1


def test_cli_show_without_vocabulary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from enrich.cli import main

    runner = CliRunner()
    monkeypatch.chdir(tmp_path)
    res = runner.invoke(main, ["vocab", "show", "x"])
    assert res.exit_code == 4
    assert "vocab build" in res.output


@pytest.mark.skipif(not (SHARED / "corpus" / "posts").is_dir(), reason="../shared/corpus is absent")
def test_real_corpus_builds(tmp_path: Path) -> None:
    result = build_vocabulary(SHARED / "corpus" / "posts", tmp_path / ".enrich" / "vocab.yaml")
    assert result.vocab.posts + len(result.skipped) == 1000
    vocab = result.vocab
    assert vocab.canonical_name("people", "特朗普") is None  # ambiguous: Donald Trump or Trump
    assert vocab.index.lookup("people", "特朗普").candidates[:2] == ("Donald Trump", "Trump")  # type: ignore[union-attr]
    assert vocab.index.lookup("companies_orgs", "谷歌").candidates == ("Google", "Alphabet")  # type: ignore[union-attr]
    assert vocab.index.ambiguous_count() >= 30
    # the film is not the ship: a gloss never invents a canonical name (RMS Titanic is never written)
    assert vocab.canonical_name("media_books", "《泰坦尼克号》") == "《泰坦尼克号》"
    assert "RMS Titanic" not in vocab.entities["media_books"]
    # one conflict, not two entries: Wall Street Journal is an entry of its own, not an alias of another
    assert vocab.index.lookup("companies_orgs", "Wall Street Journal").value == "Wall Street Journal"  # type: ignore[union-attr]
    assert any(
        m.reason.startswith("conflict") and {m.source, m.target} == {"Wall Street Journal", "华尔街日报"} for m in vocab.merges
    )
    pairs = {(m.source, m.target) for m in vocab.merges}
    assert ("Tracy Aloway", "Tracy Alloway") in pairs
    assert ("尤瓦尔·赫拉利", "Yuval Noah Harari") in pairs  # glossed Yuval Harari: a middle name missing
    assert ("metaphysic", "metaphysics") in pairs and ("macroeconomics", "macro-economy") in pairs


def test_check_index_is_the_drafting_index(site: Path, built: Vocabulary) -> None:
    """`enrich check` loads (and caches) exactly the tables drafting resolves through."""
    path = site / ".enrich" / "vocab.yaml"
    cold, warm = load_index(path), load_index(path)  # built from the file, then read from the cache
    for index in (cold, warm):
        assert (index.tags, index.tag_keys, index.tag_merges, index.tag_suggestions) == (
            built.index.tags,
            built.index.tag_keys,
            built.index.tag_merges,
            built.index.tag_suggestions,
        )
        assert index.names == built.index.names
    assert VocabIndex.from_json(built.index.to_json(), str(path)).names == built.index.names
    for kind, name in [("people", "川普"), ("companies_orgs", "台積電"), ("companies_orgs", "nvidia"), ("people", "Nobody")]:
        assert warm.canonical_name(kind, name) == built.canonical_name(kind, name)
    for tag in ("AI-Agents", "aiagent", "Trade Wars", "quantum-gravity", "llms"):
        assert warm.canonical_tag(tag) == built.canonical_tag(tag)


def test_cjk_tags_and_aliases_resolve_by_name_key(built: Vocabulary) -> None:
    assert built.canonical_tag("貿易戰") == "trade-war"  # a Traditional spelling of the tag's glossed alias
    assert built.canonical_tag("ai-agent") == "ai-agent" and built.canonical_tag("aiagents") == "ai-agent"
