"""Writing front matter in the site's style.

Keys in the profile's order, Chinese and emoji unescaped, no line folding, dates and every value
YAML would misread (yes, no, null, `@x`, `a: b`, `---`, date-like strings) quoted so they read back
exactly, lists in block style as in the sample post. The model is always asked for JSON, never for
YAML text: this module is the only place YAML is produced.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from enrich.profile import Profile

_CLOSING = re.compile(r"^(?:---|\.\.\.)[ \t]*\r?$", re.M)


def split_front_matter(text: str) -> tuple[str, str] | None:
    """(YAML block, body) of a Markdown document, or None when it does not open with a closed block.

    The one splitter every whole-file reader uses (inputs, drafts, vocabulary): a BOM is ignored, the
    opening `---` and the closing `---` or `...` may carry trailing spaces. The block keeps its last
    newline; the body starts after the closing line.
    """
    text = text.removeprefix("\ufeff")
    first_nl = text.find("\n")
    if first_nl < 0 or text[:first_nl].rstrip() != "---":
        return None
    match = _CLOSING.search(text, first_nl + 1)
    if match is None:
        return None
    body = text[match.end() :]
    return text[first_nl + 1 : match.start()], body[1:] if body.startswith("\n") else body


class _SiteDumper(yaml.SafeDumper):
    """The pure-Python emitter: libyaml's escapes emoji even with allow_unicode."""


def _str_representer(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    if "\n" in value:
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


_SiteDumper.add_representer(str, _str_representer)




def dump_front_matter(values: dict[str, Any], profile: Profile) -> str:
    """The YAML between the `---` lines (without them), keys in the profile's order."""
    ordered = {key: values[key] for key in profile.ordered_keys(list(values))}
    return dump_value_map(ordered)


def dump_value(key: str, value: Any) -> str:
    """One `key: value` entry (possibly several lines), as the site writes it."""
    return dump_value_map({key: value})


def dump_value_map(values: dict[str, Any]) -> str:
    """Entries in the given order, in one pass of the emitter."""
    text: str = yaml.dump(
        values,
        Dumper=_SiteDumper,
        allow_unicode=True,
        sort_keys=False,
        default_flow_style=False,
        width=1_000_000,
        indent=2,
    )
    return text if values else ""


def render_document(values: dict[str, Any], profile: Profile, body: str, trailer: str = "") -> str:
    """A whole Markdown file: front matter (plus an optional comment trailer such as provenance), then the body."""
    block = dump_front_matter(values, profile)
    if trailer:
        block += trailer.rstrip("\n") + "\n"
    body = body.lstrip("\n")
    return f"---\n{block}---\n\n{body}" if body else f"---\n{block}---\n"
