"""`enrich fix`: apply the safe fixes as minimal line edits, so every other byte stays as it was.

It never re-dumps YAML: each fix replaces the text of one scalar (or one one-line flow list) on its
own line, or deletes the line of a list item. Safe means what Eleventy reads changes only in the
way the finding asks for: quote a real unquoted date, write an empty value in the profile's one
form, drop empty and repeated list items, kebab-case a tag, map a twin to its canonical tag or name
when the vocabulary is certain (an accepted merge, a listed alias), strip stray quotes or case
from an enumeration value, quote a YAML 1.1 trap, drop a BOM, straighten a `----` delimiter.
The result is parsed again and refused unless every key it did not touch reads exactly the same.
"""

from __future__ import annotations

import difflib
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import Node, ScalarNode, SequenceNode

from enrich.check import TAGS_FIELD
from enrich.fmread import (
    BOM,
    TIMESTAMP_TAG,
    Block,
    BlockError,
    Loaded,
    load_yaml,
    parse_block,
    scalar_text,
    yaml11_trap,
)
from enrich.fsutil import atomic_write
from enrich.profile import FieldSpec, Profile
from enrich.text import tag_slug
from enrich.validate import is_real_date
from enrich.vocab.index import Hint, VocabFinder, VocabIndex
from enrich.vocab.model import ENTITY_KINDS

NULL_TAG = "tag:yaml.org,2002:null"
STR_TAG = "tag:yaml.org,2002:str"
STRAY_QUOTES = "\"'“”‘’「」"


@dataclass(frozen=True)
class Change:
    """One fix: the 1-based file line it edits, the rule it answers and what it did."""

    line: int
    rule: str
    description: str


@dataclass
class FixResult:
    """What fixing one file does (or would do): the bytes before and after and each change."""

    path: str
    original: bytes
    fixed: bytes
    changes: list[Change] = field(default_factory=list)
    refused: str | None = None  # why nothing was changed although something could have been

    @property
    def changed(self) -> bool:
        return self.fixed != self.original

    def diff(self) -> str:
        """A unified diff of the change, for --dry-run."""
        before = self.original.decode("utf-8", "replace").splitlines(keepends=True)
        after = self.fixed.decode("utf-8", "replace").splitlines(keepends=True)
        old, new = (self.path, self.path) if os.path.isabs(self.path) else (f"a/{self.path}", f"b/{self.path}")
        lines = difflib.unified_diff(before, after, old, new)
        return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines)


class _Edits:
    """Pending line edits of one block: at most one edit per line, later conflicting ones dropped."""

    def __init__(self, block: Block) -> None:
        self.block = block
        self.lines: dict[int, str | None] = {}  # block line index -> new text, or None to delete
        self.changes: list[Change] = []
        self.keys: set[str] = set()

    def free(self, *indexes: int) -> bool:
        return all(i not in self.lines for i in indexes)

    def replace(self, key: str, index: int, start: int, end: int, text: str, rule: str, what: str) -> None:
        line = self.block.lines[index]
        self.set(key, index, line[:start] + text + line[end:], rule, what)

    def set(self, key: str, index: int, text: str | None, rule: str, what: str) -> None:
        self.lines[index] = text
        self.keys.add(key)
        self.changes.append(Change(self.block.first_line + index, rule, what))


def _one_line(node: Node) -> bool:
    return bool(node.start_mark.line == node.end_mark.line)


def _is_null(node: Node) -> bool:
    return isinstance(node, ScalarNode) and node.tag == NULL_TAG and not node.style


