"""The one line-edit engine: change front matter by editing lines, then prove nothing else changed.

YAML is never re-dumped as a whole: an edit replaces the text of one scalar on its line, replaces the
lines of one entry, deletes a line or inserts lines, and every other byte of the file stays as it was
(a person's formatting, comments, line endings, the body). `apply` also straightens what the splitter
only tolerates (a BOM, `----` delimiters). `verify` reads the result back through the one splitter and
the one YAML reading and refuses it unless every key nobody meant to touch reads exactly as before.
`enrich fix` plans its fixes on this engine, and approval sets its keys with `set_entry`.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from enrich.frontmatter.emit import entry, inline_value
from enrich.frontmatter.split import BOM, DELIMITER, Block, BlockError, parse_block
from enrich.frontmatter.yaml12 import Loaded, load_yaml, plain

if TYPE_CHECKING:
    from enrich.profile import Profile


@dataclass(frozen=True)
class Change:
    """One edit: the 1-based file line it edits, the rule it answers and what it did."""

    line: int
    rule: str
    description: str


class Edits:
    """Pending edits of one block: each line edited at most once (callers ask `free` first), plus
    lines inserted before a line (index len(block.lines): before the closing delimiter)."""

    def __init__(self, block: Block) -> None:
        self.block = block
        self.lines: dict[int, str | None] = {}  # block line index -> new text (lines joined by "\n"), or None to delete
        self.inserts: dict[int, list[str]] = {}
        self.changes: list[Change] = []
        self.keys: set[str] = set()
        # PyYAML counts a lone CR as a line break, the file does not: node lines would miss their lines
        self.frozen = any("\r" in line for line in block.lines)

    def free(self, *indexes: int) -> bool:
        return not self.frozen and all(i not in self.lines for i in indexes)

    def replace(self, key: str, index: int, start: int, end: int, text: str, rule: str, what: str) -> None:
        """Replace columns [start, end) of one line."""
        line = self.block.lines[index]
        self.set(key, index, line[:start] + text + line[end:], rule, what)

    def set(self, key: str, index: int, text: str | None, rule: str, what: str) -> None:
        """Replace one line (by several when `text` holds newlines), or delete it (None)."""
        self.lines[index] = text
        self.keys.add(key)
        self.changes.append(Change(self.block.first_line + index, rule, what))

    def replace_lines(self, key: str, first: int, last: int, text: str, rule: str, what: str) -> None:
        """Replace lines first..last (inclusive) by `text` (lines joined by "\n"): one change."""
        self.set(key, first, text, rule, what)
        for index in range(first + 1, last + 1):
            self.lines[index] = None

    def insert(self, key: str, index: int, text: str, rule: str, what: str) -> None:
        """Insert `text` (lines joined by "\n") before block line `index`."""
        self.inserts.setdefault(index, []).extend(text.split("\n"))
        self.keys.add(key)
        self.changes.append(Change(self.block.first_line + index, rule, what))


def straightened(block: Block) -> list[Change]:
    """What `apply` always straightens in a block: the BOM and delimiters other than exactly `---`."""
    out: list[Change] = []
    if block.bom:
        out.append(Change(1, "bom", "removed the byte order mark"))
    if block.open_text != DELIMITER:
        out.append(Change(1, "bad-delimiter", f"opening {block.open_text!r} -> '---'"))
    if block.closed and block.close_text != DELIMITER:
        out.append(Change(block.close_line, "bad-delimiter", f"closing {block.close_text!r} -> '---'"))
    return out


def _raw_lines(data: bytes) -> list[bytes]:
    """The file's lines with their endings, split at LF only (as the splitter counts lines)."""
    parts = data.split(b"\n")
    lines = [part + b"\n" for part in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


def _eol(raw: bytes) -> bytes:
    if raw.endswith(b"\r\n"):
        return b"\r\n"
    if raw.endswith((b"\n", b"\r")):
        return raw[-1:]
    return b""


def _encoded(text: str, eol: bytes) -> bytes:
    return b"".join(line.encode("utf-8") + eol for line in text.split("\n"))


def apply(data: bytes, edits: Edits) -> bytes:
    """The file with the edits applied (and straightened); every other line is the original bytes."""
    block = edits.block
    raw_lines = _raw_lines(data)
    eol = (_eol(raw_lines[0]) if raw_lines else b"") or b"\n"  # for inserted lines: the file's own line ending
    offset = block.first_line - 1  # file line index of block line 0
    out: list[bytes] = []
    for number, raw in enumerate(raw_lines):
        index = number - offset
        if 0 <= index <= len(block.lines) and index in edits.inserts:
            out.append(_encoded("\n".join(edits.inserts[index]), eol))
        if number == 0:
            if block.bom:
                raw = raw[len(BOM) :]
            if block.open_text != DELIMITER:
                raw = DELIMITER.encode() + _eol(raw)
        elif block.closed and number == block.close_line - 1 and block.close_text != DELIMITER:
            raw = DELIMITER.encode() + _eol(raw)
        elif 0 <= index < len(block.lines) and index in edits.lines:
            text = edits.lines[index]
            if text is None:
                continue
            raw = _encoded(text, _eol(raw) or eol)
        out.append(raw)
    return b"".join(out)


def same(a: Any, b: Any) -> bool:
    """Equal with the same types all the way down (False is not 0, "1" is not 1), NaN equal to NaN."""
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if type(a) is not type(b):
        return False
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(v, b[k]) for k, v in a.items())
    return bool(a == b)


