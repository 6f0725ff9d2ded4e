"""The site profile: the one description of a site's front matter that drafting, validation,
checking, fixing and review all read, so they can never disagree.

A profile is the bundled default (profiles/default.toml) deep-merged with the site's overrides
from `enrich.toml` ([profile]) or `pyproject.toml` ([tool.enrich.profile]), or from a `--profile`
file. Every setting remembers where it came from, which `enrich profile` shows. An unknown key in
any table, or a value of the wrong type, is a ConfigError naming the key and the file. This module
is imported by `enrich check`, so it stays light: stdlib only.
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from enrich.errors import ConfigError
from enrich.profile_format import DEFAULT_FORMAT, FormatSpec, build_format, build_learned
from enrich.site import find_config, read_toml, refuse_unknown

if TYPE_CHECKING:
    from enrich.settings import Settings

FieldType = Literal["string", "list", "bool", "date"]
FilledBy = Literal["model", "metadata", "default", "person"]
Severity = Literal["error", "warning", "off"]

FIELD_TYPES: tuple[str, ...] = ("string", "list", "bool", "date")
FILLED_BY: tuple[str, ...] = ("model", "metadata", "default", "person")
SEVERITIES: tuple[str, ...] = ("error", "warning", "off")
FALLBACKS: tuple[str, ...] = ("model", "today")
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


UNGROUNDED_CHOICES: tuple[str, ...] = ("drop", "keep")


@dataclass(frozen=True)
class NamePolicy:
    """What drafting does with named entities beyond the model's answer ([names])."""

    ungrounded: Literal["drop", "keep"] = "drop"  # a name whose mention the transcript lacks: left out, or kept flagged
    from_vocabulary: bool = True  # add the site's names the transcript mentions, flagged `vocab-found`


NAME_POLICY_KEYS = frozenset(f.name for f in fields(NamePolicy))


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
    format: FormatSpec = DEFAULT_FORMAT  # indentation, quoting, mirrored keys ([format])
    learned: dict[str, str] = field(default_factory=dict)  # evidence for what `enrich init` learned ([learned])
    names: NamePolicy = NamePolicy()

    def ordered_keys(self, keys: list[str] | tuple[str, ...] | set[str]) -> list[str]:
        """The given keys in the profile's order; keys it does not list follow alphabetically."""
        rank = {k: i for i, k in enumerate(self.key_order)}
        return sorted(keys, key=lambda k: (rank.get(k, len(rank)), k))

    def model_fields(self) -> list[FieldSpec]:
        """Fields the model is asked for (before metadata removes the ones it already knows)."""
        return [f for f in self.fields.values() if f.by == "model" or f.fallback == "model"]

    def rule_severity(self, rule: str) -> Severity:
        return self.severity.get(rule, "error")


PROFILE_KEYS = (
    "name",
    "language",
    "language_name",
    "key_order",
    "unknown_keys",
    "approval",
    "severity",
    "fields",
    "format",
    "learned",
    "names",
)
_REMOVED = {"empty_string": "nothing ever read it: an empty value is always '' for text and [] for lists"}
_BOOL_KEYS = ("required", "optional", "grounded", "localized")
_COUNT_KEYS = ("min_length", "max_length", "min_items", "max_items")
_TEXT_KEYS = ("pattern", "description")
_FIELD_KEYS = {f.name for f in fields(FieldSpec)} - {"name"}


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


class _Place:
    """Where profile settings are written, so every message names the key as the file spells it."""

    def __init__(self, where: str, prefix: str = "") -> None:
        self.where, self.prefix = where, prefix

    def error(self, dotted: str, message: str) -> ConfigError:
        return ConfigError(f"{self.prefix}{dotted} {message}", path=self.where)

    def unknown(self, keys: set[str], table: str, hints: dict[str, str] | None = None) -> None:
        refuse_unknown(keys, self.prefix + table, self.where, hints)

    def table(self, data: dict[str, Any], key: str) -> dict[str, Any]:
        value = data.get(key, {})
        if not isinstance(value, dict):
            raise self.error(key, f"must be a table, got {value!r}")
        return value


def _check_overrides(over: dict[str, Any], place: _Place, rules: set[str]) -> None:
    """Refuse keys no profile setting has, before merging, so the message names the file that has them."""
    place.unknown(set(over) - set(PROFILE_KEYS), "", _REMOVED)
    place.unknown(set(place.table(over, "severity")) - rules, "severity.")
    place.table(over, "approval")
    place.unknown(set(place.table(over, "names")) - NAME_POLICY_KEYS, "names.")
    for name, spec in place.table(over, "fields").items():
        if isinstance(spec, dict):
            place.unknown(set(spec) - _FIELD_KEYS - {"remove"}, f"fields.{name}.")
        elif spec is not False:
            raise place.error(f"fields.{name}", f"must be a table (or false to remove the field), got {spec!r}")


def _choice(value: Any, choices: tuple[str, ...], dotted: str, place: _Place) -> Any:
    if value not in choices:
        raise place.error(dotted, f"must be one of {', '.join(choices)}, got {value!r}")
    return value


