"""Step a JSON Schema down keyword by keyword, for endpoints whose strict mode rejects some keywords.

The answer schema carries every constraint an endpoint can enforce (patterns, list sizes, string
lengths), but strict modes differ: OpenAI's rejects `maxLength`/`minLength`, others reject `pattern`.
Losing one keyword is far better than losing the schema (a step down to `json_object`), so the client
drops only what the endpoint names, remembers it per endpoint, and keeps the rest. The keywords
dropped are optional by design: validation still applies the profile's rules to every answer.
"""

from __future__ import annotations

import re
from typing import Any

# Optional keywords, in the order they go when the endpoint's message names none of them.
OPTIONAL_KEYWORDS = ("maxLength", "minLength", "pattern", "maxItems", "minItems")
_NESTED = ("items", "anyOf", "oneOf", "allOf")


def keywords_in(schema: Any) -> set[str]:
    """The optional keywords used anywhere in `schema`."""
    found: set[str] = set()
    if isinstance(schema, dict):
        found.update(k for k in OPTIONAL_KEYWORDS if k in schema)
        for sub in (schema.get("properties") or {}).values():
            found |= keywords_in(sub)
        for key in _NESTED:
            nested = schema.get(key)
            for sub in nested if isinstance(nested, list) else [nested]:
                found |= keywords_in(sub)
    return found


def without(schema: Any, dropped: set[str] | frozenset[str]) -> Any:
    """A copy of `schema` without the `dropped` keywords (property names are never touched)."""
    if not dropped or not isinstance(schema, dict):
        return schema
    out = {k: v for k, v in schema.items() if k not in dropped}
    if isinstance(out.get("properties"), dict):
        out["properties"] = {name: without(sub, dropped) for name, sub in out["properties"].items()}
    for key in _NESTED:
        nested = out.get(key)
        if isinstance(nested, list):
            out[key] = [without(sub, dropped) for sub in nested]
        elif isinstance(nested, dict):
            out[key] = without(nested, dropped)
    return out


def to_drop(message: str, schema: Any) -> set[str]:
    """What to drop after the endpoint rejected `schema` with `message`.

    The keywords it names, if the schema has them; else, when it says the schema itself is wrong, every
    optional keyword at once (one more try before `json_object`); else nothing: the endpoint rejects
    `json_schema` as such.
    """
    present = keywords_in(schema)
    named = {k for k in OPTIONAL_KEYWORDS if re.search(rf"\b{k}\b", message, re.I)}
    if named:
        return named & present  # naming one it was not sent: it is not about keywords
    about_schema = re.search(
        r"invalid schema|schema (?:is )?invalid|not (?:permitted|supported|allowed)|unsupported", message, re.I
    )
    about_format = re.search(r"(?:json_schema|response_format) (?:json_schema )?(?:is )?not supported", message, re.I)
    return present if present and about_schema and not about_format else set()
