"""The one splitter: where a file's front matter starts and ends, with the rules the site's build uses.

Eleventy splits with gray-matter, which wants exactly `---` on the first line and `---` to close. Every
reader of a Markdown file goes through here (inputs, drafts, `enrich check` and `fix`, review, the
vocabulary's post reading), so a file splits the same way for all of them:

* a UTF-8 BOM before the opening `---` is skipped (and reported: gray-matter strips it, other tools do not);
* delimiter lines may carry trailing spaces, tabs and a CR (CRLF files);
* a line of four or more dashes is taken as the delimiter it was meant to be, and reported;
* `...` does not close front matter (gray-matter reads on past it): the block stays open, and the
  report of the unclosed block names the `...` line;
* a block with no closing delimiter is reported as unterminated, never taken as content.

Stdlib only, and `read_block` stops reading at the closing delimiter: `enrich check` starts here.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

BOM = b"\xef\xbb\xbf"
CHUNK = 8192  # front matter is usually 1-3 KB: read this much at a time, stop once the block is closed
MAX_LINE_BYTES = 1 << 16  # a first "line" longer than this is not front matter
MAX_BLOCK_BYTES = 1 << 20  # give up looking for the closing delimiter after this much
DELIMITER = "---"


@dataclass(frozen=True)
class ReadProblem:
    """Something wrong with the file itself, before any YAML is parsed (1-based line and column)."""

    rule: str
    line: int
    col: int
    message: str


@dataclass
class Block:
    """The front matter block of one file: its text and where it sits in the file."""

    text: str  # the YAML between the delimiters, lines joined by "\n"
    lines: list[str]  # the same lines, without line endings
    first_line: int  # 1-based file line of lines[0] (the line after the opening delimiter)
    close_line: int  # 1-based file line of the closing delimiter (0: not closed)
    bom: bool = False
    open_text: str = DELIMITER
    close_text: str = DELIMITER
    problems: list[ReadProblem] = field(default_factory=list)
    end: int = 0  # byte offset just after the closing delimiter's line: where the body starts
    dots_line: int = 0  # a `...` line found where the closing delimiter was expected (unclosed blocks)

    @property
    def closed(self) -> bool:
        return self.close_line > 0


@dataclass(frozen=True)
class Split:
    """A whole document split: its front matter block and the body after it."""

    block: Block
    body: str  # "" when the block is not closed

    @property
    def closed(self) -> bool:
        return self.block.closed


class BlockError(Exception):
    """The file cannot be read as a post at all (missing, binary, undecodable)."""


_CLOSE = re.compile(rb"^(-{3,})[ \t]*\r?\n", re.M)  # a delimiter line, complete with its newline
_CLOSE_AT_EOF = re.compile(rb"(-{3,})[ \t]*\r?")  # ... or the file's last line, without one
_DOTS = re.compile(rb"^\.\.\.[ \t]*\r?$", re.M)  # YAML's document end marker, which gray-matter ignores


def _is_delimiter(text: str) -> tuple[bool, bool]:
    """(is a delimiter line, is a bad one like `----`)."""
    stripped = text.rstrip(" \t\r")
    if stripped == DELIMITER:
        return True, False
    if len(stripped) > 3 and stripped.strip("-") == "":
        return True, True
    return False, False


def _decode(raw: bytes, first_line: int) -> str:
    """UTF-8 text of `raw`, which starts at file line `first_line`; BlockError names the line at fault."""
    nul = raw.find(b"\x00")
    if nul >= 0:
        line = first_line + raw.count(b"\n", 0, nul)
        raise BlockError(f"binary file (NUL byte on line {line})")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = first_line + raw.count(b"\n", 0, exc.start)
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise BlockError(f"not UTF-8 text (line {line}, byte {column})") from None


def _dots_note(block: Block) -> str:
    return f" (line {block.dots_line} is '...', which does not close it)" if block.dots_line else ""


def unclosed_message(block: Block) -> str:
    """Why an unclosed block is not front matter, naming a `...` line that was meant to close it."""
    opened = f" (opened by {block.open_text!r})" if block.open_text != DELIMITER else ""
    return f"front matter{opened} has no closing '---'" + _dots_note(block)


def parse_block(data: bytes, more: Callable[[], bytes] | None = None) -> Block | None:
    """The front matter block at the start of `data`; `more()` supplies the next chunk of the file
    (b"" at its end) and is called only until the closing delimiter has been seen.

    Returns None when the file does not start with a delimiter (no front matter); raises
    BlockError for binary or undecodable text in the first line or the block.
    """
    buf = data
    exhausted = more is None

    def grow() -> bool:
        nonlocal buf, exhausted
        if exhausted or len(buf) > MAX_BLOCK_BYTES:
            return False
        chunk = more() if more is not None else b""
        if not chunk:
            exhausted = True
            return False
        buf += chunk
        return True

    while b"\n" not in buf[:MAX_LINE_BYTES] and len(buf) < MAX_LINE_BYTES and grow():
        pass
    bom = buf.startswith(BOM)
    start = len(BOM) if bom else 0
    newline = buf.find(b"\n", start)
    first_end = newline if newline >= 0 else len(buf)
    head = _decode(buf[start:first_end], 1)
    is_delim, bad = _is_delimiter(head)
    if not is_delim:
        return None
    problems: list[ReadProblem] = []
    if bom:
        problems.append(ReadProblem("bom", 1, 1, "file starts with a UTF-8 byte order mark; save it without BOM"))
    if bad:
        problems.append(ReadProblem("bad-delimiter", 1, 1, f"opening delimiter {head.strip()!r}; write exactly '---'"))
    body_start = first_end + 1
    search = body_start
    close: tuple[int, int, bytes] | None = None  # (offset of the closing line, offset after it, its dashes)
    while newline >= 0:
        match = _CLOSE.search(buf, search)
        if match:
            close = (match.start(), match.end(), match.group(1))
            break
        search = max(body_start, buf.rfind(b"\n") + 1)  # rescan the last, maybe partial, line
        if not grow():
            if exhausted:
                last = _CLOSE_AT_EOF.fullmatch(buf, search)
                if last and search >= body_start:
                    close = (search, len(buf), last.group(1))
            break
    if close is None:
        return _unclosed(buf, body_start, bom, head, problems, exhausted)
    offset, end, dashes = close
    close_line = buf.count(b"\n", 0, offset) + 1
    if len(dashes) > 3:
        text = dashes.decode("ascii")
        problems.append(ReadProblem("bad-delimiter", close_line, 1, f"closing delimiter {text!r}; write exactly '---'"))
    raw_block = buf[body_start:offset] if offset > body_start else b""
    lines = _decode(raw_block, 2).split("\n")[:-1] if raw_block else []
    lines = [line[:-1] if line.endswith("\r") else line for line in lines]
    return Block("\n".join(lines), lines, 2, close_line, bom, head.strip(), dashes.decode("ascii"), problems, end)


def _unclosed(buf: bytes, body_start: int, bom: bool, head: str, problems: list[ReadProblem], exhausted: bool) -> Block:
    """The block of a file whose front matter is never closed: no lines, one `unterminated` problem."""
    dots = _DOTS.search(buf, body_start)
    block = Block("", [], 2, 0, bom, head.strip(), "", problems)
    if dots is not None:
        block.dots_line = buf.count(b"\n", 0, dots.start()) + 1
    where = "before the end of the file" if exhausted else f"within the first {MAX_BLOCK_BYTES // 1024} KB"
    message = f"front matter opened here is not closed by '---' {where}{_dots_note(block)}"
    problems.append(ReadProblem("unterminated", 1, 1, message))
    return block


def read_block(path: str) -> Block | None:
    """The front matter block of the file at `path`, read in small chunks up to its closing delimiter.

    Raises BlockError (with a one-line reason) when the file is missing, unreadable or binary.
    """
    try:
        with open(path, "rb") as handle:
            return parse_block(handle.read(CHUNK), lambda: handle.read(CHUNK))
    except FileNotFoundError:
        raise BlockError("no such file") from None
    except IsADirectoryError:
        raise BlockError("is a directory") from None
    except OSError as exc:
        raise BlockError(f"cannot read: {exc.strerror or exc}") from None


def split_text(text: str) -> Split | None:
    """A decoded document split into its front matter block and body; None when it has no front matter.

    The block may be unclosed (`closed` is False, the body is empty) or carry problems (a BOM, `----`):
    each caller decides what those mean for it. BlockError for a NUL byte in the block.
    """
    data = text.encode("utf-8")
    block = parse_block(data)
    if block is None:
        return None
    body = data[block.end :].decode("utf-8") if block.closed else ""
    return Split(block, body)


def split_front_matter(text: str) -> tuple[str, str] | None:
    """(YAML block, body) of a document whose front matter is closed, else None (the short form of `split_text`)."""
    try:
        parts = split_text(text)
    except BlockError:
        return None
    if parts is None or not parts.closed:
        return None
    return parts.block.text, parts.body