class Fixer:
    """Computes and applies the safe fixes of files against one profile and vocabulary."""

    def __init__(self, profile: Profile, vocab: VocabFinder | None = None) -> None:
        self.profile = profile
        self.vocab = vocab or VocabFinder(enabled=False)

    def fix_file(self, path: str, dry_run: bool = False) -> FixResult:
        """Fix one file in place (atomically) unless dry_run; raises BlockError for unreadable files."""
        try:
            data = Path(path).read_bytes()
        except FileNotFoundError:
            raise BlockError("no such file") from None
        except OSError as exc:
            raise BlockError(f"cannot read: {exc.strerror or exc}") from None
        result = self.fix_bytes(path, data)
        if result.changed and not dry_run:
            write_atomic(path, result.fixed)
        return result

    def fix_bytes(self, path: str, data: bytes) -> FixResult:
        """The fixed content of a file (nothing is written)."""
        raw_lines = data.splitlines(keepends=True)
        block = parse_block(data)
        result = FixResult(path, data, data)
        if block is None:
            return result
        edits = _Edits(block)
        head: list[Change] = []
        if block.bom:
            head.append(Change(1, "bom", "removed the byte order mark"))
        if block.open_text != "---":
            head.append(Change(1, "bad-delimiter", f"opening {block.open_text!r} -> '---'"))
        if block.close_line and block.close_text != "---":
            head.append(Change(block.close_line, "bad-delimiter", f"closing {block.close_text!r} -> '---'"))
        loaded: Loaded | None = None
        if block.close_line:
            try:
                loaded = load_yaml(block.text)
            except (yaml.YAMLError, ValueError, TypeError, OverflowError):
                loaded = None
        if loaded is not None and isinstance(loaded.data, dict):
            vocab = self.vocab.for_file(Path(path))
            self._plan(edits, loaded, vocab)
        fixed = _apply(raw_lines, block, edits)
        if edits.lines:
            refused = _verify(block, loaded, fixed, edits.keys)
            if refused:
                result.refused = refused
                edits = _Edits(block)
                fixed = _apply(raw_lines, block, edits)
        result.fixed = fixed
        result.changes = head + edits.changes
        return result

    # -- planning -------------------------------------------------------------------------------

    def _plan(self, edits: _Edits, loaded: Loaded, vocab: VocabIndex | None) -> None:
        duplicated = {str(k.value) for k, _ in loaded.duplicates}
        for key_node, value in loaded.pairs:
            key = str(key_node.value)
            if key in duplicated:
                continue  # which one Eleventy should keep is a person's call
            spec = self.profile.fields.get(key)
            if spec is None:
                self._trap(edits, key, value)
            elif spec.type == "list":
                self._list(edits, key, key_node, value, spec, vocab)
            elif spec.type in ("string", "date"):
                self._scalar(edits, key, key_node, value, spec)

    def _trap(self, edits: _Edits, key: str, node: Node, flow: bool = False) -> bool:
        """Quote a plain scalar that YAML 1.1 tools misread, when Eleventy reads it as a string anyway."""
        if not isinstance(node, ScalarNode) or node.tag != STR_TAG or not _one_line(node):
            return False
        if yaml11_trap(node) is None:
            return False
        index = node.start_mark.line
        if edits.free(index):
            quoted = "'" + node.value.replace("'", "''") + "'"
            edits.replace(key, index, node.start_mark.column, node.end_mark.column, quoted,
                          "yaml11-trap", f"{key}: {node.value} -> {quoted}")
        return True

    def _empty(self, edits: _Edits, key: str, key_node: ScalarNode, node: Node, text: str, what: str) -> None:
        """Write the profile's empty form in place of a null, '[]' string or [] list."""
        index = key_node.start_mark.line
        if not _one_line(node) or node.start_mark.line != index or not edits.free(index):
            return
        line = edits.block.lines[index]
        start, end = node.start_mark.column, node.end_mark.column
        if start == end:  # `key:` with nothing after the colon
            colon = line.find(":", key_node.end_mark.column)
            if colon < 0 or line[key_node.end_mark.column : colon].strip():
                return
            rest = line[colon + 1 :]
            new = line[: colon + 1] + " " + text + (rest if rest.strip() else "")
            edits.set(key, index, new, "empty-form", f"{key}: {what} -> {text}")
            return
        edits.replace(key, index, start, end, text, "empty-form", f"{key}: {what} -> {text}")

    def _scalar(self, edits: _Edits, key: str, key_node: ScalarNode, node: Node, spec: FieldSpec) -> None:
        if _is_null(node):
            self._empty(edits, key, key_node, node, "''", f"null {node.value or '(nothing)'}".strip())
            return
        if isinstance(node, SequenceNode) and not node.value:
            self._empty(edits, key, key_node, node, "''", "empty list")
            return
        if not isinstance(node, ScalarNode) or not _one_line(node):
            return
        value = node.value
        index = node.start_mark.line
        if spec.type == "date":
            real = len(value) == 10 and is_real_date(value)  # an impossible date is a person's call
            if not node.style and node.tag == TIMESTAMP_TAG and real and edits.free(index):
                edits.replace(key, index, node.start_mark.column, node.end_mark.column, f"'{value}'",
                              "date-unquoted", f"{key}: {value} -> '{value}'")
            return
        if node.tag != STR_TAG:
            return
        if spec.enum is not None and value not in spec.enum and value != "":
            target = _enum_target(value, spec.enum)
            if target is not None and edits.free(index):
                edits.replace(key, index, node.start_mark.column, node.end_mark.column, scalar_text(target),
                              "enum", f"{key}: {value!r} -> {target!r}")
            return
        self._trap(edits, key, node)

    def _list(self, edits: _Edits, key: str, key_node: ScalarNode, node: Node, spec: FieldSpec,
              vocab: VocabIndex | None) -> None:
        if _is_null(node):
            self._empty(edits, key, key_node, node, "[]", f"null {node.value or '(nothing)'}".strip())
            return
        if isinstance(node, ScalarNode):
            if node.tag == STR_TAG and node.value.strip() in ("[]", ""):
                self._empty(edits, key, key_node, node, "[]", f"the string {node.value!r}")
            return
        if not isinstance(node, SequenceNode) or not node.value:
            return
        items = node.value
        if not all(isinstance(i, ScalarNode) and _one_line(i) for i in items):
            return
        plan: list[tuple[ScalarNode, str | None, str, str]] = []  # (item, new value or None to drop, rule, what)
        seen: set[str] = set()
        pattern = spec.compiled_pattern()
        for item in items:
            assert isinstance(item, ScalarNode)
            if _is_null(item) or (item.tag == STR_TAG and item.value.strip() == ""):
                plan.append((item, None, "empty-form", f"{key}: dropped an empty item"))
                continue
            if item.tag != STR_TAG:
                plan.append((item, item.value, "", ""))
                continue
            value, rule, what = item.value, "", ""
            if pattern is not None and not pattern.match(value):
                candidate = tag_slug(value)
                if candidate and pattern.match(candidate):
                    value, rule, what = candidate, "pattern", f"{key}: {item.value!r} -> {candidate!r}"
            hint, rule_hint = _vocab_hint(vocab, key, value)
            if hint is not None and hint.certain and hint.value != value:
                what = f"{key}: {item.value!r} -> {hint.value!r} ({hint.reason})"
                value, rule = hint.value, rule or rule_hint
            folded = value.casefold()
            if folded in seen:
                plan.append((item, None, "duplicate-item", f"{key}: dropped repeated {item.value!r}"))
                continue
            seen.add(folded)
            if not rule and yaml11_trap(item) is not None:
                plan.append((item, value, "yaml11-trap", f"{key}: {value} -> '{value}'"))
                continue
            plan.append((item, value, rule, what))
        if not any(rule for _, _, rule, _ in plan):
            return
        if node.flow_style:
            self._flow_list(edits, key, node, plan)
        else:
            self._block_list(edits, key, key_node, plan)

    def _flow_list(self, edits: _Edits, key: str, node: SequenceNode,
                   plan: list[tuple[ScalarNode, str | None, str, str]]) -> None:
        index = node.start_mark.line
        if not _one_line(node) or not edits.free(index):
            return
        line = edits.block.lines[index]
        parts: list[str] = []
        for item, value, rule, _ in plan:
            if value is None:
                continue
            if not rule:
                parts.append(line[item.start_mark.column : item.end_mark.column])
            elif rule == "yaml11-trap":
                parts.append("'" + value.replace("'", "''") + "'")
            else:
                parts.append(scalar_text(value, flow=True))
        edits.lines[index] = line[: node.start_mark.column] + "[" + ", ".join(parts) + "]" + line[node.end_mark.column :]
        edits.keys.add(key)
        edits.changes.extend(Change(edits.block.first_line + index, rule, what) for _, _, rule, what in plan if rule)

    def _block_list(self, edits: _Edits, key: str, key_node: ScalarNode,
                    plan: list[tuple[ScalarNode, str | None, str, str]]) -> None:
        lines = edits.block.lines
        if all(value is None for _, value, _, _ in plan):  # every item dropped: write the empty list form
            index = key_node.start_mark.line
            colon = lines[index].find(":", key_node.end_mark.column)
            if colon < 0 or lines[index][colon + 1 :].strip() or not edits.free(index):
                return
            edits.set(key, index, lines[index][: colon + 1] + " []", "empty-form", f"{key}: no items left -> []")
        for item, value, rule, what in plan:
            if not rule:
                continue
            index = item.start_mark.line
            line = lines[index]
            if not edits.free(index):
                continue
            if value is None:
                before = line[: item.start_mark.column].strip()
                after = line[item.end_mark.column :].strip()
                if before == "-" and (not after or after.startswith("#")) and index != key_node.start_mark.line:
                    edits.set(key, index, None, rule, what)
                continue
            text = "'" + value.replace("'", "''") + "'" if rule == "yaml11-trap" else scalar_text(value)
            edits.replace(key, index, item.start_mark.column, item.end_mark.column, text, rule, what)


