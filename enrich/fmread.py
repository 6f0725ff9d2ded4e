"""Read a post's front matter the way the site's build reads it, with a line map.

Two jobs, both on the pre-commit start-up path (stdlib and PyYAML only):

* `read_block` reads only the front matter block of a file (it stops at the closing delimiter, so
  a 600 KB body is never read), and reports what only the raw bytes show: a BOM, a missing or
  unterminated block, `----` delimiters, binary or undecodable text.
* `load_yaml` parses the block like Eleventy's js-yaml 4 (YAML 1.2 core schema): `no` stays a
  string, `012` is 12, and an unquoted `2021-02-30` stays the text it is (an `UnquotedDate`) instead
  of PyYAML's date object or ValueError. It also keeps what PyYAML's loader throws away: duplicate
  keys and the position of every key and list item, so findings point at the right line.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.resolver import Resolver

BOM = b"\xef\xbb\xbf"
CHUNK = 8192  # front matter is usually 1-3 KB: read this much at a time, stop once the block is closed
MAX_LINE_BYTES = 1 << 16  # a first "line" longer than this is not front matter
MAX_BLOCK_BYTES = 1 << 20  # give up looking for the closing delimiter after this much
DELIMITER = "---"

_LoaderBase: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class UnquotedDate(str):
    """A plain scalar that YAML timestamps match: js-yaml turns it into a Date, so we remember it."""

    __slots__ = ()


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
    close_line: int  # 1-based file line of the closing delimiter
    bom: bool = False
    open_text: str = DELIMITER
    close_text: str = DELIMITER
    problems: list[ReadProblem] = field(default_factory=list)


@dataclass
class Loaded:
    """Parsed front matter: values as Eleventy sees them, plus the nodes they came from."""

    data: Any
    root: Node | None
    pairs: list[tuple[ScalarNode, Node]]  # top-level key and value nodes, in file order (duplicates too)
    duplicates: list[tuple[ScalarNode, ScalarNode]]  # (repeated key node, first key node)
    traps: list[tuple[ScalarNode, str]]  # plain scalars YAML 1.1 tools read differently, with the reason


class BlockError(Exception):
    """The file cannot be read as a post at all (missing, binary, undecodable)."""


# ---------------------------------------------------------------------------------------------
# Reading the block

_CLOSE = re.compile(rb"^(-{3,})[ \t]*\r?\n", re.M)  # a delimiter line, complete with its newline
_CLOSE_AT_EOF = re.compile(rb"(-{3,})[ \t]*\r?")  # ... or the file's last line, without one


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
    close: tuple[int, bytes] | None = None  # (offset of the closing line, its dashes)
    while newline >= 0:
        match = _CLOSE.search(buf, search)
        if match:
            close = (match.start(), match.group(1))
            break
        search = max(body_start, buf.rfind(b"\n") + 1)  # rescan the last, maybe partial, line
        if not grow():
            if exhausted:
                last = _CLOSE_AT_EOF.fullmatch(buf, search)
                if last and search >= body_start:
                    close = (search, last.group(1))
            break
    if close is None:
        where = "before the end of the file" if exhausted else f"within the first {MAX_BLOCK_BYTES // 1024} KB"
        problems.append(ReadProblem("unterminated", 1, 1, f"front matter opened here is not closed by '---' {where}"))
        return Block("", [], 2, 0, bom, head.strip(), "", problems)
    offset, dashes = close
    close_line = buf.count(b"\n", 0, offset) + 1
    if len(dashes) > 3:
        text = dashes.decode("ascii")
        problems.append(ReadProblem("bad-delimiter", close_line, 1, f"closing delimiter {text!r}; write exactly '---'"))
    raw_block = buf[body_start:offset] if offset > body_start else b""
    lines = _decode(raw_block, 2).split("\n")[:-1] if raw_block else []
    lines = [line[:-1] if line.endswith("\r") else line for line in lines]
    return Block("\n".join(lines), lines, 2, close_line, bom, head.strip(), dashes.decode("ascii"), problems)


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


# ---------------------------------------------------------------------------------------------
# YAML 1.2 core schema on top of PyYAML

TIMESTAMP_TAG = "tag:enrich,2024:unquoted-date"
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
_resolver("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""])
_resolver("tag:yaml.org,2002:merge", r"^(?:<<)$", "<")
Yaml12Loader.add_implicit_resolver(TIMESTAMP_TAG, _TS, list("0123456789"))
_IMPLICIT = Yaml12Loader.yaml_implicit_resolvers
_STR_TAG = "tag:yaml.org,2002:str"
_SEQ_TAG = "tag:yaml.org,2002:seq"
_MAP_TAG = "tag:yaml.org,2002:map"


def _fast_resolve(self: Any, kind: Any, value: str, implicit: tuple[bool, bool]) -> str:
    """BaseResolver.resolve without path resolvers (we have none): it runs for every scalar."""
    if kind is ScalarNode:
        if implicit[0]:
            for tag, regexp in _IMPLICIT.get(value[:1], ()):
                if regexp.match(value):
                    return tag
        return _STR_TAG
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


def _construct_int(loader: Any, node: ScalarNode) -> int:
    return _int(str(loader.construct_scalar(node)))


def _construct_float(loader: Any, node: ScalarNode) -> float:
    return _float(str(loader.construct_scalar(node)))


def _construct_bool(loader: Any, node: ScalarNode) -> bool:
    return str(loader.construct_scalar(node)).lower() == "true"


def _construct_date(loader: Any, node: ScalarNode) -> UnquotedDate:
    return UnquotedDate(loader.construct_scalar(node))


Yaml12Loader.add_constructor("tag:yaml.org,2002:int", _construct_int)
Yaml12Loader.add_constructor("tag:yaml.org,2002:float", _construct_float)
Yaml12Loader.add_constructor("tag:yaml.org,2002:bool", _construct_bool)
Yaml12Loader.add_constructor(TIMESTAMP_TAG, _construct_date)

def _resolve(resolver: Resolver, value: str) -> str:
    return str(resolver.resolve(ScalarNode, value, (True, False)))  # type: ignore[no-untyped-call]


_YAML11 = Resolver()  # PyYAML's own YAML 1.1 resolution, to spot scalars the two read differently
_OCTAL11 = re.compile(r"^[-+]?0[0-9_]+$")
_KIND = {
    "tag:yaml.org,2002:bool": "a boolean",
    "tag:yaml.org,2002:int": "a number",
    "tag:yaml.org,2002:float": "a number",
    "tag:yaml.org,2002:str": "a string",
    "tag:yaml.org,2002:null": "null",
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
    tag11 = _resolve(_YAML11, value)
    if tag11 == "tag:yaml.org,2002:timestamp" or node.tag == tag11:
        if node.tag == "tag:yaml.org,2002:int" and _OCTAL11.match(value):
            return f"{value} is {int(value, 10)} for Eleventy (YAML 1.2) but octal {_octal(value)} for YAML 1.1 tools"
        return None
    if tag11 == "tag:yaml.org,2002:null" or node.tag not in _KIND or tag11 not in _KIND:
        return None
    return f"unquoted {value} is {_KIND[node.tag]} for Eleventy (YAML 1.2) but {_KIND[tag11]} for YAML 1.1 tools"


def _octal(value: str) -> str:
    try:
        return str(int(value.replace("_", ""), 8))
    except ValueError:
        return "(invalid)"


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
        if tag == _STR_TAG:
            return value
        if tag == "tag:yaml.org,2002:null":
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
    """Parse front matter text as js-yaml 4 would; raises yaml.YAMLError on bad YAML."""
    loader = Yaml12Loader(text)
    try:
        root = loader.get_single_node()
        loaded = Loaded(None, root, [], [], [])
        if root is not None:
            _walk(root, loaded, isinstance(root, MappingNode))
            try:
                loaded.data = _build(root, set())
            except _Unusual:
                loaded.data = loader.construct_document(root)
        return loaded
    finally:
        loader.dispose()


def mark_position(node: Node, block: Block) -> tuple[int, int]:
    """1-based file line and column of a node (PyYAML marks are relative to the block)."""
    return block.first_line + node.start_mark.line, node.start_mark.column + 1


_R12 = Resolver()
_R12.yaml_implicit_resolvers = Yaml12Loader.yaml_implicit_resolvers
_STR = "tag:yaml.org,2002:str"
_PLAIN_FIRST_BAD = set("-?:,[]{}#&*!|>'\"%@`")
_FLOW_BAD = set(",[]{}")


def scalar_text(value: str, flow: bool = False) -> str:
    """`value` written as a YAML scalar: plain when every YAML reader takes it as this string, else quoted."""
    plain = (
        value != ""
        and value == value.strip()
        and value[0] not in _PLAIN_FIRST_BAD
        and ": " not in value
        and " #" not in value
        and not value.endswith(":")
        and "\n" not in value
        and "\t" not in value
        and not (flow and any(c in _FLOW_BAD for c in value))
        and _resolve(_R12, value) == _STR
        and _resolve(_YAML11, value) == _STR
    )
    if plain:
        return value
    return "'" + value.replace("'", "''") + "'"