def _build_field(name: str, data: dict[str, Any], place: _Place) -> FieldSpec:
    at = f"fields.{name}."
    place.unknown(set(data) - _FIELD_KEYS, at)
    kwargs = dict(data)
    kwargs["type"] = ftype = _choice(data.get("type", "string"), FIELD_TYPES, at + "type", place)
    kwargs["by"] = _choice(data.get("by", "person"), FILLED_BY, at + "by", place)
    if "fallback" in data:
        _choice(data["fallback"], FALLBACKS, at + "fallback", place)
    for key in _BOOL_KEYS:
        if key in data and not isinstance(data[key], bool):
            raise place.error(at + key, f"must be true or false, got {data[key]!r}")
    for key in _COUNT_KEYS:
        value = data.get(key)
        if key in data and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
            raise place.error(at + key, f"must be a whole number, got {value!r}")
    for key in _TEXT_KEYS:
        if key in data and not isinstance(data[key], str):
            raise place.error(at + key, f"must be a string, got {data[key]!r}")
    if "enum" in data:
        enum = data["enum"]
        if not isinstance(enum, list) or not all(isinstance(v, str | int | float) and not isinstance(v, bool) for v in enum):
            raise place.error(at + "enum", f"must be a list of values, got {enum!r}")
        kwargs["enum"] = tuple(str(v) for v in enum)
    if "default" in data:
        expected = {"list": list, "bool": bool}.get(ftype, str)
        if not isinstance(data["default"], expected):
            raise place.error(at + "default", f"must be a {ftype} for a {ftype} field, got {data['default']!r}")
    if data.get("pattern"):
        try:
            re.compile(data["pattern"])
        except re.error as exc:
            raise place.error(at + "pattern", f"is not a valid pattern: {exc}") from None
    return FieldSpec(name=name, **kwargs)


def _name_policy(data: dict[str, Any], place: _Place) -> NamePolicy:
    table = place.table(data, "names")
    place.unknown(set(table) - NAME_POLICY_KEYS, "names.")
    ungrounded = _choice(table.get("ungrounded", NamePolicy.ungrounded), UNGROUNDED_CHOICES, "names.ungrounded", place)
    from_vocabulary = table.get("from_vocabulary", NamePolicy.from_vocabulary)
    if not isinstance(from_vocabulary, bool):
        raise place.error("names.from_vocabulary", f"must be true or false, got {from_vocabulary!r}")
    return NamePolicy(ungrounded=ungrounded, from_vocabulary=from_vocabulary)


def _text_setting(data: dict[str, Any], key: str, default: str, place: _Place) -> str:
    value = data.get(key, default)
    if not isinstance(value, str):
        raise place.error(key, f"must be a string, got {value!r}")
    return value


def build_profile(data: dict[str, Any], origins: dict[str, str], where: str = DEFAULT_ORIGIN, prefix: str = "") -> Profile:
    """Turn merged profile data into a Profile, refusing settings it does not understand."""
    place = _Place(where, prefix)
    place.unknown(set(data) - set(PROFILE_KEYS), "", _REMOVED)
    fields_data = place.table(data, "fields")
    if not fields_data:
        raise ConfigError("profile has no [fields]", path=where)
    specs = {}
    for name, spec in fields_data.items():
        if spec is False:
            continue  # a site removes a default field with `fields.NAME = false`
        if not isinstance(spec, dict):
            raise place.error(f"fields.{name}", f"must be a table (or false to remove the field), got {spec!r}")
        remove = spec.get("remove", False)
        if not isinstance(remove, bool):
            raise place.error(f"fields.{name}.remove", f"must be true or false, got {remove!r}")
        if not remove:
            specs[name] = _build_field(name, {k: v for k, v in spec.items() if k != "remove"}, place)
    severity = {str(k): v for k, v in place.table(data, "severity").items()}
    for rule, sev in severity.items():
        _choice(sev, SEVERITIES, f"severity.{rule}", place)
    unknown_keys = _choice(data.get("unknown_keys", "warning"), SEVERITIES, "unknown_keys", place)
    if origins.get("severity.unknown-key", DEFAULT_ORIGIN) == DEFAULT_ORIGIN:
        severity["unknown-key"] = unknown_keys  # `unknown_keys` decides unless [severity] unknown-key was set
    approval = place.table(data, "approval")
    place.unknown(set(approval) - set(specs), "approval.")
    key_order = data.get("key_order", sorted(specs))
    if not isinstance(key_order, list) or not all(isinstance(k, str) for k in key_order):
        raise place.error("key_order", f"must be a list of keys, got {key_order!r}")
    language = _text_setting(data, "language", "en", place)
    return Profile(
        name=_text_setting(data, "name", "custom", place),
        language=language,
        language_name=_text_setting(data, "language_name", language if "language" in data else "English", place),
        key_order=tuple(key_order),
        fields=specs,
        unknown_keys=unknown_keys,
        severity=severity,
        approval=dict(approval),
        origins=origins,
        raw=data,
        format=build_format(data.get("format"), where, prefix),
        learned=build_learned(data.get("learned"), where, prefix),
        names=_name_policy(data, place),
    )


