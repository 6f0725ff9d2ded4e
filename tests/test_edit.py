"""The one line-edit engine: minimal edits, straightened delimiters, and verify-after-edit."""

from __future__ import annotations

import pytest

from enrich.frontmatter.edit import Edits, apply, last_line, same, set_entry, straightened, verify
from enrich.frontmatter.split import Block, parse_block
from enrich.frontmatter.yaml12 import Loaded, load_yaml
from enrich.profile import load_profile

DOC = b"---\narea: x\ndraft: true  # until approved\ntags:\n- a\n# a note\n- b\ntitle: t\n# enrich-provenance: {}\n---\n\nbody\n"


def parsed(data: bytes) -> tuple[Block, Loaded]:
    block = parse_block(data)
    assert block is not None
    return block, load_yaml(block.text)


def test_column_replace_delete_and_insert_keep_every_other_byte() -> None:
    block, loaded = parsed(DOC)
    edits = Edits(block)
    edits.replace("draft", 1, 7, 11, "false", "approval", "draft")
    edits.set("tags", 5, None, "duplicate-item", "dropped b")
    edits.insert("status", 2, "status: budding", "approval", "status")
    assert edits.keys == {"draft", "tags", "status"}
    assert [c.line for c in edits.changes] == [3, 7, 4]  # file lines
    out = apply(DOC, edits)
    assert out == (
        b"---\narea: x\ndraft: false  # until approved\nstatus: budding\ntags:\n- a\n# a note\ntitle: t\n"
        b"# enrich-provenance: {}\n---\n\nbody\n"
    )
    assert verify(DOC, loaded, out, edits.keys, {"draft": False, "status": "budding"}) is None


def test_crlf_lines_stay_crlf_and_multi_line_replacements_take_the_line_ending() -> None:
    data = DOC.replace(b"\n", b"\r\n")
    block, loaded = parsed(data)
    edits = Edits(block)
    edits.replace_lines("tags", 2, 5, "tags:\n- c\n- d", "approval", "tags")
    edits.insert("status", 6, "status: budding", "approval", "status")
    out = apply(data, edits)
    assert b"\n" not in out.replace(b"\r\n", b"")
    assert out.startswith(
        b"---\r\narea: x\r\ndraft: true  # until approved\r\ntags:\r\n- c\r\n- d\r\nstatus: budding\r\ntitle: t\r\n"
    )
    assert verify(data, loaded, out, {"tags", "status"}, {"tags": ["c", "d"], "status": "budding"}) is None


def test_bom_and_long_delimiters_are_always_straightened() -> None:
    data = b"\xef\xbb\xbf----\ntitle: t\n-----\nbody\n"
    block, _ = parsed(data)
    assert [(c.line, c.rule) for c in straightened(block)] == [(1, "bom"), (1, "bad-delimiter"), (3, "bad-delimiter")]
    assert apply(data, Edits(block)) == b"---\ntitle: t\n---\nbody\n"


@pytest.mark.parametrize(
    ("line", "text", "reason"),
    [
        (0, "area: y", "the edit would change 'area'"),
        (0, None, "the edited front matter has different keys"),
        (0, "area: [x", "would not parse"),
        (0, "area: x\ntitle: again", "repeats a key"),
        (7, "---", "the edit would change the body"),
    ],
)
def test_verify_refuses_what_nobody_asked_for(line: int, text: str | None, reason: str) -> None:
    block, loaded = parsed(DOC)
    edits = Edits(block)
    edits.set("draft", line, text, "approval", "oops")
    assert reason in (verify(DOC, loaded, apply(DOC, edits), {"draft"}) or "")


def test_verify_checks_the_values_asked_for() -> None:
    block, loaded = parsed(DOC)
    edits = Edits(block)
    edits.replace("draft", 1, 7, 11, "'false'", "approval", "draft")
    assert verify(DOC, loaded, apply(DOC, edits), {"draft"}, {"draft": False}) == "'draft' does not read back as False"
    assert verify(DOC, loaded, b"no front matter\n", {"draft"}) == "the edited file lost its front matter"
    assert verify(DOC, loaded, b"---\n- a\n---\n\nbody\n", {"draft"}) == "the edited front matter is not a mapping"