def verify(
    original: bytes, before: Loaded | None, after: bytes, touched: Collection[str], expected: Mapping[str, Any] | None = None
) -> str | None:
    """Why the edited file must not be written (None when it is fine): it must split and parse, keep its
    body byte for byte, repeat no key, have the same keys (plus those of `expected`), read every key it
    did not touch exactly as before, and read each key of `expected` as that value."""
    expected = {} if expected is None else plain(dict(expected))
    try:
        old_block, new_block = parse_block(original), parse_block(after)
        if old_block is None or new_block is None or not new_block.closed:
            return "the edited file lost its front matter"
        new = load_yaml(new_block.text)
    except (BlockError, yaml.YAMLError, ValueError, TypeError, OverflowError) as exc:
        return f"the edited front matter would not parse ({type(exc).__name__})"
    if after[new_block.end :] != original[old_block.end :]:
        return "the edit would change the body"
    old = {} if before is None or before.data is None else before.data  # an empty block is an empty mapping
    data = {} if new.data is None else new.data
    if not isinstance(old, dict) or not isinstance(data, dict) or before is None:
        return "the edited front matter is not a mapping"
    if len(new.duplicates) > len(before.duplicates):
        return "the edited front matter repeats a key"
    if set(map(str, data)) != set(map(str, old)) | set(expected):
        return "the edited front matter has different keys"
    for key, value in old.items():
        if str(key) not in touched and not same(value, data.get(key)):
            return f"the edit would change {key!r}"
    for key, value in expected.items():
        if not same(plain(data.get(key)), value):
            return f"{key!r} does not read back as {value!r}"
    return None


# -- setting one key ---------------------------------------------------------------------------------------


def last_line(node: Node, lines: list[str]) -> int:
    """The block line index of the last line holding part of `node` (not the comments or blank lines after it)."""
    if isinstance(node, SequenceNode | MappingNode) and node.value and not node.flow_style:
        child = node.value[-1]
        return last_line(child[1] if isinstance(node, MappingNode) else child, lines)
    end = node.end_mark
    line = max(end.line if end.column > 0 else end.line - 1, node.start_mark.line)
    while line > node.start_mark.line and line < len(lines) and not lines[line].strip():
        line -= 1
    return int(min(line, len(lines) - 1))


def set_entry(edits: Edits, loaded: Loaded, key: str, value: Any, profile: Profile, rule: str = "approval") -> bool:
    """Plan `key: value`: the value replaced where it stands (a one-line value in place, keeping what
    follows it on the line), or the entry inserted before the first key the profile orders after it.
    False when it cannot be done by line edits (a repeated key, an alias, a line already edited)."""
    lines = edits.block.lines
    pairs = [(str(k.value), k, v) for k, v in loaded.pairs]
    found = [(k, v) for name, k, v in pairs if name == key]
    text = entry(key, value, profile.format).rstrip("\n")
    inline = inline_value(value, profile.format, key)
    if len(found) > 1:
        return False
    data = loaded.data if isinstance(loaded.data, dict) else {}
    for target, source in profile.format.mirror.items():
        follows = data.get(target) in (None, "") or same(plain(data.get(target)), plain(data.get(source)))
        if source == key and target != key and follows and not set_entry(edits, loaded, target, value, profile, rule):
            return False  # a mirrored key (author = speaker) follows its source, unless a person set it otherwise
    if found and isinstance(loaded.data, dict) and same(plain(loaded.data.get(key)), plain(value)):
        return True  # already so: nothing to edit
    if found:
        key_node, node = found[0]
        first, start = key_node.start_mark.line, node.start_mark.line
        if start < first:  # an alias: its node is the anchor, somewhere else
            return False
        one_line = isinstance(node, ScalarNode) and start == first == node.end_mark.line
        if inline is not None and one_line and node.end_mark.column > node.start_mark.column and edits.free(first):
            edits.replace(key, first, node.start_mark.column, node.end_mark.column, inline, rule, f"{key}: set")
            return True
        last = last_line(node, lines)
        if not edits.free(*range(first, last + 1)):
            return False
        edits.replace_lines(key, first, last, text, rule, f"{key}: set")
        return True
    order = profile.ordered_keys([*(name for name, _, _ in pairs), key])
    later = set(order[order.index(key) + 1 :])
    index = next((k.start_mark.line for name, k, _ in pairs if name in later), None)
    if index is None:
        index = last_line(pairs[-1][2], lines) + 1 if pairs else 0
    if edits.frozen:
        return False
    edits.insert(key, int(index), text, rule, f"{key}: added")
    return True