def load_profile(start: Path | None = None, profile_file: Path | None = None) -> Profile:
    """The effective profile for the site at or above `start` (default: the current folder).

    `profile_file` (a TOML file with the same layout as the default profile) replaces the site's
    config as the source of overrides, for `--profile`.
    """
    data = _default_profile_data()
    origins: dict[str, str] = {}
    _record(data, DEFAULT_ORIGIN, origins, "")
    origins = {k.lstrip("."): v for k, v in origins.items()}
    place = _Place(DEFAULT_ORIGIN)
    overrides: dict[str, Any] = {}
    if profile_file is not None:
        place, overrides = _Place(str(profile_file)), read_toml(profile_file)
    else:
        config = find_config(start)
        if config is not None and "profile" in config.table:
            place = _Place(str(config.path), f"{config.prefix}profile.")
            overrides = _Place(str(config.path), config.prefix).table(config.table, "profile")
    if overrides:
        _check_overrides(overrides, place, set(data.get("severity", {})))
        _merge(data, overrides, place.where, origins)
    return build_profile(data, origins, place.where, place.prefix)


# -- enrich profile ------------------------------------------------------------------------------------


def describe_profile(
    *, profile_file: Path | None = None, as_json: bool = False, start: Path | None = None, settings: Settings | None = None
) -> str:
    """The effective profile and settings, each with its origin (`enrich profile`)."""
    profile = load_profile(start, profile_file)
    rows = settings.described() if settings is not None else {}
    if as_json:
        data: dict[str, Any] = {"profile": profile.raw, "origins": profile.origins}
        if settings is not None:
            data["settings"] = {name: {"value": value, "origin": origin} for name, (value, origin) in rows.items()}
        return json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n"
    lines = [f"profile: {profile.name}  ({profile.origins.get('name', 'default profile')})"]
    lines.append(f"language: {profile.language} ({profile.language_name})  ({profile.origins.get('language')})")
    lines.append(f"key order: {', '.join(profile.key_order)}  ({profile.origins.get('key_order')})")
    lines.extend(_format_lines(profile))
    names = profile.names
    origin = sorted({v for k, v in profile.origins.items() if k.startswith("names.")}) or [DEFAULT_ORIGIN]
    added = "added" if names.from_vocabulary else "not added"
    lines.append(f"names: ungrounded {names.ungrounded}, the site's names the transcript mentions {added}  ({', '.join(origin)})")
    lines.append("fields:")
    for name in profile.ordered_keys(list(profile.fields)):
        spec = profile.fields[name]
        origins = sorted({v for k, v in profile.origins.items() if k.startswith(f"fields.{name}.")})
        rules = "".join(f"; {rule}" for rule in _field_rules(spec))
        lines.append(f"  {name}: {spec.type}, by {spec.by}{rules}  ({', '.join(origins)})")
    lines.append("severity: " + ", ".join(f"{k}={v}" for k, v in sorted(profile.severity.items())))
    if profile.approval:
        lines.append(f"on approval: {profile.approval}")
    if rows:
        lines.append("settings:")
        lines.extend(f"  {name}: {'-' if value is None else value}  ({origin})" for name, (value, origin) in rows.items())
    return "\n".join(lines) + "\n"


def _format_lines(profile: Profile) -> list[str]:
    fmt = profile.format
    origin = sorted({v for k, v in profile.origins.items() if k.startswith("format.")}) or [DEFAULT_ORIGIN]
    items = "flush (- x)" if fmt.indent == 0 else f"indented by {fmt.indent} ({' ' * fmt.indent}- x)"
    text = f"format: list items {items}, {fmt.quote} quotes when needed"
    if fmt.quoted:
        text += ", always quoted: " + ", ".join(f"{k} ({v})" for k, v in sorted(fmt.quoted.items()))
    if fmt.mirror:
        text += ", mirrored: " + ", ".join(f"{k} = {v}" for k, v in sorted(fmt.mirror.items()))
    lines = [f"{text}  ({', '.join(origin)})"]
    if profile.learned:
        lines.append(f"learned by enrich init ({profile.origins.get('learned.' + next(iter(profile.learned)), '?')}):")
        lines.extend(f"  {name}: {evidence}" for name, evidence in profile.learned.items())
    return lines


def _field_rules(spec: FieldSpec) -> list[str]:
    rules = ["required"] if spec.required else []
    if spec.enum:
        rules.append(f"one of {len(spec.enum)} values")
    if spec.pattern:
        rules.append(f"pattern {spec.pattern}")
    if spec.min_length or spec.max_length:
        rules.append(f"length {spec.min_length or 0}-{spec.max_length or '∞'}")
    if spec.min_items or spec.max_items:
        rules.append(f"items {spec.min_items or 0}-{spec.max_items or '∞'}")
    if spec.grounded:
        rules.append("grounded in the transcript")
    if spec.default is not None:
        rules.append(f"default {spec.default!r}")
    return rules
