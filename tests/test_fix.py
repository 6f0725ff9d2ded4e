"""`enrich fix`: safe fixes as minimal line edits; every line it does not fix stays byte-identical."""

from __future__ import annotations

import difflib
import os
import shutil
import stat
from pathlib import Path

import pytest

from enrich.check.checker import Checker
from enrich.check.fixer import Fixer
from enrich.profile import load_profile
from enrich.vocab.index import VocabFinder
from tests.conftest import FIXTURES, SHARED, run_cli
from tests.test_check import GOOD, VOCAB, post, write_vocab

CORPUS = SHARED / "corpus" / "posts"


def fixer(vocab: bool = False) -> Fixer:
    return Fixer(load_profile(), VocabFinder(enabled=vocab))


def changed_lines(before: bytes, after: bytes) -> tuple[list[bytes], list[bytes]]:
    """(lines removed or replaced, lines added) between two versions."""
    a, b = before.splitlines(keepends=True), after.splitlines(keepends=True)
    old: list[bytes] = []
    new: list[bytes] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if tag != "equal":
            old += a[i1:i2]
            new += b[j1:j2]
    return old, new


@pytest.mark.parametrize(
    ("before", "after", "rule"),
    [
        ("date: 2024-03-15", "date: '2024-03-15'", "date-unquoted"),
        ("guest: null", "guest: ''", "empty-form"),
        ("guest: ~", "guest: ''", "empty-form"),
        ("guest:", "guest: ''", "empty-form"),
        ("guest:   # who?", "guest: ''   # who?", "empty-form"),
        ("guest: []", "guest: ''", "empty-form"),
        ("media_books: '[]'", "media_books: []", "empty-form"),
        ('media_books: "[]"', "media_books: []", "empty-form"),
        ("media_books: null", "media_books: []", "empty-form"),
        ("media_books:", "media_books: []", "empty-form"),
        ("area: “tech-engineering”", "area: tech-engineering", "enum"),
        ("area: '\"tech-engineering\"'", "area: tech-engineering", "enum"),
        ("area: Tech-Engineering", "area: tech-engineering", "enum"),
        ("layout: post.njk", "layout: post.njk\nmood: 'off'", "yaml11-trap"),
    ],
)
def test_scalar_fixes(before: str, after: str, rule: str) -> None:
    source = GOOD.replace("layout: post.njk", "layout: post.njk\nmood: off") if rule == "yaml11-trap" else GOOD
    anchor = before.split(":")[0] + ":"
    line = next(x for x in source.splitlines() if x.startswith(anchor))
    text = source.replace(line, before) if rule != "yaml11-trap" else source
    result = fixer().fix_bytes("p.md", text.encode())
    assert [c.rule for c in result.changes] == [rule]
    expected = text.replace(before, after) if rule != "yaml11-trap" else source.replace("mood: off", "mood: 'off'")
    assert result.fixed.decode() == expected
    assert Checker(load_profile()).check_bytes("p.md", result.fixed) == [] or rule == "yaml11-trap"


def test_lists_kebab_dedupe_and_empty_items() -> None:
    text = GOOD.replace("- code-review", "- Code Review\n- code-review\n- ''\n- Release Engineering")
    result = fixer().fix_bytes("p.md", text.encode())
    assert result.fixed.decode() == GOOD
    assert sorted(c.rule for c in result.changes) == ["duplicate-item", "duplicate-item", "empty-form", "pattern"]


def test_flow_lists_are_rewritten_on_their_line() -> None:
    text = GOOD.replace(
        "tags:\n- release-engineering\n- continuous-integration\n- code-review",
        "tags: [Release Engineering, continuous-integration, code-review, code-review]  # keep",
    )
    result = fixer().fix_bytes("p.md", text.encode())
    assert "tags: [release-engineering, continuous-integration, code-review]  # keep\n" in result.fixed.decode()


