"""`enrich check`: every problem in the front matter of committed posts, each at its line.

Value rules come from `enrich.validate` (the same ones drafting uses); this module adds what only
a file shows: delimiters, BOM, YAML syntax, duplicate keys, YAML 1.1 traps, line numbers, the
site's vocabulary and a draft's provenance. It reads only the front matter of each file, keeps no
state across runs and imports nothing heavy: it is the pre-commit start-up path.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from enrich.check.format_rules import check_format
from enrich.frontmatter.provenance import MARKER, find_provenance
from enrich.frontmatter.split import Block, BlockError, parse_block, read_block
from enrich.frontmatter.yaml12 import Loaded, UnquotedDate, error_position, error_text, load_yaml, mark_position
from enrich.profile import Profile
from enrich.text import tag_slug
from enrich.validate import is_real_date, validate_front_matter
from enrich.vocab.index import VocabFinder, VocabIndex
from enrich.vocab.model import ENTITY_KINDS

_YMD = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
TAGS_FIELD = "tags"
MARKDOWN_SUFFIXES = (".md", ".markdown")


@dataclass(frozen=True)
class Finding:
    """One problem at one place in one file."""

    path: str
    line: int
    col: int
    rule: str
    severity: str
    message: str

    def format(self) -> str:
        """`path:line:col: severity rule-id message`: every line says whether it fails the commit."""
        return f"{self.path}:{self.line}:{self.col}: {self.severity} {self.rule} {self.message}"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def eleventy_value(value: Any) -> Any:
    """What js-yaml 4 hands Eleventy: an unquoted real date is a Date, an impossible one stays text here."""
    if isinstance(value, UnquotedDate):
        if _YMD.match(value) and is_real_date(value):
            return dt.date.fromisoformat(value)
        return str(value)
    if isinstance(value, list):
        return [eleventy_value(v) for v in value]
    if isinstance(value, dict):
        return {k: eleventy_value(v) for k, v in value.items()}
    return value


def js_rollover(text: str) -> str | None:
    """The real date js-yaml silently makes of an impossible one (`2021-02-30` -> `2021-03-02`)."""
    match = _YMD.match(text)
    if not match:
        return None
    year, month, day = (int(g) for g in match.groups())
    months = year * 12 + month - 1
    try:
        first = dt.date(months // 12, months % 12 + 1, 1)
        return (first + dt.timedelta(days=day - 1)).isoformat()
    except (ValueError, OverflowError):
        return None


def _scalars(node: Node) -> Iterator[ScalarNode]:
    if isinstance(node, ScalarNode):
        yield node
    elif isinstance(node, SequenceNode):
        for item in node.value:
            yield from _scalars(item)
    elif isinstance(node, MappingNode):
        for key, value in node.value:
            yield from _scalars(key)
            yield from _scalars(value)


class Checker:
    """Checks files against one profile, and the vocabulary that applies to each file."""

    def __init__(self, profile: Profile, vocab: VocabFinder | None = None) -> None:
        self.profile = profile
        self.vocab = vocab or VocabFinder(enabled=False)

    # -- entry points ---------------------------------------------------------------------------

    def check_file(self, path: str) -> list[Finding]:
        """Every finding for one file (reading only its front matter); never raises for bad input."""
        try:
            block = read_block(path)
        except BlockError as exc:
            return self._one(path, "unreadable", 1, 1, str(exc))
        return self.check_block(path, block)

    def check_bytes(self, path: str, data: bytes) -> list[Finding]:
        """Every finding for a file's content already in memory (used by fix to count what it fixed)."""
        try:
            block = parse_block(data)
        except BlockError as exc:
            return self._one(path, "unreadable", 1, 1, str(exc))
        return self.check_block(path, block)

    def check_block(self, path: str, block: Block | None) -> list[Finding]:
        if block is None:
            return self._one(path, "no-front-matter", 1, 1, "no front matter: the file does not start with '---'")
        out: list[Finding] = []
        for problem in block.problems:
            self._add(out, path, problem.rule, problem.line, problem.col, problem.message)
        if any(p.rule == "unterminated" for p in block.problems):
            return out  # without its end, the block's YAML would be the whole file: nothing more to say
        try:
            loaded = load_yaml(block.text)
        except yaml.YAMLError as exc:
            line, col = error_position(exc, block.first_line)
            self._add(out, path, "yaml-syntax", line, col, f"invalid YAML: {error_text(exc)}")
            return out
        except (ValueError, TypeError, OverflowError) as exc:
            self._add(out, path, "yaml-syntax", block.first_line, 1, f"cannot read the YAML: {exc}")
            return out
        out.extend(self.check_loaded(path, block, loaded))
        return _sorted(out)

    # -- rules ----------------------------------------------------------------------------------

    def check_loaded(self, path: str, block: Block, loaded: Loaded) -> list[Finding]:
        """Findings from parsed YAML: duplicate keys, traps, profile values, vocabulary, provenance."""
        out: list[Finding] = []
        data = loaded.data
        if data is None:
            data = {}
        if not isinstance(data, dict):
            kind = "a list" if isinstance(data, list) else f"the {type(data).__name__} {data!r}"
            self._add(out, path, "yaml-syntax", block.first_line, 1, f"front matter is {kind}, not a mapping of keys")
            return out
        keys = {str(k.value): k for k, _ in loaded.pairs}
        values = {str(k.value): v for k, v in loaded.pairs}  # the last one wins, as in the data

        for key, first in loaded.duplicates:
            line, col = mark_position(key, block)
            first_line, _ = mark_position(first, block)
            self._add(
                out,
                path,
                "duplicate-key",
                line,
                col,
                f"{key.value}: duplicate key (first on line {first_line}); js-yaml refuses the file",
            )

        spoken: set[tuple[str, int | None]] = set()  # (key, item) a value rule already reported
        values_for_rules = {str(k): eleventy_value(v) for k, v in data.items()}
        for problem in validate_front_matter(values_for_rules, self.profile):
            line, col = self._position(block, problem.key, problem.index, keys, values)
            message = self._explain(problem.key, problem.rule, problem.message, problem.index, data)
            where = f"{problem.key}" if problem.index is None else f"{problem.key}[{problem.index}]"
            out.append(Finding(path, line, col, problem.rule, problem.severity, f"{where}: {message}"))
            if problem.rule != "unknown-key":  # about the key, not its value
                spoken.add((problem.key, problem.index))

        traps = {id(node): reason for node, reason in loaded.traps}
        for key, value_node in loaded.pairs if traps else ():
            items = value_node.value if isinstance(value_node, SequenceNode) else []
            for scalar in _scalars(value_node):
                reason = traps.get(id(scalar))
                index = next((i for i, item in enumerate(items) if item is scalar), None)
                if reason is not None and (str(key.value), index) not in spoken:
                    line, col = mark_position(scalar, block)
                    self._add(out, path, "yaml11-trap", line, col, f"{key.value}: {reason}; quote it as '{scalar.value}'")

        vocab = self.vocab.for_file(Path(path))
        if vocab is not None:
            self._vocab_rules(out, path, block, vocab, data, values)
        self._provenance_rules(out, path, block, data, values)
        check_format(block, loaded, self.profile, lambda rule, line, col, text: self._add(out, path, rule, line, col, text))
        return out

    def _explain(self, key: str, rule: str, message: str, index: int | None, data: dict[Any, Any]) -> str:
        """Add what validate cannot know: the kebab-case form of a tag, what js-yaml makes of a date."""
        value = data.get(key)
        if index is not None and isinstance(value, list) and index < len(value):
            value = value[index]
        if rule == "pattern" and isinstance(value, str) and self.profile.fields.get(key) is not None:
            spec = self.profile.fields[key]
            fixed = tag_slug(value)
            pattern = spec.compiled_pattern()
            if spec.type == "list" and fixed and fixed != value and pattern is not None and pattern.match(fixed):
                return f"{message}; kebab-case: {fixed!r}"
        if rule == "date-invalid" and isinstance(value, UnquotedDate):
            rolled = js_rollover(value)
            if rolled:
                return f"{message} (unquoted, so Eleventy silently reads {rolled})"
        return message

    def _vocab_rules(
        self, out: list[Finding], path: str, block: Block, vocab: VocabIndex, data: dict[Any, Any], values: dict[str, Node]
    ) -> None:
        tag_spec = self.profile.fields.get(TAGS_FIELD)
        tags = data.get(TAGS_FIELD)
        if tag_spec is not None and isinstance(tags, list):
            pattern = tag_spec.compiled_pattern()
            for i, tag in enumerate(tags):
                if not isinstance(tag, str) or (pattern is not None and not pattern.match(tag)):
                    continue
                hint = vocab.tag_hint(tag)
                if hint is None:
                    continue
                used = vocab.tags.get(tag, 0)
                if hint.reason == "accepted merge":
                    text = f"{tag!r} was merged into {hint.value!r} ({_times(hint.count)}); write {hint.value!r}"
                elif hint.reason == "suggested merge":
                    text = (
                        f"{tag!r} ({_times(used)}): the vocabulary suggests merging it into {hint.value!r} "
                        f"({_times(hint.count)}); did you mean {hint.value!r}?"
                    )
                elif used:
                    text = (
                        f"{tag!r} ({_times(used)}) is a twin of {hint.value!r}; "
                        f"did you mean {hint.value!r}, {_times(hint.count)}?"
                    )
                else:
                    text = f"{tag!r} is not in the vocabulary; did you mean {hint.value!r}, {_times(hint.count)}?"
                line, col = self._item_position(block, values.get(TAGS_FIELD), i)
                self._add(out, path, "tag-twin", line, col, f"{TAGS_FIELD}[{i}]: {text}")
        for section in ENTITY_KINDS:
            items = data.get(section)
            if section not in self.profile.fields or not isinstance(items, list):
                continue
            for i, name in enumerate(items):
                if not isinstance(name, str) or not name.strip():
                    continue
                hint = vocab.name_hint(section, name)
                if hint is None:
                    continue
                if hint.reason == "ambiguous":
                    which = " or ".join(f"{c!r} ({_times(n)})" for c, n in hint.candidates)
                    text = f"{name!r} is ambiguous in the vocabulary: {which}; write the one meant"
                elif hint.certain:
                    text = f"{name!r} is written {hint.value!r} in the vocabulary ({_times(hint.count)})"
                else:
                    text = f"{name!r}: did you mean {hint.value!r}, {_times(hint.count)}?"
                line, col = self._item_position(block, values.get(section), i)
                self._add(out, path, "name-noncanonical", line, col, f"{section}[{i}]: {text}")

    def _provenance_rules(
        self, out: list[Finding], path: str, block: Block, data: dict[Any, Any], values: dict[str, Node]
    ) -> None:
        number = next((n for n, line in enumerate(block.lines) if line.startswith(MARKER)), None)
        if number is None:
            return
        prov_line = block.first_line + number
        provenance = find_provenance(block.text)
        if provenance is None:
            self._add(out, path, "provenance", prov_line, 1, "the provenance comment cannot be read")
            return
        if data.get("draft") is not True:
            self._add(
                out, path, "provenance", prov_line, 1, "a published post (draft is not true) still carries its provenance comment"
            )
            return
        if provenance.reviewed:
            return
        for flag in provenance.flags:
            if flag.kind != "ungrounded":
                continue
            items = data.get(flag.field)
            line, col = prov_line, 1
            if flag.value is not None:
                if isinstance(items, list) and flag.value in items:
                    line, col = self._item_position(block, values.get(flag.field), items.index(flag.value))
                elif items != flag.value:
                    continue  # a person already removed it
            self._add(out, path, "ungrounded", line, col, f"{flag.field}: {flag.message} (not reviewed yet: run enrich review)")

    # -- helpers --------------------------------------------------------------------------------

    def _position(
        self, block: Block, key: str, index: int | None, keys: dict[str, ScalarNode], values: dict[str, Node]
    ) -> tuple[int, int]:
        if key not in keys:
            return 1, 1  # a missing key: the opening delimiter
        if index is not None:
            return self._item_position(block, values.get(key), index, keys[key])
        return mark_position(keys[key], block)

    @staticmethod
    def _item_position(block: Block, node: Node | None, index: int, fallback: Node | None = None) -> tuple[int, int]:
        if isinstance(node, SequenceNode) and index < len(node.value):
            return mark_position(node.value[index], block)
        target = fallback or node
        return mark_position(target, block) if target is not None else (block.first_line, 1)

    def _add(self, out: list[Finding], path: str, rule: str, line: int, col: int, message: str) -> None:
        severity = self.profile.rule_severity(rule)
        if severity != "off":
            out.append(Finding(path, line, col, rule, severity, message))

    def _one(self, path: str, rule: str, line: int, col: int, message: str) -> list[Finding]:
        out: list[Finding] = []
        self._add(out, path, rule, line, col, message)
        return out


def _times(count: int) -> str:
    return "used once" if count == 1 else f"used {count} times"


def _sorted(findings: list[Finding]) -> list[Finding]:
    return sorted(findings, key=lambda f: (f.line, f.col, f.rule))


def expand_paths(paths: Iterable[str]) -> list[str]:
    """Files as given, and every Markdown file under each folder given (sorted)."""
    out: list[str] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            out.extend(str(p) for p in sorted(path.rglob("*")) if p.suffix in MARKDOWN_SUFFIXES and p.is_file())
        else:
            out.append(raw)
    return out


def check_paths(paths: Iterable[str], profile: Profile, vocab: VocabFinder | None = None) -> list[Finding]:
    """Every finding in every file, file by file in the order given."""
    checker = Checker(profile, vocab)
    findings: list[Finding] = []
    for path in expand_paths(paths):
        findings.extend(checker.check_file(path))
    return findings


def has_errors(findings: Iterable[Finding], strict: bool = False) -> bool:
    """Whether the findings fail the check (errors always; warnings too when strict)."""
    return any(f.severity == "error" or (strict and f.severity == "warning") for f in findings)
