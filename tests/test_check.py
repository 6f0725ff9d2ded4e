"""`enrich check`: every rule, line numbers, formats, exit codes, the vocabulary and the start-up path."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from enrich.check.checker import Checker, Finding, js_rollover
from enrich.profile import load_profile
from enrich.text import tag_slug, twin_key
from enrich.vocab.file import load_vocabulary
from enrich.vocab.index import VocabFinder, VocabIndex, load_index
from tests.conftest import FIXTURES, REPO, SHARED, run_cli

POSTS = FIXTURES / "posts"
CORPUS = SHARED / "corpus" / "posts"

GOOD = """---
area: tech-engineering
category: software-development
companies_orgs:
- Acme Robotics
date: '2024-03-15'
draft: false
guest: ''
insight: ''
layout: post.njk
media_books: []
people:
- Ada Lovelace
products_models: []
project: []
series: ''
source: https://www.example.com/watch?v=abc123
speaker: Example Channel
status: evergreen
summary: 本文讨论小型团队如何建立可靠的发布流程，包括自动化测试、代码评审与回滚预案，并说明它为什么重要。
tags:
- release-engineering
- continuous-integration
- code-review
title: 小团队如何建立可靠的发布流程
---
body
"""

VOCAB = """version: 1
tags: {ai-agent: 120, ai-agents: 3, geopolitics: 300, release-engineering: 10, code-review: 8,
       continuous-integration: 7, llms: 2, llm: 50}
areas: {tech-engineering: 312}
categories: {software-development: 40}
people:
  Donald Trump: {count: 40, aliases: [特朗普, 川普]}
  Ada Lovelace: {count: 5, aliases: []}
companies_orgs:
  Nvidia: {count: 12, aliases: [英伟达]}
  NVIDIA: {count: 2, aliases: []}
products_models: {}
media_books: {}
merges:
  - {from: llms, to: llm, kind: tags, reason: plural, accepted: true}
  - {from: ai-agents, to: ai-agent, kind: tags, reason: plural, accepted: false}
