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
import os
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from yaml.nodes import Node, ScalarNode, SequenceNode

from enrich.check.checker import TAGS_FIELD
from enrich.frontmatter.edit import Change, Edits, apply, straightened, verify
from enrich.frontmatter.emit import scalar
from enrich.frontmatter.split import BlockError, parse_block
from enrich.frontmatter.yaml12 import NULL_TAG, STR_TAG, TIMESTAMP_TAG, Loaded, load_yaml, yaml11_trap
from enrich.fsutil import atomic_write
from enrich.profile import FieldSpec, Profile
from enrich.text import tag_slug
from enrich.validate import is_real_date
from enrich.vocab.index import Hint, VocabFinder, VocabIndex
from enrich.vocab.model import ENTITY_KINDS

STRAY_QUOTES = "\"'“”‘’「」"


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
        block = parse_block(data)
        result = FixResult(path, data, data)
        if block is None:
            return result
        edits = Edits(block)
        head = straightened(block)
        loaded: Loaded | None = None
        if block.closed:
            try:
                loaded = load_yaml(block.text)
            except (yaml.YAMLError, ValueError, TypeError, OverflowError):
                loaded = None
        if loaded is not None and isinstance(loaded.data, dict):
            vocab = self.vocab.for_file(Path(path))
            self._plan(edits, loaded, vocab)
        fixed = apply(data, edits)
        if edits.lines:
            refused = verify(data, loaded, fixed, edits.keys)
            if refused:
                result.refused = refused
                edits = Edits(block)
                fixed = apply(data, edits)
        result.fixed = fixed
        result.changes = head + edits.changes
        return result

    # -- planning -------------------------------------------------------------------------------

    def _plan(self, edits: Edits, loaded: Loaded, vocab: VocabIndex | None) -> None:
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

    def _trap(self, edits: Edits, key: str, node: Node, flow: bool = False) -> bool:
        """Quote a plain scalar that YAML 1.1 tools misread, when Eleventy reads it as a string anyway."""
        if not isinstance(node, ScalarNode) or node.tag != STR_TAG or not _one_line(node):
            return False
        if yaml11_trap(node) is None:
            return False
        index = node.start_mark.line
        if edits.free(index):
            quoted = scalar(node.value, fmt=self.profile.format)
            edits.replace(
                key,
                index,
                node.start_mark.column,
                node.end_mark.column,
                quoted,
                "yaml11-trap",
                f"{key}: {node.value} -> {quoted}",
            )
        return True

    def _empty(self, edits: Edits, key: str, key_node: ScalarNode, node: Node, text: str, what: str) -> None:
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

    def _scalar(self, edits: Edits, key: str, key_node: ScalarNode, node: Node, spec: FieldSpec) -> None:
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
                edits.replace(
                    key,
                    index,
                    node.start_mark.column,
                    node.end_mark.column,
                    f"'{value}'",
                    "date-unquoted",
                    f"{key}: {value} -> '{value}'",
                )
            return
        if node.tag != STR_TAG:
            return
        if spec.enum is not None and value not in spec.enum and value != "":
            target = _enum_target(value, spec.enum)
            if target is not None and edits.free(index):
                edits.replace(
                    key,
                    index,
                    node.start_mark.column,
                    node.end_mark.column,
                    scalar(target, fmt=self.profile.format),
                    "enum",
                    f"{key}: {value!r} -> {target!r}",
                )
            return
        self._trap(edits, key, node)

    def _list(self, edits: Edits, key: str, key_node: ScalarNode, node: Node, spec: FieldSpec, vocab: VocabIndex | None) -> None:
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

    def _flow_list(self, edits: Edits, key: str, node: SequenceNode, plan: list[tuple[ScalarNode, str | None, str, str]]) -> None:
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
            else:
                parts.append(scalar(value, flow=True, fmt=self.profile.format))
        edits.lines[index] = line[: node.start_mark.column] + "[" + ", ".join(parts) + "]" + line[node.end_mark.column :]
        edits.keys.add(key)
        edits.changes.extend(Change(edits.block.first_line + index, rule, what) for _, _, rule, what in plan if rule)

    def _block_list(
        self, edits: Edits, key: str, key_node: ScalarNode, plan: list[tuple[ScalarNode, str | None, str, str]]
    ) -> None:
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
            text = scalar(value, fmt=self.profile.format)
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


def write_atomic(path: str, data: bytes) -> None:
    """Replace a file's content atomically, keeping its mode (through a symlink to its target)."""
    atomic_write(Path(os.path.realpath(path)), data)
