"""The one YAML reading: front matter as Eleventy 3 reads it (js-yaml 4, YAML 1.2 core schema), with a line map.

PyYAML alone is YAML 1.1 (`no` is False, `012` is 10, `10:00` is 600, `2021-02-30` a ValueError). Here
plain scalars resolve as js-yaml resolves them: only true/false are booleans, `012` is 12, `0o17` is 15,
`1e3` a number, `10:00` a string, and an unquoted date stays the text it is (an `UnquotedDate`: js-yaml
would make a Date of it, and check wants to know it was unquoted). NEL, LS and PS are not line breaks in
YAML 1.2, so they are kept inside scalars as js-yaml keeps them (and line numbers stay file lines).

`load_yaml` keeps what the loader throws away, for `enrich check` and `fix`: every duplicate key, the
node of every key and item (so findings point at their line) and the scalars YAML 1.1 tools misread.
`load_data` and `read_mapping` are the plain readings for everyone else: a duplicate key is an error
there, as it is for the site's build. PyYAML's C loader and the stdlib only: `enrich check` starts here.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any, ClassVar

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.resolver import Resolver

from enrich.errors import InputError
from enrich.frontmatter.split import Block, BlockError, split_text, unclosed_message

_LoaderBase: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
TIMESTAMP_TAG = "tag:enrich,2024:unquoted-date"
STR_TAG = "tag:yaml.org,2002:str"
NULL_TAG = "tag:yaml.org,2002:null"
_SEQ_TAG = "tag:yaml.org,2002:seq"
_MAP_TAG = "tag:yaml.org,2002:map"


class UnquotedDate(str):
    """A plain scalar that YAML timestamps match: js-yaml turns it into a Date, so we remember it."""

    __slots__ = ()


@dataclass
class Loaded:
    """Parsed front matter: values as Eleventy sees them, plus the nodes they came from."""

    data: Any
    root: Node | None
    pairs: list[tuple[ScalarNode, Node]]  # top-level key and value nodes, in file order (duplicates too)
    duplicates: list[tuple[ScalarNode, ScalarNode]]  # (repeated key node, first key node)
    traps: list[tuple[ScalarNode, str]]  # plain scalars YAML 1.1 tools read differently, with the reason


class DuplicateKeyError(yaml.MarkedYAMLError):
    """A mapping repeats a key: js-yaml refuses the file, so no reader here picks one of the values."""

    def __init__(self, key: str, again: ScalarNode, first: ScalarNode, first_line: int) -> None:
        self.key = key
        self.line = first_line + again.start_mark.line
        self.first = first_line + first.start_mark.line
        problem = f"duplicate key {key!r} (first on line {self.first})"
        super().__init__(problem=problem, problem_mark=again.start_mark)


# -- YAML 1.2 core schema on top of PyYAML ---------------------------------------------------------------

_TS = re.compile(
    r"""^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]
    |[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?
    (?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?
    (?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$""",
    re.X,
)


class Yaml12Loader(_LoaderBase):  # type: ignore[misc]
    """PyYAML's (C) safe loader with js-yaml 4 / YAML 1.2 core resolution of plain scalars."""

    yaml_implicit_resolvers: ClassVar[dict[str | None, list[tuple[str, re.Pattern[str]]]]] = {}


def _resolver(tag: str, pattern: str, first: str | list[str]) -> None:
    Yaml12Loader.add_implicit_resolver(tag, re.compile(pattern, re.X), list(first))


_resolver("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF")
_resolver("tag:yaml.org,2002:int", r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", "-+0123456789")
_resolver(
    "tag:yaml.org,2002:float",
    r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
    "-+0123456789.",
)
_resolver(NULL_TAG, r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""])
_resolver("tag:yaml.org,2002:merge", r"^(?:<<)$", "<")
Yaml12Loader.add_implicit_resolver(TIMESTAMP_TAG, _TS, list("0123456789"))
_IMPLICIT = Yaml12Loader.yaml_implicit_resolvers


def _fast_resolve(self: Any, kind: Any, value: str, implicit: tuple[bool, bool]) -> str:
    """BaseResolver.resolve without path resolvers (we have none): it runs for every scalar."""
    if kind is ScalarNode:
        if implicit[0]:
            for tag, regexp in _IMPLICIT.get(value[:1], ()):
                if regexp.match(value):
                    return tag
        return STR_TAG
    return _SEQ_TAG if kind is SequenceNode else _MAP_TAG


Yaml12Loader.resolve = _fast_resolve


def _int(text: str) -> int:
    if text.startswith("0o"):
        return int(text[2:], 8)
    if text.startswith("0x"):
        return int(text[2:], 16)
    return int(text, 10)


def _float(text: str) -> float:
    text = text.lower()
    if text.endswith(".inf"):
        return float("-inf") if text.startswith("-") else float("inf")
    if text == ".nan":
        return float("nan")
    return float(text)


Yaml12Loader.add_constructor("tag:yaml.org,2002:int", lambda loader, node: _int(str(loader.construct_scalar(node))))
Yaml12Loader.add_constructor("tag:yaml.org,2002:float", lambda loader, node: _float(str(loader.construct_scalar(node))))
Yaml12Loader.add_constructor("tag:yaml.org,2002:bool", lambda loader, node: str(loader.construct_scalar(node)).lower() == "true")
Yaml12Loader.add_constructor(TIMESTAMP_TAG, lambda loader, node: UnquotedDate(loader.construct_scalar(node)))


def resolve12(value: str) -> str:
    """The tag js-yaml gives `value` written as a plain scalar (the emitter quotes what is not a string)."""
    return _fast_resolve(None, ScalarNode, value, (True, False))


_YAML11 = Resolver()  # PyYAML's own YAML 1.1 resolution, to spot scalars the two read differently


def resolve11(value: str) -> str:
    """The tag YAML 1.1 tools (PyYAML, python-frontmatter) give `value` written as a plain scalar."""
    return str(_YAML11.resolve(ScalarNode, value, (True, False)))  # type: ignore[no-untyped-call]


_OCTAL11 = re.compile(r"^[-+]?0[0-9_]+$")
_KIND = {
    "tag:yaml.org,2002:bool": "a boolean",
    "tag:yaml.org,2002:int": "a number",
    "tag:yaml.org,2002:float": "a number",
    STR_TAG: "a string",
    NULL_TAG: "null",
    TIMESTAMP_TAG: "a date",
    "tag:yaml.org,2002:timestamp": "a date",
}


def yaml11_trap(node: ScalarNode) -> str | None:
    """Why a plain scalar means something else to YAML 1.1 tools (PyYAML), or None."""
    if node.style:  # quoted or block scalars are strings everywhere
        return None
    value = node.value
    if " " in value or len(value) > 64:  # no YAML 1.1 boolean or number has a space
        return None
    tag11 = resolve11(value)
    if tag11 == "tag:yaml.org,2002:timestamp" or node.tag == tag11:
        if node.tag == "tag:yaml.org,2002:int" and _OCTAL11.match(value):
            return f"{value} is {int(value, 10)} for Eleventy (YAML 1.2) but octal {_octal(value)} for YAML 1.1 tools"
        return None
    if tag11 == NULL_TAG or node.tag not in _KIND or tag11 not in _KIND:
        return None
    return f"unquoted {value} is {_KIND[node.tag]} for Eleventy (YAML 1.2) but {_KIND[tag11]} for YAML 1.1 tools"


def _octal(value: str) -> str:
    try:
        return str(int(value.replace("_", ""), 8))
    except ValueError:
        return "(invalid)"


# -- loading ---------------------------------------------------------------------------------------------

# libyaml breaks lines at NEL, LS and PS (YAML 1.1); YAML 1.2 and js-yaml do not. They stand in for them
# while parsing (private-use characters, used only when the text holds none of them) and are put back.
_HIDE = str.maketrans({"\x85": "\ue085", "\u2028": "\ue028", "\u2029": "\ue029"})
_SHOW = str.maketrans({"\ue085": "\x85", "\ue028": "\u2028", "\ue029": "\u2029"})


def _hide_breaks(text: str) -> tuple[str, bool]:
    if not any(c in text for c in "\x85\u2028\u2029") or any(c in text for c in "\ue085\ue028\ue029"):
        return text, False
    return text.translate(_HIDE), True


def _show_breaks(node: Node, seen: set[int]) -> None:
    if id(node) in seen:
        return
    seen.add(id(node))
    if isinstance(node, ScalarNode):
        node.value = node.value.translate(_SHOW)
    elif isinstance(node, SequenceNode):
        for item in node.value:
            _show_breaks(item, seen)
    elif isinstance(node, MappingNode):
        for key, value in node.value:
            _show_breaks(key, seen)
            _show_breaks(value, seen)


def _walk(node: Node, loaded: Loaded, top: bool) -> None:
    if isinstance(node, ScalarNode):
        reason = yaml11_trap(node)
        if reason:
            loaded.traps.append((node, reason))
    elif isinstance(node, SequenceNode):
        for item in node.value:
            _walk(item, loaded, False)
    elif isinstance(node, MappingNode):
        seen: dict[str, ScalarNode] = {}
        for key, value in node.value:
            if isinstance(key, ScalarNode):
                if key.value in seen:
                    loaded.duplicates.append((key, seen[key.value]))
                else:
                    seen[key.value] = key
                if top:
                    loaded.pairs.append((key, value))
            _walk(value, loaded, False)


class _Unusual(Exception):
    """A node _build does not handle (merge keys, explicit tags, recursive aliases): use PyYAML's constructor."""


def _build(node: Node, active: set[int]) -> Any:
    """The value of a node, for the tags the YAML 1.2 core schema resolves (faster than the constructor)."""
    if isinstance(node, ScalarNode):
        tag, value = node.tag, node.value
        if tag == STR_TAG:
            return value
        if tag == NULL_TAG:
            return None
        if tag == "tag:yaml.org,2002:bool":
            return value.lower() == "true"
        if tag == "tag:yaml.org,2002:int":
            return _int(value)
        if tag == "tag:yaml.org,2002:float":
            return _float(value)
        if tag == TIMESTAMP_TAG:
            return UnquotedDate(value)
        raise _Unusual(tag)
    if id(node) in active:
        raise _Unusual("recursive alias")
    active.add(id(node))
    try:
        if isinstance(node, SequenceNode) and node.tag == _SEQ_TAG:
            return [_build(item, active) for item in node.value]
        if isinstance(node, MappingNode) and node.tag == _MAP_TAG:
            out: dict[Any, Any] = {}
            for key, value in node.value:
                if key.tag == "tag:yaml.org,2002:merge":
                    raise _Unusual("merge key")
                k = _build(key, active)
                if isinstance(k, (list, dict)):
                    raise _Unusual("unhashable key")
                out[k] = _build(value, active)
            return out
        raise _Unusual(node.tag)
    finally:
        active.discard(id(node))


def load_yaml(text: str) -> Loaded:
    """Parse front matter text as js-yaml 4 would, keeping duplicates, nodes and traps.

    Raises yaml.YAMLError on bad YAML (and ValueError, TypeError or OverflowError for an explicit tag
    whose value cannot be built, such as `!!timestamp 2021-13-45`).
    """
    text, hidden = _hide_breaks(text)
    loader = Yaml12Loader(text)
    try:
        root = loader.get_single_node()
        loaded = Loaded(None, root, [], [], [])
        if root is not None:
            if hidden:
                _show_breaks(root, set())
            _walk(root, loaded, isinstance(root, MappingNode))
            try:
                loaded.data = _build(root, set())
            except _Unusual:
                loaded.data = loader.construct_document(root)
        return loaded
    finally:
        loader.dispose()


def load_data(text: str, first_line: int = 2) -> Any:
    """The value of a YAML text as js-yaml 4 reads it; yaml.YAMLError for anything it would refuse.

    A repeated key raises DuplicateKeyError (a YAMLError) instead of silently keeping the last value;
    `first_line` is the file line of the text's first line, for its message.
    """
    try:
        loaded = load_yaml(text)
    except (ValueError, TypeError, OverflowError) as exc:
        raise yaml.constructor.ConstructorError(problem=f"cannot build a value: {exc}") from None
    if loaded.duplicates:
        again, first = loaded.duplicates[0]
        raise DuplicateKeyError(str(again.value), again, first, first_line)
    return loaded.data


def plain(value: Any) -> Any:
    """A value as JSON holds it: dates as the text written (or ISO text for explicit timestamps), keys as text."""
    if isinstance(value, str):
        return str(value)
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    return value


def read_mapping(text: str, *, path: str | None = None, first_line: int = 2) -> dict[str, Any]:
    """Front matter values as the site's build reads them, in plain types; InputError (naming `path`)
    when the YAML is broken, repeats a key or is not a mapping. An empty block is {}."""
    try:
        data = load_data(text, first_line)
    except DuplicateKeyError as exc:
        message = f"front matter repeats the key {exc.key!r} (lines {exc.first} and {exc.line}); the site's build refuses it"
        raise InputError(message, path=path) from None
    except yaml.YAMLError as exc:
        line, _ = error_position(exc, first_line)
        raise InputError(f"front matter is not valid YAML (line {line}): {error_text(exc)}", path=path) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise InputError("front matter is not a mapping of keys to values", path=path)
    values: dict[str, Any] = plain(data)
    return values


# -- positions -------------------------------------------------------------------------------------------


def mark_position(node: Node, block: Block) -> tuple[int, int]:
    """1-based file line and column of a node (PyYAML marks are relative to the block)."""
    return block.first_line + node.start_mark.line, node.start_mark.column + 1


def error_position(exc: yaml.YAMLError, first_line: int) -> tuple[int, int]:
    """1-based file line and column a YAML error points at (where an unclosed thing started, at the end);
    `first_line` is the file line of the YAML's first line (a Block's `first_line`)."""
    mark = getattr(exc, "problem_mark", None)
    if mark is None or "end of stream" in str(getattr(exc, "problem", "")):
        mark = getattr(exc, "context_mark", None) or mark
    if mark is None:
        return first_line, 1
    return first_line + mark.line, mark.column + 1


def error_text(exc: yaml.YAMLError) -> str:
    """A YAML error in one line, without PyYAML's marks (the caller says where)."""
    problem = getattr(exc, "problem", None)
    context = getattr(exc, "context", None)
    return (f"{problem} ({context})" if context else str(problem)) if problem else str(exc).splitlines()[0]


def read_front_matter(text: str, *, path: str | None = None) -> tuple[dict[str, Any], str] | None:
    """(values, body) of a decoded document, split by the one splitter and read by `read_mapping`; None
    when it has no front matter. InputError (naming `path`) when the block is unclosed, binary or unreadable."""
    try:
        parts = split_text(text)
    except BlockError as exc:
        raise InputError(f"front matter cannot be read: {exc}", path=path) from None
    if parts is None:
        return None
    if not parts.closed:
        raise InputError(unclosed_message(parts.block), path=path)
    return read_mapping(parts.block.text, path=path, first_line=parts.block.first_line), parts.body