def test_all_items_dropped_leaves_the_empty_list() -> None:
    text = GOOD.replace("media_books: []", "media_books:\n- ''\n- null")
    result = fixer().fix_bytes("p.md", text.encode())
    assert result.fixed.decode() == GOOD


def test_vocabulary_fixes_only_when_certain() -> None:
    write_vocab()
    text = GOOD.replace("- code-review", "- llms\n- ai-agents").replace("- Ada Lovelace", "- 特朗普\n- Ada lovelace")
    Path("p.md").write_text(text, encoding="utf-8")
    result = fixer(vocab=True).fix_file("p.md")
    fixed = Path("p.md").read_text(encoding="utf-8")
    assert "- llm\n- ai-agents\n" in fixed  # accepted merge applied; a plain twin is only reported
    assert "- 特朗普\n- Ada Lovelace\n" in fixed  # an alias is only suggested; a spelling variant is applied
    assert sorted(c.rule for c in result.changes) == ["name-noncanonical", "tag-twin"]


def test_fix_never_applies_an_alias_an_ambiguous_one_or_a_tie() -> None:
    write_vocab(
        VOCAB.replace(
            "  Ada Lovelace: {count: 5, aliases: []}",
            "  Ada Lovelace: {count: 5, aliases: []}\n  Trump: {count: 3, aliases: [特朗普]}\n"
            "  Mini Max: {count: 2, aliases: [MiniMax], tied: [MiniMax]}",
        )
    )
    text = GOOD.replace("- Ada Lovelace", "- 特朗普\n- 川普\n- MiniMax")
    result = fixer(vocab=True).fix_bytes("p.md", text.encode())
    assert result.changes == [] and result.fixed.decode() == text
    found = Checker(load_profile(), VocabFinder()).check_bytes("p.md", text.encode())
    assert [f.message for f in found if f.rule == "name-noncanonical"] == [
        "people[0]: '特朗普' is ambiguous in the vocabulary: 'Donald Trump' (used 40 times) or 'Trump' (used 3 times); "
        "write the one meant",
        "people[1]: '川普': did you mean 'Donald Trump', used 40 times?",
        "people[2]: 'MiniMax': did you mean 'Mini Max', used 2 times?",
    ]


def test_fix_to_an_existing_item_dedupes() -> None:
    write_vocab(VOCAB)
    text = GOOD.replace("- code-review", "- llm\n- LLMs\n- code-review")
    result = fixer(vocab=True).fix_bytes("p.md", text.encode())
    assert "- llm\n- code-review\n" in result.fixed.decode()


def test_untouched_lines_are_byte_identical_crlf_and_body() -> None:
    body = "\r\n正文第一行\r\n---\r\nnot: front matter\r\n" + "x" * 5000
    text = GOOD.replace("\n", "\r\n").replace("date: '2024-03-15'", "date: 2024-03-15").replace("body\r\n", body)
    original = ("\ufeff" + text).encode()
    result = fixer().fix_bytes("p.md", original)
    old, new = changed_lines(original, result.fixed)
    assert old == ["\ufeff---\r\n".encode(), b"date: 2024-03-15\r\n"]
    assert new == [b"---\r\n", b"date: '2024-03-15'\r\n"]
    assert result.fixed.endswith(body.encode())


def test_fixture_posts_fix_then_check_clean(tmp_path: Path) -> None:
    copy = tmp_path / "posts"
    shutil.copytree(FIXTURES / "posts", copy)
    os.chmod(copy / "many-problems.md", 0o640)
    result = run_cli("fix", str(copy))
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE((copy / "many-problems.md").stat().st_mode) == 0o640
    leftovers = Checker(load_profile()).check_file(str(copy / "many-problems.md"))
    assert [f.rule for f in leftovers] == ["enum", "unknown-key"]  # 'evengreen' is a person's call
    for name in ("bom.md", "bad-delimiter.md"):
        assert Checker(load_profile()).check_file(str(copy / name)) == []
    assert not list(copy.glob(".*.tmp"))
    again = run_cli("fix", "--dry-run", str(copy))
    assert again.exit_code == 0 and again.stdout == ""  # idempotent


