"""How a site writes its front matter: list indentation, quoting and mirrored keys (`[profile.format]`).

Key order is the profile's `key_order`. The default (no `[format]` table) is enrich's own format: lists
flush (`- x`), a string quoted only when a reader would take it for something else, and then in single
quotes, no key mirrored. `enrich init` learns these from a site's posts and writes them, with their
evidence in `[profile.learned]`. Stdlib only: `enrich check` imports this at start-up.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from enrich.errors import ConfigError

QuoteStyle = Literal["single", "double"]
QUOTE_STYLES: tuple[str, ...] = ("single", "double")
INDENTS: tuple[int, ...] = (0, 2)
FORMAT_KEYS = ("indent", "quote", "quoted", "mirror")


@dataclass(frozen=True)
class FormatSpec:
    """The site's way of writing YAML, applied by the one emitter."""

    indent: int = 0  # spaces before the `-` of a list item under its key: 0 (`- x`) or 2 (`  - x`)
    quote: QuoteStyle = "single"  # the quotes used when a string must be quoted
    quoted: dict[str, QuoteStyle] = field(default_factory=dict)  # keys whose strings are always quoted
    mirror: dict[str, str] = field(default_factory=dict)  # key -> the key it always equals (author = speaker)

    def mirrored(self, values: dict[str, Any]) -> dict[str, Any]:
        """`values` with every mirrored key that is missing or empty set to the value of its source (when the
        source is there): a value a person wrote (an author who is not the speaker) is kept."""
        if not self.mirror:
            return values
        out = dict(values)
        for target, source in self.mirror.items():
            if source in out and out.get(target) in (None, ""):
                out[target] = out[source]
        return out


DEFAULT_FORMAT = FormatSpec()


def build_format(data: Any, where: str, prefix: str = "") -> FormatSpec:
    """The `[format]` table of a profile as a FormatSpec; a ConfigError names a bad key or value."""
    at = f"{prefix}format"
    if data is None:
        return DEFAULT_FORMAT
    if not isinstance(data, dict):
        raise ConfigError(f"{at} must be a table, got {data!r}", path=where)
    unknown = sorted(set(data) - set(FORMAT_KEYS))
    if unknown:
        raise ConfigError(f"unknown setting {at}.{unknown[0]}", path=where)
    indent = data.get("indent", 0)
    if isinstance(indent, bool) or indent not in INDENTS:
        raise ConfigError(f"{at}.indent must be 0 or 2, got {indent!r}", path=where)
    quote = data.get("quote", "single")
    if quote not in QUOTE_STYLES:
        raise ConfigError(f"{at}.quote must be one of single, double, got {quote!r}", path=where)
    quoted = data.get("quoted", {})
    if not isinstance(quoted, dict) or not all(v in QUOTE_STYLES for v in quoted.values()):
        raise ConfigError(f'{at}.quoted must be a table of key = "single" or "double", got {quoted!r}', path=where)
    mirror = data.get("mirror", {})
    if not isinstance(mirror, dict) or not all(isinstance(v, str) for v in mirror.values()):
        raise ConfigError(f'{at}.mirror must be a table of key = "other key", got {mirror!r}', path=where)
    if any(v in mirror for v in mirror.values()):
        raise ConfigError(f"{at}.mirror must not chain keys (a key that mirrors one that mirrors)", path=where)
    return FormatSpec(indent=int(indent), quote=quote, quoted=dict(quoted), mirror=dict(mirror))


def build_learned(data: Any, where: str, prefix: str = "") -> dict[str, str]:
    """`[learned]`: the evidence `enrich init` found for each setting it wrote (setting -> text)."""
    if data is None:
        return {}
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        raise ConfigError(f'{prefix}learned must be a table of setting = "evidence"', path=where)
    return {str(k): v for k, v in data.items()}
