"""Reading only the front matter block, and YAML read the way Eleventy (js-yaml 4) reads it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml

from enrich.fmread import (
    BlockError,
    UnquotedDate,
    load_yaml,
    mark_position,
    parse_block,
    read_block,
    scalar_text,
)


def block_of(text: str | bytes):  # type: ignore[no-untyped-def]
    data = text.encode("utf-8") if isinstance(text, str) else text
    return parse_block(data)


def test_block_lines_and_positions() -> None:
    block = block_of("---\ntitle: x\ntags:\n  - a\n---\nbody\n")
    assert block is not None
    assert block.lines == ["title: x", "tags:", "  - a"]
    assert block.first_line == 2 and block.close_line == 5 and not block.problems
    loaded = load_yaml(block.text)
    key, value = loaded.pairs[1]
    assert mark_position(key, block) == (3, 1)
    assert mark_position(value.value[0], block) == (4, 5)


def test_reads_only_the_block(tmp_path: Path) -> None:
    # The body holds bytes that are neither UTF-8 nor text: reading them would fail.
    path = tmp_path / "post.md"
    path.write_bytes(b"---\ntitle: x\n---\n" + b"\xff\x00\xfe" * 1000)
    block = read_block(str(path))
    assert block is not None and block.lines == ["title: x"]


def test_no_front_matter_and_empty_file() -> None:
    assert block_of("# title\n---\n") is None
    assert block_of("") is None
    assert block_of("\n---\ntitle: x\n---\n") is None  # gray-matter needs '---' at the very start


def test_bom_is_reported_and_skipped() -> None:
    block = block_of(b"\xef\xbb\xbf---\ntitle: x\n---\n")
    assert block is not None and block.bom
    assert [p.rule for p in block.problems] == ["bom"]
    assert block.lines == ["title: x"]


def test_unterminated() -> None:
    block = block_of("---\ntitle: x\n\nbody text\n")
    assert block is not None
    assert [(p.rule, p.line) for p in block.problems] == [("unterminated", 1)]


@pytest.mark.parametrize(
    ("text", "lines"),
    [("----\ntitle: x\n---\n", [1]), ("---\ntitle: x\n-----\n", [3]), ("----\ntitle: x\n----\n", [1, 3])],
)
def test_bad_delimiters(text: str, lines: list[int]) -> None:
    block = block_of(text)
    assert block is not None and block.lines == ["title: x"]
    assert [p.line for p in block.problems if p.rule == "bad-delimiter"] == lines


def test_crlf_and_trailing_spaces_on_delimiters() -> None:
    block = block_of(b"--- \r\ntitle: x\r\n---\t\r\nbody\r\n")
    assert block is not None and block.lines == ["title: x"] and not block.problems


def test_binary_undecodable_and_missing(tmp_path: Path) -> None:
    binary = tmp_path / "image.md"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    with pytest.raises(BlockError, match="not UTF-8 text \\(line 1"):
        read_block(str(binary))
    binary.write_bytes(b"\x00\x01\x02---\n")
    with pytest.raises(BlockError, match="binary file"):
        read_block(str(binary))
    latin = tmp_path / "latin.md"
    latin.write_bytes(b"---\ntitle: caf\xe9\n---\n")
    with pytest.raises(BlockError, match="not UTF-8 text \\(line 2"):
        read_block(str(latin))
    with pytest.raises(BlockError, match="no such file"):
        read_block(str(tmp_path / "missing.md"))
    with pytest.raises(BlockError, match="directory"):
        read_block(str(tmp_path))


def test_yaml_12_core_schema() -> None:
    data = load_yaml(
        "a: no\nb: yes\nc: on\nd: 012\ne: 0o17\nf: 0x1F\ng: 1e3\nh: ~\ni: true\nj: False\nk: 1_000\n"
        "l: 10:00\nm: .inf\nn: 3.5\no: null\np: 'no'\n"
    ).data
    assert data["a"] == "no" and data["b"] == "yes" and data["c"] == "on"
    assert data["d"] == 12 and data["e"] == 15 and data["f"] == 31
    assert data["g"] == 1000.0 and data["h"] is None and data["i"] is True and data["j"] is False
    assert data["k"] == "1_000" and data["l"] == "10:00" and data["m"] == float("inf") and data["n"] == 3.5
    assert data["o"] is None and data["p"] == "no"


def test_dates_stay_text_and_remember_they_were_unquoted() -> None:
    data = load_yaml("a: 2024-01-05\nb: '2024-01-05'\nc: 2021-02-30\nd: 2024-01-05 10:00:00\n").data
    assert isinstance(data["a"], UnquotedDate) and data["a"] == "2024-01-05"
    assert type(data["b"]) is str
    assert isinstance(data["c"], UnquotedDate) and data["c"] == "2021-02-30"  # no ValueError, no March
    assert isinstance(data["d"], UnquotedDate)
    assert not any(isinstance(v, dt.date) for v in data.values())


def test_duplicate_keys_with_lines() -> None:
    loaded = load_yaml("title: a\ntags: [x]\ntitle: b\n")
    assert loaded.data["title"] == "b"
    [(again, first)] = loaded.duplicates
    assert again.start_mark.line == 2 and first.start_mark.line == 0


def test_yaml11_traps() -> None:
    loaded = load_yaml("a: no\nb: 'no'\nc: 012\nd: 1e3\ne: plain\nf: [on, off]\ng: 2024-01-05\n")
    reasons = {node.value: reason for node, reason in loaded.traps}
    assert set(reasons) == {"no", "012", "1e3", "on", "off"}
    assert "a boolean for YAML 1.1" in reasons["no"]
    assert "octal 10" in reasons["012"]


def test_syntax_error_is_a_yaml_error() -> None:
    with pytest.raises(yaml.YAMLError):
        load_yaml("title: [unclosed\n")


@pytest.mark.parametrize(
    ("value", "text"),
    [("ai-agent", "ai-agent"), ("no", "'no'"), ("2024-01-05", "'2024-01-05'"), ("a: b", "'a: b'"),
     ("It's", "It's"), ("'q'", "'''q'''"), ("唐纳德·特朗普", "唐纳德·特朗普"), ("12", "'12'"), ("", "''"),
     ("-x", "'-x'"), ("x #y", "'x #y'")],
)
def test_scalar_text_round_trips(value: str, text: str) -> None:
    assert scalar_text(value) == text
    assert load_yaml(f"k: {text}\n").data["k"] == value
    assert yaml.safe_load(f"k: {text}\n")["k"] == value  # YAML 1.1 tools read the same string


def test_scalar_text_in_flow_context() -> None:
    assert scalar_text("a,b", flow=True) == "'a,b'"
    assert load_yaml(f"k: [{scalar_text('a,b', flow=True)}]\n").data["k"] == ["a,b"]


def test_merge_keys_anchors_and_explicit_tags_fall_back_to_the_constructor() -> None:
    data = load_yaml("base: &b {a: 1}\nother:\n  <<: *b\n  c: no\nbin: !!binary aGk=\nlist: [*b]\n").data
    assert data["other"] == {"a": 1, "c": "no"} and data["bin"] == b"hi" and data["list"] == [{"a": 1}]


@pytest.mark.parametrize("pad", [8192 - 20, 8192 - 4, 8192 - 3, 8192, 3 * 8192 + 1])
def test_block_across_chunk_boundaries(tmp_path: Path, pad: int) -> None:
    # the closing delimiter lands on, just before and just after a chunk boundary
    head = "---\ntitle: x\nsummary: " + "y" * pad + "\n"
    path = tmp_path / "long.md"
    path.write_bytes((head + "----x: not a delimiter\n---\nbody\n").encode())
    block = read_block(str(path))
    assert block is not None and not block.problems
    assert block.lines[-1] == "----x: not a delimiter" and block.close_line == 5


def test_closing_delimiter_at_end_of_file_without_newline(tmp_path: Path) -> None:
    path = tmp_path / "p.md"
    path.write_bytes(b"---\ntitle: x\n---")
    block = read_block(str(path))
    assert block is not None and block.lines == ["title: x"] and block.close_line == 3 and not block.problems


def test_unterminated_huge_file_stops_reading(tmp_path: Path) -> None:
    path = tmp_path / "huge.md"
    path.write_bytes(b"---\n" + b"k: v\n" * 400_000)
    block = read_block(str(path))
    assert block is not None and [p.rule for p in block.problems] == ["unterminated"]
    assert "within the first 1024 KB" in block.problems[0].message
