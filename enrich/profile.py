"""The site profile: the one description of a site's front matter that drafting, validation,
checking, fixing and review all read, so they can never disagree.

A profile is the bundled default (profiles/default.toml) deep-merged with the site's overrides
from `enrich.toml` ([profile]) or `pyproject.toml` ([tool.enrich.profile]). Every setting remembers
where it came from, which `enrich profile` shows. This module is imported by `enrich check`, so it
stays light: stdlib only.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from enrich.errors import ConfigError

FieldType = Literal["string", "list", "bool", "date"]
FilledBy = Literal["model", "metadata", "default", "person"]
Severity = Literal["error", "warning", "off"]

FIELD_TYPES: tuple[str, ...] = ("string", "list", "bool", "date")
FILLED_BY: tuple[str, ...] = ("model", "metadata", "default", "person")
SEVERITIES: tuple[str, ...] = ("error", "warning", "off")
DATE_PATTERN = r"^\d{4}-\d{2}-\d{2}$"
DEFAULT_ORIGIN = "default profile"


@dataclass(frozen=True)
class FieldSpec:
    """One front-matter key: its type, who fills it, and the rules its value must follow."""

    name: str
    type: FieldType
    by: FilledBy
    required: bool = False
    optional: bool = False  # omitted from drafts when nothing fills it
    default: Any = None
    fallback: str | None = None  # "model" or "today": what fills a metadata field metadata lacks
    enum: tuple[str, ...] | None = None
    pattern: str | None = None  # for strings, or for each item of a list
    min_length: int | None = None
    max_length: int | None = None
    min_items: int | None = None
    max_items: int | None = None
    grounded: bool = False  # list of named entities that must be found in the transcript
    localized: bool = False  # written in the profile's language
    description: str = ""

    @property
    def empty(self) -> Any:
        """The one form an empty value takes in this site's front matter."""
        return [] if self.type == "list" else ("" if self.type in ("string", "date") else None)

    def initial(self) -> Any:
        """The value a draft starts with before anything fills it."""
        if self.default is not None:
            return list(self.default) if isinstance(self.default, list) else self.default
        return self.empty

    def compiled_pattern(self) -> re.Pattern[str] | None:
        if self.type == "date":
            return re.compile(DATE_PATTERN)
        return re.compile(self.pattern) if self.pattern else None


@dataclass(frozen=True)
class Profile:
    """The effective profile of a site, with the origin of every setting."""

    name: str
    language: str
    language_name: str
    key_order: tuple[str, ...]
    fields: dict[str, FieldSpec]
    unknown_keys: Severity
    severity: dict[str, Severity]
    approval: dict[str, Any]
    origins: dict[str, str] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict)

    def ordered_keys(self, keys: list[str] | tuple[str, ...] | set[str]) -> list[str]:
        """The given keys in the profile's order; keys it does not list follow alphabetically."""
        rank = {k: i for i, k in enumerate(self.key_order)}
        return sorted(keys, key=lambda k: (rank.get(k, len(rank)), k))

    def model_fields(self) -> list[FieldSpec]:
        """Fields the model is asked for (before metadata removes the ones it already knows)."""
        return [f for f in self.fields.values() if f.by == "model" or f.fallback == "model"]

    def rule_severity(self, rule: str) -> Severity:
        return self.severity.get(rule, "error")


def _merge(base: dict[str, Any], over: dict[str, Any], origin: str, origins: dict[str, str], prefix: str = "") -> None:
    """Deep-merge `over` into `base`, recording the origin of every leaf that changed."""
    for key, value in over.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            _merge(base[key], value, origin, origins, dotted + ".")
        else:
            base[key] = value
            _record(value, origin, origins, dotted)


def _record(value: Any, origin: str, origins: dict[str, str], dotted: str) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            _record(v, origin, origins, f"{dotted}.{k}")
    else:
        origins[dotted] = origin


