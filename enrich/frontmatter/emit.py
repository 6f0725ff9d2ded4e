"""The one emitter: every piece of front matter enrich writes, in the site's style.

Keys in the profile's order, Chinese and emoji unescaped, no line folding, lists in block style as in
the sample post, multi-line text as `|` blocks. A string is written plain only when YAML 1.1 tools
(PyYAML, python-frontmatter) and YAML 1.2 readers (js-yaml, so Eleventy, and `yaml12`) both read it
back as that same string; otherwise it is quoted (`no`, `012`, `0o17`, `1e3`, `10:00`, `2024-01-05`,
`@x`, `a: b`, `---`...). Dates are written as quoted text. The model is always asked for JSON, never
for YAML text: drafts, approval edits and fix's line edits all take their YAML from here.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import TYPE_CHECKING, Any

import yaml
from yaml.nodes import ScalarNode

from enrich.frontmatter.yaml12 import STR_TAG, resolve12
from enrich.profile_format import DEFAULT_FORMAT, FormatSpec

if TYPE_CHECKING:
    from enrich.profile import Profile

_LINE_SEPARATORS = "\r\x85\u2028\u2029"  # breaks for YAML 1.1, plain characters for YAML 1.2: always escaped


class _OneLine(str):
    """A string that must be written on one line (a line edit): never a `|` block."""

    __slots__ = ()


class _SiteDumper(yaml.SafeDumper):
    """The pure-Python emitter (libyaml's escapes emoji even with allow_unicode), with both readings' types."""

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        """A plain scalar resolves to what either YAML 1.1 or YAML 1.2 would make of it, so the emitter
        quotes every string one of them would read as something else (`0o17` and `1e3` are strings for
        PyYAML but numbers for js-yaml)."""
        tag = super().resolve(kind, value, implicit)  # type: ignore[no-untyped-call]
        if kind is ScalarNode and implicit[0] and tag == STR_TAG:
            return resolve12(value)
        return tag


class _Single(str):
    """A one-line string the site always quotes, in single quotes."""

    __slots__ = ()


class _Double(str):
    """A one-line string the site always quotes, in double quotes."""

    __slots__ = ()


def _str_representer(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    text = str(value)
    if isinstance(value, _Single | _Double) and "\n" not in text:
        return dumper.represent_scalar(STR_TAG, text, style="'" if isinstance(value, _Single) else '"')
    if any(c in text for c in _LINE_SEPARATORS):
        return dumper.represent_scalar(STR_TAG, text, style='"')
    if "\n" in text:
        return dumper.represent_scalar(STR_TAG, text, style='"' if isinstance(value, _OneLine) else "|")
    return dumper.represent_scalar(STR_TAG, text)


def _date_representer(dumper: yaml.SafeDumper, value: dt.date) -> yaml.ScalarNode:
    return dumper.represent_scalar(STR_TAG, value.isoformat())  # date-like text: quoted by the resolver


_SiteDumper.add_multi_representer(str, _str_representer)  # str and its subclasses (UnquotedDate, _OneLine)
_SiteDumper.add_representer(str, _str_representer)
_SiteDumper.add_multi_representer(dt.date, _date_representer)  # date and datetime
_SiteDumper.add_representer(dt.date, _date_representer)
_SiteDumper.add_representer(dt.datetime, _date_representer)


@functools.cache
def _dumper(indent: int, quote: str) -> type[_SiteDumper]:
    """The emitter for one format: list items indented under their key or flush, and the quotes used
    when a string must be quoted (PyYAML picks single quotes when it can)."""

    class Dumper(_SiteDumper):
        def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
            super().increase_indent(flow, indentless and indent == 0)

        def choose_scalar_style(self) -> str:
            style: str = super().choose_scalar_style()
            chosen = getattr(self.event, "style", None)
            return '"' if style == "'" and quote == "double" and chosen != "'" else style

    return Dumper


def _styled(key: str, value: Any, fmt: FormatSpec) -> Any:
    """A value of a key the site always quotes, marked for its quotes (lists: each string item)."""
    style = fmt.quoted.get(key)
    if style is None:
        return value
    cls = _Single if style == "single" else _Double
    if isinstance(value, str) and not isinstance(value, _OneLine):
        return cls(value)
    if isinstance(value, list):
        return [cls(v) if isinstance(v, str) else v for v in value]
    return value


def _dump(data: Any, *, flow: bool, fmt: FormatSpec = DEFAULT_FORMAT) -> str:
    if isinstance(data, dict) and fmt.quoted:
        data = {k: _styled(k, v, fmt) for k, v in data.items()}
    text: str = yaml.dump(
        data,
        Dumper=_dumper(fmt.indent, fmt.quote),
        allow_unicode=True,
        sort_keys=False,
        default_flow_style=flow,
        width=1_000_000,
        indent=2,
    )
    return text


def dump_entries(values: dict[str, Any], fmt: FormatSpec = DEFAULT_FORMAT) -> str:
    """`key: value` entries in the given order, in one pass of the emitter (each ends with a newline)."""
    return _dump(values, flow=False, fmt=fmt) if values else ""


def dump_front_matter(values: dict[str, Any], profile: Profile) -> str:
    """The YAML between the `---` lines (without them): mirrored keys set from their source, keys in the
    profile's order, lists indented and strings quoted as the profile's format says."""
    values = profile.format.mirrored(values)
    return dump_entries({key: values[key] for key in profile.ordered_keys(list(values))}, profile.format)


def entry(key: str, value: Any, fmt: FormatSpec = DEFAULT_FORMAT) -> str:
    """One `key: value` entry (several lines for a list), as the site writes it."""
    return dump_entries({key: value}, fmt)


def scalar(value: str, *, flow: bool = False, fmt: FormatSpec = DEFAULT_FORMAT) -> str:
    """`value` as one scalar on one line, for a line edit: after `key: ` or `- ` (or, when `flow`, as an
    item of a `[a, b]` list). Plain when every reader takes it as this string, else quoted."""
    if flow:
        return _dump([_OneLine(value)], flow=True, fmt=fmt).rstrip("\n")[1:-1]
    return _dump({"k": _OneLine(value)}, flow=False, fmt=fmt).rstrip("\n")[len("k: ") :]


def inline_value(value: Any, fmt: FormatSpec = DEFAULT_FORMAT, key: str = "k") -> str | None:
    """Any value as the emitter writes it after `key: ` when that fits on the line (`false`, `'no'`, `[]`),
    else None (a non-empty list, a mapping, multi-line text)."""
    text = _dump({key: value}, flow=False, fmt=fmt).rstrip("\n")
    return None if "\n" in text else text[len(key) + 2 :]


def render_document(values: dict[str, Any], profile: Profile, body: str, trailer: str = "") -> str:
    """A whole Markdown file: front matter (plus an optional comment trailer such as provenance), then the body."""
    block = dump_front_matter(values, profile)
    if trailer:
        block += trailer.rstrip("\n") + "\n"
    body = body.lstrip("\n")
    return f"---\n{block}---\n\n{body}" if body else f"---\n{block}---\n"
