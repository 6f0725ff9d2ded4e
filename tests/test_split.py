"""The one splitter: delimiter rules (BOM, CRLF, `...`, `----`, unclosed), reading only the block, the body."""

from __future__ import annotations

from pathlib import Path

import pytest

from enrich.frontmatter.split import (
    Block,
    BlockError,
    parse_block,
    read_block,
    split_front_matter,
    split_text,
    unclosed_message,
)


def block_of(text: str | bytes) -> Block | None:
    return parse_block(text.encode("utf-8") if isinstance(text, str) else text)


def test_block_lines_and_where_it_sits() -> None:
    block = block_of("---\ntitle: x\ntags:\n  - a\n---\nbody\n")
    assert block is not None and block.closed and not block.problems
    assert block.lines == ["title: x", "tags:", "  - a"] and block.text == "title: x\ntags:\n  - a"
    assert block.first_line == 2 and block.close_line == 5 and block.end == len(b"---\ntitle: x\ntags:\n  - a\n---\n")


def test_reads_only_the_block(tmp_path: Path) -> None:
    path = tmp_path / "post.md"
    path.write_bytes(b"---\ntitle: x\n---\n" + b"\xff\x00\xfe" * 1000)  # a body neither UTF-8 nor text
    block = read_block(str(path))
    assert block is not None and block.lines == ["title: x"]


def test_no_front_matter_and_empty_file() -> None:
    assert block_of("# title\n---\n") is None
    assert block_of("") is None
    assert block_of("\n---\ntitle: x\n---\n") is None  # gray-matter needs '---' at the very start
    assert block_of("--- x\ntitle: x\n---\n") is None
    assert split_text("plain text\n") is None and split_front_matter("plain text\n") is None


def test_bom_is_reported_and_skipped_in_bytes_and_text() -> None:
    block = block_of(b"\xef\xbb\xbf---\ntitle: x\n---\n")
    assert block is not None and block.bom and [p.rule for p in block.problems] == ["bom"]
    assert block.lines == ["title: x"]
    parts = split_text("\ufeff---\ntitle: x\n---\nbody\n")
    assert parts is not None and parts.block.bom and parts.body == "body\n"
    assert split_front_matter("\ufeff---\ntitle: x\n---\nbody\n") == ("title: x", "body\n")


def test_unterminated_is_reported_never_content() -> None:
    block = block_of("---\ntitle: x\n\nbody text\n")
    assert block is not None and not block.closed
    assert [(p.rule, p.line) for p in block.problems] == [("unterminated", 1)]
    parts = split_text("---\ntitle: x\n\nbody text\n")
    assert parts is not None and not parts.closed and parts.body == ""
    assert split_front_matter("---\ntitle: x\n\nbody text\n") is None
    assert unclosed_message(block) == "front matter has no closing '---'"


def test_dots_do_not_close_front_matter_and_are_named() -> None:
    text = "---\ntitle: x\n...\nbody\n"
    block = block_of(text)
    assert block is not None and not block.closed and block.dots_line == 3
    assert "line 3 is '...'" in block.problems[0].message
    assert "line 3 is '...'" in unclosed_message(block)
    assert split_front_matter(text) is None
    # a `...` inside a block closed by `---` is YAML's document end, as js-yaml reads it
    closed = block_of("---\ntitle: x\n...\n---\nbody\n")
    assert closed is not None and closed.closed and closed.lines == ["title: x", "..."] and not closed.problems


@pytest.mark.parametrize(
    ("text", "lines"),
    [("----\ntitle: x\n---\n", [1]), ("---\ntitle: x\n-----\n", [3]), ("----\ntitle: x\n----\n", [1, 3])],
)
def test_long_dash_lines_are_delimiters_reported(text: str, lines: list[int]) -> None:
    block = block_of(text)
    assert block is not None and block.closed and block.lines == ["title: x"]
    assert [p.line for p in block.problems if p.rule == "bad-delimiter"] == lines
    assert split_front_matter(text + "body\n") == ("title: x", "body\n")


def test_crlf_and_trailing_spaces_on_delimiters() -> None:
    block = block_of(b"--- \r\ntitle: x\r\n---\t\r\nbody\r\n")
    assert block is not None and block.lines == ["title: x"] and not block.problems
    parts = split_text("--- \r\ntitle: x\r\n---\t\r\nbody\r\n")
    assert parts is not None and parts.body == "body\r\n"


def test_body_is_everything_after_the_closing_line() -> None:
    parts = split_text("---\ntitle: 卡尼\n---\n\n正文\n---\nmore\n")
    assert parts is not None and parts.block.text == "title: 卡尼" and parts.body == "\n正文\n---\nmore\n"
    assert split_front_matter("---\n---\nbody") == ("", "body")
    assert split_front_matter("---\ntitle: x\n---") == ("title: x", "")


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
    with pytest.raises(BlockError, match="NUL byte on line 2"):
        split_text("---\na: \x00\n---\n")
    assert split_front_matter("---\na: \x00\n---\n") is None


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