def _default_profile_data() -> dict[str, Any]:
    # a plain path, not importlib.resources: this runs at every pre-commit start-up
    text = (Path(__file__).parent / "profiles" / "default.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def _build_field(name: str, data: dict[str, Any], where: str) -> FieldSpec:
    known = set(FieldSpec.__dataclass_fields__) - {"name"}
    unknown = set(data) - known
    if unknown:
        raise ConfigError(f"profile field {name!r} has unknown setting(s): {', '.join(sorted(unknown))}", path=where)
    ftype = data.get("type", "string")
    if ftype not in FIELD_TYPES:
        raise ConfigError(f"profile field {name!r}: type must be one of {', '.join(FIELD_TYPES)}", path=where)
    by = data.get("by", "person")
    if by not in FILLED_BY:
        raise ConfigError(f"profile field {name!r}: by must be one of {', '.join(FILLED_BY)}", path=where)
    kwargs = dict(data)
    kwargs["type"], kwargs["by"] = ftype, by
    if "enum" in kwargs and kwargs["enum"] is not None:
        kwargs["enum"] = tuple(str(v) for v in kwargs["enum"])
    if kwargs.get("pattern"):
        try:
            re.compile(kwargs["pattern"])
        except re.error as exc:
            raise ConfigError(f"profile field {name!r}: bad pattern: {exc}", path=where) from None
    return FieldSpec(name=name, **kwargs)


def build_profile(data: dict[str, Any], origins: dict[str, str], where: str = DEFAULT_ORIGIN) -> Profile:
    """Turn merged profile data into a Profile, refusing settings it does not understand."""
    fields_data = data.get("fields", {})
    if not isinstance(fields_data, dict) or not fields_data:
        raise ConfigError("profile has no [fields]", path=where)
    fields = {}
    for name, spec in fields_data.items():
        if spec is False or (isinstance(spec, dict) and spec.get("remove")):
            continue  # a site removes a default field with `fields.NAME = false`
        if not isinstance(spec, dict):
            raise ConfigError(f"profile field {name!r} must be a table", path=where)
        fields[name] = _build_field(name, spec, where)
    severity = {str(k): v for k, v in data.get("severity", {}).items()}
    for rule, sev in severity.items():
        if sev not in SEVERITIES:
            raise ConfigError(f"severity of {rule!r} must be one of {', '.join(SEVERITIES)}", path=where)
    unknown_keys = data.get("unknown_keys", "warning")
    if unknown_keys not in SEVERITIES:
        raise ConfigError(f"unknown_keys must be one of {', '.join(SEVERITIES)}", path=where)
    severity.setdefault("unknown-key", unknown_keys)
    return Profile(
        name=str(data.get("name", "custom")),
        language=str(data.get("language", "en")),
        language_name=str(data.get("language_name", data.get("language", "English"))),
        key_order=tuple(data.get("key_order", sorted(fields))),
        fields=fields,
        unknown_keys=unknown_keys,
        severity=severity,
        approval=dict(data.get("approval", {})),
        origins=origins,
        raw=data,
    )


def find_site_config(start: Path) -> tuple[Path, dict[str, Any]] | None:
    """The nearest enrich.toml, or pyproject.toml with a [tool.enrich] table, at or above `start`."""
    here = start.resolve()
    for folder in (here, *here.parents):
        candidate = folder / "enrich.toml"
        if candidate.is_file():
            return candidate, _read_toml(candidate)
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file():
            tool = _read_toml(pyproject).get("tool", {}).get("enrich")
            if isinstance(tool, dict):
                return pyproject, tool
    return None


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read: {exc}", path=str(path)) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"invalid TOML: {exc}", path=str(path)) from None


def load_profile(start: Path | None = None, profile_file: Path | None = None) -> Profile:
    """The effective profile for the site at or above `start` (default: the current folder).

    `profile_file` (a TOML file with the same layout as the default profile) replaces the site's
    config as the source of overrides, for `--profile`.
    """
    data = _default_profile_data()
    origins: dict[str, str] = {}
    _record(data, DEFAULT_ORIGIN, origins, "")
    origins = {k.lstrip("."): v for k, v in origins.items()}
    where = DEFAULT_ORIGIN
    if profile_file is not None:
        overrides = _read_toml(profile_file)
        where = str(profile_file)
        _merge(data, overrides, where, origins)
    else:
        found = find_site_config(start or Path.cwd())
        if found is not None:
            path, table = found
            overrides = table.get("profile", {})
            if overrides:
                where = str(path)
                _merge(data, overrides, where, origins)
    return build_profile(data, origins, where)