"""


def post(name: str, text: str, replace: dict[str, str] | None = None) -> str:
    for old, new in (replace or {}).items():
        assert old in text, old
        text = text.replace(old, new)
    Path(name).write_text(text, encoding="utf-8")
    return name


def check(*paths: str, vocab: bool = False) -> list[Finding]:
    finder = VocabFinder(enabled=vocab)
    checker = Checker(load_profile(), finder)
    return [f for p in paths for f in checker.check_file(p)]


def rules(findings: list[Finding]) -> list[str]:
    return [f.rule for f in findings]


def write_vocab(text: str = VOCAB) -> Path:
    path = Path(".enrich") / "vocab.yaml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


# -- a post that is fine raises nothing ----------------------------------------------------------


def test_good_post_is_silent() -> None:
    post("good.md", GOOD)
    write_vocab()
    assert check("good.md", vocab=True) == []
    result = run_cli("check", "good.md")
    assert result.exit_code == 0 and result.stdout == "" and result.stderr == ""


def test_good_fixture_is_silent() -> None:
    assert check(str(POSTS / "good.md")) == []


# -- every rule ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("replace", "rule", "line", "col", "text"),
    [
        ({"date: '2024-03-15'": "date: 2024-03-15"}, "date-unquoted", 6, 1, "quote it as '2024-03-15'"),
        ({"date: '2024-03-15'": "date: 2021-02-30"}, "date-invalid", 6, 1, "Eleventy silently reads 2021-03-02"),
        ({"date: '2024-03-15'": "date: '2021-13-01'"}, "date-invalid", 6, 1, "not a real date"),
        ({"date: '2024-03-15'": "date: 15/03/2024"}, "pattern", 6, 1, "YYYY-MM-DD"),
        ({"guest: ''": "guest: null"}, "empty-form", 8, 1, "write an empty value as ''"),
        ({"guest: ''": "guest:"}, "empty-form", 8, 1, "null"),
        ({"media_books: []": "media_books: '[]'"}, "empty-form", 11, 1, "write an empty list as []"),
        ({"media_books: []": "media_books: ~"}, "empty-form", 11, 1, "null"),
        ({"- code-review\n": "- code-review\n- Release-Engineering\n"}, "duplicate-item", 25, 3, "repeats item 1"),
        ({"- code-review": "- Code Review"}, "pattern", 24, 3, "kebab-case: 'code-review'"),
        ({"status: evergreen": "status: evengreen"}, "enum", 19, 1, "did you mean 'evergreen'?"),
        ({"area: tech-engineering": "area: “tech-engineering”"}, "enum", 2, 1, "did you mean 'tech-engineering'?"),
        ({"draft: false": "draft: 'false'"}, "type", 7, 1, "expected true or false"),
        ({"series: ''": "series: [a]"}, "type", 16, 1, "expected a string"),
        ({"title: 小团队如何建立可靠的发布流程": "title: 短"}, "length", 25, 1, "at least 4"),
        ({"- code-review\n": ""}, "items", 21, 1, "at least 3 expected"),
        ({"title: 小团队如何建立可靠的发布流程\n": ""}, "missing-key", 1, 1, "required key is missing"),
        ({"layout: post.njk": "layout: post.njk\nmood: happy"}, "unknown-key", 11, 1, "not in the site profile"),
        ({"layout: post.njk": "layout: post.njk\ncomments: off"}, "yaml11-trap", 11, 11, "quote it as 'off'"),
        ({"layout: post.njk": "layout: post.njk\nlayout: page.njk"}, "duplicate-key", 11, 1, "first on line 10"),
        ({"title: 小团队如何建立可靠的发布流程": 'title: "unclosed'}, "yaml-syntax", 25, 8, "quoted scalar"),
        ({"source: https://www.example.com/watch?v=abc123": "source: www.example.com"}, "pattern", 17, 1, "https?"),
    ],
)
def test_rule(replace: dict[str, str], rule: str, line: int, col: int, text: str) -> None:
    post("p.md", GOOD, replace)
    found = [f for f in check("p.md") if f.rule == rule]
    assert found, check("p.md")
    assert (found[0].line, found[0].col) == (line, col)
    assert text in found[0].message
    assert found[0].format().startswith(f"p.md:{line}:{col}: {found[0].severity} {rule} ")
    assert found[0].severity in ("error", "warning")


def test_file_level_rules(tmp_path: Path) -> None:
    post("bom.md", "\ufeff" + GOOD)
    post("unterminated.md", GOOD.replace("---\nbody", "body"))
    post("delim.md", GOOD.replace("---\nbody", "----\nbody"))
    post("none.md", "# just a body\n")
    Path("binary.md").write_bytes(b"\x00\x01\x02")
    Path("latin.md").write_bytes(b"---\ntitle: caf\xe9\n---\n")
    found = check("bom.md", "unterminated.md", "delim.md", "none.md", "binary.md", "latin.md", "missing.md")
    assert [(f.path, f.rule, f.line) for f in found] == [
        ("bom.md", "bom", 1),
        ("unterminated.md", "unterminated", 1),
        ("delim.md", "bad-delimiter", 26),
        ("none.md", "no-front-matter", 1),
        ("binary.md", "unreadable", 1),
        ("latin.md", "unreadable", 1),
        ("missing.md", "unreadable", 1),
    ]
    assert "binary file" in found[4].message and "no such file" in found[6].message


def test_many_findings_in_one_file_each_at_its_line() -> None:
    found = check(str(POSTS / "many-problems.md"))
    assert [(f.line, f.rule) for f in found] == [
        (2, "enum"),
        (4, "empty-form"),
        (5, "date-unquoted"),
        (7, "empty-form"),
        (8, "empty-form"),
        (14, "duplicate-item"),
        (20, "enum"),
        (23, "pattern"),
        (24, "pattern"),
        (26, "duplicate-item"),
        (27, "unknown-key"),
        (27, "yaml11-trap"),
    ]


def test_fixtures_cover_the_file_rules() -> None:
    names = [
        "bom",
        "unterminated",
        "bad-delimiter",
        "duplicate-key",
        "syntax-error",
        "invalid-date",
        "no-front-matter",
        "draft-provenance",
    ]
    expected = [
        "bom",
        "unterminated",
        "bad-delimiter",
        "duplicate-key",
        "yaml-syntax",
        "date-invalid",
        "no-front-matter",
        "ungrounded",
    ]
    for name, rule in zip(names, expected, strict=True):
        assert rule in rules(check(str(POSTS / f"{name}.md"))), name


def test_trap_is_not_repeated_where_a_value_rule_already_speaks() -> None:
    post("p.md", GOOD, {"draft: false": "draft: no"})
    assert rules(check("p.md")) == ["type"]


# -- provenance ----------------------------------------------------------------------------------

PROV = (
    '# enrich-provenance: {"version":1,"input":"x.txt","input_sha256":"0","flags":['
    '{"kind":"ungrounded","field":"people","message":"not in the transcript","value":"Ada Lovelace"},'
    '{"kind":"new-tag","field":"tags","message":"new tag","value":"code-review"}],"reviewed":REVIEWED}\n---\nbody'
)


def test_ungrounded_entities_of_unreviewed_drafts() -> None:
    post("p.md", GOOD, {"draft: false": "draft: true", "---\nbody": PROV.replace("REVIEWED", "false")})
    found = check("p.md")
    assert [(f.rule, f.line, f.col) for f in found] == [("ungrounded", 13, 3)]
    post("p.md", GOOD, {"draft: false": "draft: true", "---\nbody": PROV.replace("REVIEWED", "true")})
    assert check("p.md") == []
    post(
        "p.md",
        GOOD,
        {"draft: false": "draft: true", "- Ada Lovelace": "- Someone Else", "---\nbody": PROV.replace("REVIEWED", "false")},
    )
    assert check("p.md") == []  # the reviewer already removed it


def test_provenance_left_in_a_published_post_or_unreadable() -> None:
    post("p.md", GOOD, {"---\nbody": PROV.replace("REVIEWED", "false")})
    assert rules(check("p.md")) == ["provenance"]
    post("p.md", GOOD, {"draft: false": "draft: true", "---\nbody": "# enrich-provenance: {broken\n---\nbody"})
    assert [(f.rule, f.line) for f in check("p.md")] == [("provenance", 26)]


# -- vocabulary ----------------------------------------------------------------------------------


def test_vocabulary_rules() -> None:
    write_vocab()
    post(
        "p.md",
        GOOD,
        {
            "- code-review": "- ai-agents\n- llms\n- AI_Agent",
            "- Ada Lovelace": "- 特朗普\n- Ada lovelace",
            "- Acme Robotics": "- NVIDIA\n- 英伟达",
        },
    )
    found = [f for f in check("p.md", vocab=True) if f.rule in ("tag-twin", "name-noncanonical")]
    messages = {f.message.split(":")[0]: f.message for f in found}
    assert "the vocabulary suggests merging it into 'ai-agent' (used 120 times)" in messages["tags[2]"]
    assert "'llms' was merged into 'llm'" in messages["tags[3]"]
    # an alias with another name key is a suggestion; a spelling variant of a name used more is certain
    assert messages["people[0]"].endswith("'特朗普': did you mean 'Donald Trump', used 40 times?")
    assert messages["people[1]"].endswith("'Ada lovelace' is written 'Ada Lovelace' in the vocabulary (used 5 times)")
    assert messages["companies_orgs[0]"].endswith("'NVIDIA' is written 'Nvidia' in the vocabulary (used 12 times)")
    assert "did you mean 'Nvidia'" in messages["companies_orgs[1]"]
    assert [f.line for f in found] == sorted(f.line for f in found)
    assert "tags[4]" not in messages  # not kebab-case: the pattern rule speaks for it


def test_unknown_tag_twin_and_rejected_merge() -> None:
    write_vocab(VOCAB.replace("accepted: false}", "accepted: false, rejected: true}"))
    post("p.md", GOOD, {"- code-review": "- geopolitic\n- code-reviews\n- ai-agents"})
    found = [f for f in check("p.md", vocab=True) if f.rule == "tag-twin"]
    assert len(found) == 2  # -ics is not a plural: 'geopolitic' is no twin of 'geopolitics' (as in drafting)
    assert "'code-reviews' is not in the vocabulary; did you mean 'code-review', used 8 times?" in found[0].message
    assert "(used 3 times) is a twin of 'ai-agent'; did you mean 'ai-agent', used 120 times?" in found[1].message


def test_vocab_found_above_the_file_and_cached(tmp_path: Path) -> None:
    write_vocab()
    Path("content/deep").mkdir(parents=True)
    post("content/deep/p.md", GOOD, {"- code-review": "- ai-agents"})
    assert "tag-twin" in rules(check("content/deep/p.md", vocab=True))
    cache = Path(os.environ["ENRICH_CACHE_DIR"])
    assert len(list(cache.glob("vocab-index-*.json"))) == 1
    again = load_index(Path(".enrich/vocab.yaml"))  # from the cache
    assert again.tag_hint("ai-agents") is not None and again.canonical_name("people", "ada lovelace") == "Ada Lovelace"
    vocab = load_vocabulary(Path("."))
    assert vocab is not None and again.lookup("people", "特朗普") == VocabIndex.from_vocabulary(vocab).lookup("people", "特朗普")
    result = run_cli("check", "--no-vocab", "content/deep/p.md")
    assert result.exit_code == 0 and result.stdout == ""


def test_bad_vocabulary_is_one_config_error() -> None:
    write_vocab("version: 7\n")
    post("p.md", GOOD)
    result = run_cli("check", "p.md")
    assert result.exit_code == 4 and "vocabulary version 7" in result.stderr and "Traceback" not in result.stderr


def test_twin_key_and_helpers() -> None:
    assert twin_key("AI_Agents") == twin_key("ai-agent") == twin_key("aiagents")
    assert twin_key("policies") == twin_key("policy") and twin_key("analysis") == "analysis"
    assert tag_slug("  AI Agents! ") == "ai-agents" and tag_slug("資源詛咒") == "資源詛咒"  # the pattern reports it
    assert js_rollover("2021-02-30") == "2021-03-02" and js_rollover("2021-13-01") == "2022-01-01"


# -- output, severities and exit codes -----------------------------------------------------------


def test_text_output_and_exit_codes() -> None:
    post("bad.md", GOOD, {"date: '2024-03-15'": "date: 2024-03-15"})
    post("warn.md", GOOD, {"layout: post.njk": "layout: post.njk\nmood: happy"})
    post("good.md", GOOD)
    result = run_cli("check", "good.md", "bad.md", "warn.md")
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "bad.md:6:1: error date-unquoted date: unquoted date 2024-03-15; quote it as '2024-03-15' (fixable)",
        "warn.md:11:1: warning unknown-key mood: key not in the site profile",
    ]
    assert result.stderr.splitlines() == [
        "enrich check: 1 error, 1 warning in 2 of 3 files; `enrich fix` fixes 1 of them (marked fixable)"
    ]
    warn_only = run_cli("check", "warn.md")
    assert warn_only.exit_code == 0 and warn_only.stdout.startswith("warn.md:11:1: warning unknown-key")
    assert run_cli("check", "--strict", "warn.md").exit_code == 1


def test_json_format() -> None:
    post("bad.md", GOOD, {"date: '2024-03-15'": "date: 2024-03-15", "status: evergreen": "status: evengreen"})
    result = run_cli("check", "--format", "json", "bad.md")
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    assert document["ok"] is False and document["errors"] == 2 and document["warnings"] == 0
    assert document["findings"][0] == {
        "path": "bad.md",
        "line": 6,
        "col": 1,
        "rule": "date-unquoted",
        "severity": "error",
        "message": "date: unquoted date 2024-03-15; quote it as '2024-03-15'",
    }
    post("good.md", GOOD)
    clean = run_cli("check", "--format", "json", "good.md")
    assert clean.exit_code == 0 and json.loads(clean.stdout)["findings"] == []


def test_severity_from_the_site_profile() -> None:
    Path("enrich.toml").write_text('[profile.severity]\ndate-unquoted = "warning"\nunknown-key = "off"\n')
    post("p.md", GOOD, {"date: '2024-03-15'": "date: 2024-03-15", "layout: post.njk": "layout: post.njk\nmood: x"})
    found = check("p.md")
    assert [(f.rule, f.severity) for f in found] == [("date-unquoted", "warning")]
    assert run_cli("check", "p.md").exit_code == 0


def test_folders_are_expanded_and_bad_files_do_not_stop_the_others() -> None:
    Path("content").mkdir()
    post("content/a.md", GOOD)
    Path("content/b.md").write_bytes(b"\x00binary")
    post("content/c.md", GOOD, {"date: '2024-03-15'": "date: 2024-03-15"})
    Path("content/notes.txt").write_text("not markdown")
    result = run_cli("check", "content")
    assert result.exit_code == 1
    assert [line.split(": ")[0] for line in result.stdout.splitlines()] == ["content/b.md:1:1", "content/c.md:6:1"]


def test_no_files_is_fine() -> None:
    result = run_cli("check")
    assert result.exit_code == 0 and result.stdout == ""


# -- the pre-commit entry point ------------------------------------------------------------------


def _run_entry(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    code = "from enrich.cli.check_cmd import main; main()"
    return subprocess.run([sys.executable, "-c", code, *args], cwd=cwd, env=env, capture_output=True, text=True)


def test_console_entry_checks_and_imports_nothing_heavy(tmp_path: Path) -> None:
    post("p.md", GOOD, {"date: '2024-03-15'": "date: 2024-03-15"})
    write_vocab()
    probe = (
        "import sys\nfrom enrich.cli.check_cmd import main\n"
        "try:\n    main()\nexcept SystemExit as exc:\n    code = exc.code\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('openai', 'tiktoken', 'jsonschema', 'pydantic', 'httpx', 'httpx2', 'jieba', 'opencc', 'frontmatter', 'rich'))\n"
        "print('HEAVY', heavy, 'EXIT', code)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    # The first run builds the index cache; the vocabulary's Chinese names make it fold Traditional to
    # Simplified, so OpenCC (and only OpenCC) may load then. Every later run loads nothing heavy.
    cold = subprocess.run([sys.executable, "-c", probe, "p.md"], cwd=Path.cwd(), env=env, capture_output=True, text=True)
    assert "HEAVY ['opencc', 'opencc.opencc'] EXIT 1" in cold.stdout or "HEAVY [] EXIT 1" in cold.stdout, cold.stdout
    result = subprocess.run([sys.executable, "-c", probe, "p.md"], cwd=Path.cwd(), env=env, capture_output=True, text=True)
    assert "HEAVY [] EXIT 1" in result.stdout, result.stdout + result.stderr
    assert "p.md:6:1: error date-unquoted" in result.stdout
    entry = _run_entry(["p.md"], Path.cwd())
    assert entry.returncode == 1 and entry.stdout.startswith("p.md:6:1: error date-unquoted")


def test_pre_commit_hook_definition() -> None:
    import yaml

    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    check_hook = next(h for h in hooks if h["id"] == "enrich-check")
    assert check_hook["language"] == "python" and check_hook["entry"] == "enrich-check"
    assert check_hook["types"] == ["markdown"]
    assert 'enrich-check = "enrich.cli.check_cmd:main"' in (REPO / "pyproject.toml").read_text()


# -- the real corpus -----------------------------------------------------------------------------


@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is not available")
def test_corpus_findings_are_the_known_kinds() -> None:
    checker = Checker(load_profile())
    paths = sorted(CORPUS.glob("*.md"))
    found = [f for p in paths for f in checker.check_file(str(p))]
    counts: dict[str, int] = {}
    for f in found:
        counts[f.rule] = counts.get(f.rule, 0) + 1
    assert counts.get("date-unquoted", 0) >= 20 and counts.get("empty-form", 0) >= 40
    assert not {"unreadable", "yaml-syntax", "no-front-matter", "unterminated"} & set(counts)
    clean = {str(p) for p in paths} - {f.path for f in found}
    assert len(clean) > 800  # a post that is fine raises nothing
