"""Value-level validation of front matter against the profile.

Drafting uses it on the model's answer and on the assembled front matter; `enrich check` uses it on
every committed post and adds what only a file can show (syntax, delimiters, duplicate keys, line
numbers). One implementation, one list of rule ids, so a draft that passes here passes the check.
Stdlib only: this is on the pre-commit start-up path.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from enrich.profile import FieldSpec, Profile, Severity


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one key (or one item of a list key)."""

    key: str
    rule: str
    message: str
    severity: Severity = "error"
    index: int | None = None  # the list item at fault, if any

    def describe(self) -> str:
        where = f"{self.key}[{self.index}]" if self.index is not None else self.key
        return f"{where}: {self.message} ({self.rule})"


def is_real_date(text: str) -> bool:
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return False
    return True


def _closest(value: str, choices: tuple[str, ...]) -> str | None:
    import difflib  # only on the failure path

    match = difflib.get_close_matches(value.strip().strip("\"'“”‘’").lower(), list(choices), n=1, cutoff=0.75)
    return match[0] if match else None


def validate_value(spec: FieldSpec, value: Any, profile: Profile) -> list[Problem]:
    """Problems with one present key's value."""
    sev = profile.rule_severity
    out: list[Problem] = []

    def add(rule: str, message: str, index: int | None = None) -> None:
        if sev(rule) != "off":
            out.append(Problem(spec.name, rule, message, sev(rule), index))

    if value is None:
        if spec.type in ("string", "list", "date"):
            add("empty-form", f"null; write an empty value as {_empty_text(spec)}")
        else:
            add("type", f"null; expected {spec.type}")
        return out
    if spec.type == "bool":
        if not isinstance(value, bool):
            add("type", f"expected true or false, got {value!r}")
        return out
    if spec.type == "date":
        if isinstance(value, dt.date):
            add("date-unquoted", f"unquoted date {value.isoformat()}; quote it as '{value.isoformat()}'")
            return out
        if not isinstance(value, str):
            add("type", f"expected a date as 'YYYY-MM-DD', got {value!r}")
        elif value == "":
            if spec.required:
                add("missing-key", "empty; a date 'YYYY-MM-DD' is required")
        elif not spec.compiled_pattern().fullmatch(value):  # type: ignore[union-attr]
            add("pattern", f"{value!r} is not a date of the form YYYY-MM-DD")
        elif not is_real_date(value):
            add("date-invalid", f"{value!r} is not a real date")
        return out
    if spec.type == "string":
        if isinstance(value, list) and not value:
            add("empty-form", f"empty list; write an empty value as {_empty_text(spec)}")
            return out
        if not isinstance(value, str):
            add("type", f"expected a string, got {type(value).__name__} {value!r}")
            return out
        _check_string(spec, value, add)
        return out
    # list
    if isinstance(value, str):
        if value.strip() in ("[]", ""):
            add("empty-form", f"the string {value!r}; write an empty list as []")
        else:
            add("type", f"expected a list, got the string {value!r}")
        return out
    if not isinstance(value, list):
        add("type", f"expected a list, got {type(value).__name__} {value!r}")
        return out
    if spec.min_items is not None and len(value) < spec.min_items:
        add("items", f"{len(value)} item(s); at least {spec.min_items} expected")
    if spec.max_items is not None and len(value) > spec.max_items:
        add("items", f"{len(value)} items; at most {spec.max_items} expected")
    seen: dict[str, int] = {}
    for i, item in enumerate(value):
        if not isinstance(item, str):
            add("type", f"item {item!r} is {type(item).__name__}; expected a string", i)
            continue
        if item.strip() == "":
            add("empty-form", "empty item", i)
            continue
        folded = item.casefold()
        if folded in seen:
            add("duplicate-item", f"{item!r} repeats item {seen[folded] + 1}", i)
        else:
            seen[folded] = i
        _check_string(spec, item, lambda r, m, _i=i: add(r, m, _i))
    return out


def _empty_text(spec: FieldSpec) -> str:
    return "[]" if spec.type == "list" else "''"


def _check_string(spec: FieldSpec, value: str, add: Any) -> None:
    if spec.enum is not None and value not in spec.enum:
        if value == "" and not spec.required:
            return
        hint = _closest(value, spec.enum)
        suggestion = f"; did you mean {hint!r}?" if hint else f"; one of: {', '.join(spec.enum[:12])}"
        add("enum", f"{value!r} is not allowed{suggestion}")
        return
    pattern = spec.compiled_pattern()
    if pattern is not None and value != "" and not pattern.fullmatch(value):
        add("pattern", f"{value!r} does not match {spec.pattern}")
    if spec.type == "string":
        if value == "":
            if spec.required:
                add("missing-key", "empty; a value is required")
            return
        if spec.min_length is not None and len(value) < spec.min_length:
            add("length", f"{len(value)} characters; at least {spec.min_length} expected")
        if spec.max_length is not None and len(value) > spec.max_length:
            add("length", f"{len(value)} characters; at most {spec.max_length} expected")


def validate_front_matter(values: dict[str, Any], profile: Profile, *, only: set[str] | None = None) -> list[Problem]:
    """Every problem with a front matter mapping; `only` restricts to some keys (a model answer)."""
    problems: list[Problem] = []
    sev = profile.rule_severity
    for name, spec in profile.fields.items():
        if only is not None and name not in only:
            continue
        if name not in values:
            if spec.required and sev("missing-key") != "off":
                problems.append(Problem(name, "missing-key", "required key is missing", sev("missing-key")))
            continue
        problems.extend(validate_value(spec, values[name], profile))
    if only is None and sev("unknown-key") != "off":
        for key in values:
            if key not in profile.fields:
                problems.append(Problem(str(key), "unknown-key", "key not in the site profile", sev("unknown-key")))
    elif only is not None:
        for key in values:
            if key not in only:
                problems.append(Problem(str(key), "unknown-key", "key was not asked for", "error"))
    return problems