def test_a_lone_carriage_return_freezes_the_block() -> None:
    block, _ = parsed(b"---\ntitle: 'a\rb'\ndraft: true\n---\n")
    edits = Edits(block)
    assert edits.frozen and not edits.free(1)


def test_last_line_skips_trailing_comments_and_blank_lines() -> None:
    block, loaded = parsed(b"---\ntags:\n- a\n- b\n# comment\nsummary: |\n  one\n  two\n\nx: [a,\n  b]\n---\n")
    spans = {str(k.value): (k.start_mark.line, last_line(v, block.lines)) for k, v in loaded.pairs}
    assert spans == {"tags": (0, 2), "summary": (4, 6), "x": (8, 9)}


def test_set_entry_in_place_replace_and_insert_in_profile_order() -> None:
    profile = load_profile()
    block, loaded = parsed(DOC)
    edits = Edits(block)
    for key, value in (("draft", False), ("tags", ["c"]), ("status", "budding"), ("title", "no")):
        assert set_entry(edits, loaded, key, value, profile)
    out = apply(DOC, edits)
    assert out == (
        b"---\narea: x\ndraft: false  # until approved\nstatus: budding\ntags:\n- c\ntitle: 'no'\n"
        b"# enrich-provenance: {}\n---\n\nbody\n"
    )
    assert (
        verify(
            DOC,
            loaded,
            out,
            {"draft", "tags", "status", "title"},
            {"draft": False, "tags": ["c"], "status": "budding", "title": "no"},
        )
        is None
    )


def test_set_entry_appends_after_the_last_key_before_trailing_comments() -> None:
    data = b"---\narea: x\n# enrich-provenance: {}\n---\n"
    block, loaded = parsed(data)
    edits = Edits(block)
    assert set_entry(edits, loaded, "zzz", 1, load_profile())  # a key the profile does not order: last
    assert apply(data, edits) == b"---\narea: x\nzzz: 1\n# enrich-provenance: {}\n---\n"
    empty = b"---\n---\n"
    block, loaded = parsed(empty)
    edits = Edits(block)
    assert set_entry(edits, loaded, "draft", False, load_profile())
    assert apply(empty, edits) == b"---\ndraft: false\n---\n"


def test_set_entry_refuses_repeated_keys_and_aliases() -> None:
    profile = load_profile()
    block, loaded = parsed(b"---\ndraft: true\ndraft: false\n---\n")
    assert not set_entry(Edits(block), loaded, "draft", False, profile)
    block, loaded = parsed(b"---\nbase: &b [a]\ntags: *b\n---\n")
    assert not set_entry(Edits(block), loaded, "tags", ["c"], profile)


def test_set_entry_leaves_a_value_that_is_already_so_and_an_empty_block_verifies() -> None:
    profile = load_profile()
    block, loaded = parsed(b"---\ndraft: False\ncount: 1\n---\n")
    edits = Edits(block)
    assert set_entry(edits, loaded, "draft", False, profile) and not edits.lines  # `False` is already false
    assert set_entry(edits, loaded, "count", True, profile) and edits.lines  # True is not 1
    empty = b"---\n# only a comment\n---\n"
    block, loaded = parsed(empty)
    edits = Edits(block)
    assert set_entry(edits, loaded, "draft", False, profile)
    out = apply(empty, edits)
    assert out == b"---\ndraft: false\n# only a comment\n---\n"
    assert verify(empty, loaded, out, {"draft"}, {"draft": False}) is None
    assert verify(empty, loaded, out, {"draft"}, {"draft": 0}) == "'draft' does not read back as 0"


def test_same_is_strict_about_types_all_the_way_down() -> None:
    assert same([1, {"a": float("nan")}], [1, {"a": float("nan")}])
    assert not same([True], [1]) and not same({"a": 0}, {"a": False}) and not same("1", 1)