def test_dry_run_shows_a_diff_and_writes_nothing() -> None:
    post("p.md", GOOD, {"date: '2024-03-15'": "date: 2024-03-15"})
    before = Path("p.md").read_bytes()
    result = run_cli("fix", "--dry-run", "p.md")
    assert result.exit_code == 1
    assert result.stdout.splitlines()[:2] == ["--- a/p.md", "+++ b/p.md"]
    assert "-date: 2024-03-15\n+date: '2024-03-15'\n" in result.stdout
    assert Path("p.md").read_bytes() == before
    written = run_cli("fix", "p.md")
    assert written.exit_code == 0 and written.stdout == "p.md: fixed 1: date-unquoted\n"
    assert Path("p.md").read_text() == GOOD


def test_nothing_to_fix_and_unfixable() -> None:
    post("good.md", GOOD)
    post("bad.md", GOOD, {"date: '2024-03-15'": "date: 2021-02-30", "status: evergreen": "status: evengreen"})
    post("dup.md", GOOD, {"guest: ''": "guest: null\nguest: null"})
    post("broken.md", GOOD, {"title: 小团队如何建立可靠的发布流程": 'title: "x'})
    before = {p: Path(p).read_bytes() for p in ("good.md", "bad.md", "dup.md", "broken.md")}
    result = run_cli("fix", "good.md", "bad.md", "dup.md", "broken.md", "missing.md")
    assert result.exit_code == 3  # the missing file
    assert "missing.md: no such file" in result.stderr
    assert {p: Path(p).read_bytes() for p in before} == before


def test_symlinked_post_keeps_its_link(tmp_path: Path) -> None:
    target = tmp_path / "real.md"
    target.write_text(GOOD.replace("date: '2024-03-15'", "date: 2024-03-15"), encoding="utf-8")
    Path("link.md").symlink_to(target)
    fixer().fix_file("link.md")
    assert Path("link.md").is_symlink() and target.read_text(encoding="utf-8") == GOOD


@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is not available")
def test_corpus_fix_changes_only_lines_it_fixes(tmp_path: Path) -> None:
    profile = load_profile()
    checker, fix = Checker(profile), Fixer(profile)
    fixed_total = 0
    for path in sorted(CORPUS.glob("*.md")):
        data = path.read_bytes()
        result = fix.fix_bytes(str(path), data)
        if not result.changed:
            continue
        lines = data.splitlines(keepends=True)
        fixed_lines = {c.line for c in result.changes}
        old, _ = changed_lines(data, result.fixed)
        assert all(any(lines[n - 1] == line for n in fixed_lines) for line in old), path.name
        before = len(checker.check_bytes(str(path), data))
        after = len(checker.check_bytes(str(path), result.fixed))
        assert after < before
        fixed_total += before - after
    assert fixed_total >= 70


def test_weakly_attested_alias_is_reported_not_fixed_unless_merged() -> None:
    write_vocab(
        VOCAB.replace(
            "  Ada Lovelace: {count: 5, aliases: []}",
            "  Ada Lovelace: {count: 5, aliases: []}\n  Xanth: {count: 1, aliases: [亚瑟王]}",
        )
        + "  - {from: 阿达, to: Ada Lovelace, kind: people, accepted: true}\n"
    )
    text = GOOD.replace("- Ada Lovelace", "- 亚瑟王\n- 阿达")
    result = fixer(vocab=True).fix_bytes("p.md", text.encode())
    assert "- 亚瑟王\n- Ada Lovelace\n" in result.fixed.decode()
    found = Checker(load_profile(), VocabFinder()).check_bytes("p.md", text.encode())
    assert [f.message for f in found if f.rule == "name-noncanonical"] == [
        "people[0]: '亚瑟王': did you mean 'Xanth', used once?",
        "people[1]: '阿达' is written 'Ada Lovelace' in the vocabulary (used 5 times)",
    ]