def _vocab_hint(vocab: VocabIndex | None, key: str, value: str) -> tuple[Hint | None, str]:
    """The vocabulary's better form of a list item, and the rule it answers."""
    if vocab is None:
        return None, ""
    if key == TAGS_FIELD:
        return vocab.tag_hint(value), "tag-twin"
    if key in ENTITY_KINDS:
        return vocab.name_hint(key, value), "name-noncanonical"
    return None, ""


def _enum_target(value: str, enum: tuple[str, ...]) -> str | None:
    """The enumeration value `value` certainly means: stray quotes, spaces or case aside."""
    stripped = value.strip().strip(STRAY_QUOTES).strip()
    if stripped in enum:
        return stripped
    lowered = {e.lower(): e for e in enum}
    return lowered.get(stripped.lower())


def _eol(raw: bytes) -> bytes:
    if raw.endswith(b"\r\n"):
        return b"\r\n"
    if raw.endswith((b"\n", b"\r")):
        return raw[-1:]
    return b""


def _apply(raw_lines: list[bytes], block: Block, edits: _Edits) -> bytes:
    """The file with the edits applied; every other line is the original bytes."""
    out: list[bytes] = []
    offset = block.first_line - 1  # file line index of block line 0
    for number, raw in enumerate(raw_lines):
        if number == 0:
            if block.bom:
                raw = raw[len(BOM) :]
            if block.open_text != "---":
                raw = b"---" + _eol(raw)
        elif block.close_line and number == block.close_line - 1 and block.close_text != "---":
            raw = b"---" + _eol(raw)
        elif 0 <= number - offset < len(block.lines) and (number - offset) in edits.lines:
            text = edits.lines[number - offset]
            if text is None:
                continue
            raw = text.encode("utf-8") + _eol(raw)
        out.append(raw)
    return b"".join(out)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return bool(type(a) is type(b) and a == b)


def _verify(block: Block, loaded: Loaded | None, fixed: bytes, touched: set[str]) -> str | None:
    """Why the fixed file must not be written (None when it is fine): it must parse, and every key
    it did not touch must read exactly as before."""
    try:
        new_block = parse_block(fixed)
        if new_block is None or not new_block.close_line:
            return "the fixed file lost its front matter"
        new = load_yaml(new_block.text)
    except (BlockError, yaml.YAMLError, ValueError, TypeError, OverflowError) as exc:
        return f"the fixed front matter would not parse ({type(exc).__name__})"
    if loaded is None or not isinstance(loaded.data, dict) or not isinstance(new.data, dict):
        return "the fixed front matter is not a mapping"
    old = loaded.data
    if set(map(str, old)) != set(map(str, new.data)):
        return "the fixed front matter has different keys"
    for key, value in old.items():
        if str(key) not in touched and not _same(value, new.data.get(key)):
            return f"the fix would change {key!r}"
    return None


def write_atomic(path: str, data: bytes) -> None:
    """Replace a file's content atomically, keeping its mode (through a symlink to its target)."""
    atomic_write(Path(os.path.realpath(path)), data)
