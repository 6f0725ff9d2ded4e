"""The model's answer, both ways: its strict JSON Schema from the profile, and reading an answer back.

The schema asks exactly the fields a file still needs, every property required and nothing extra;
named entities come as {name, mention} so grounding can check the quoted words. Reading turns an
answer into field values (entities keep their mentions for grounding) and lists what is wrong with
it, for the repair loop.
"""

from __future__ import annotations

from typing import Any

from enrich.draft.ground import MENTIONS
from enrich.profile import FieldSpec, Profile
from enrich.script import detect_script, expected_script, script_matches
from enrich.text import spelling_key, tag_slug, to_simplified
from enrich.validate import Problem, validate_front_matter


def _sized(schema: dict[str, Any], spec: FieldSpec) -> dict[str, Any]:
    """A list schema with the profile's list sizes, which grammar-constrained endpoints then enforce."""
    if spec.min_items is not None:
        schema["minItems"] = spec.min_items
    schema["maxItems"] = spec.max_items if spec.max_items is not None else RUNAWAY_ITEMS
    return schema


# Bounds for strings and lists the profile leaves open. They only shape what the model is asked for
# (validation is the profile's): a grammar-constrained server (llama.cpp, vLLM) generates an unbounded
# string until max_tokens cuts it, and a cut answer is a paid request wasted.
NAME_LENGTH = 60
MENTION_LENGTH = 60
ITEM_LENGTH = 60
STRING_LENGTH = 300
RUNAWAY_ITEMS = 20  # more than 97% of the corpus posts name at most 16 of a kind


def _string(spec: FieldSpec, description: str | None) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string", "description": description}
    if spec.pattern:
        schema["pattern"] = spec.pattern  # e.g. kebab-case tags: the endpoint cannot answer `音乐`
    if spec.type == "list":  # the profile's lengths are for strings; an item only gets the runaway bound
        schema["maxLength"] = ITEM_LENGTH
        return schema
    minimum = spec.min_length or (1 if spec.required else 0)
    if minimum:
        schema["minLength"] = minimum
    schema["maxLength"] = spec.max_length or STRING_LENGTH
    return schema


def _bounded(max_length: int, description: str) -> dict[str, Any]:
    return {"type": "string", "description": description, "maxLength": max_length}


def _field_schema(spec: FieldSpec) -> dict[str, Any]:
    if spec.grounded:
        return _sized(
            {
                "type": "array",
                "description": spec.description,
                "items": {
                    "type": "object",
                    "properties": {
                        "name": _bounded(NAME_LENGTH, "canonical English name"),
                        "mention": _bounded(MENTION_LENGTH, "exact words of the transcript that refer to it"),
                    },
                    "required": ["name", "mention"],
                    "additionalProperties": False,
                },
            },
            spec,
        )
    if spec.type == "list":
        item = _string(spec, None)
        del item["description"]
        return _sized({"type": "array", "description": spec.description, "items": item}, spec)
    if spec.type == "bool":
        return {"type": "boolean", "description": spec.description}
    if spec.enum:
        return {"type": "string", "description": spec.description, "enum": list(spec.enum)}
    return _string(spec, spec.description)


def answer_schema(fields: list[FieldSpec]) -> dict[str, Any]:
    """The strict JSON Schema of the model's answer: every property required, nothing extra."""
    return {
        "type": "object",
        "properties": {f.name: _field_schema(f) for f in fields},
        "required": [f.name for f in fields],
        "additionalProperties": False,
    }


def notes_schema(fields: list[FieldSpec]) -> dict[str, Any]:
    """The schema of the notes taken on one part of a long transcript."""
    point = _bounded(POINT_TOKENS * 3, "one point the part makes")
    props: dict[str, Any] = {"points": {"type": "array", "items": point, "maxItems": NOTE_POINTS}}
    for spec in (f for f in fields if f.grounded):
        props[spec.name] = _field_schema(spec)
    props["tags"] = {"type": "array", "items": _bounded(ITEM_LENGTH, "a topic"), "maxItems": UNBOUNDED_ITEMS}
    return {"type": "object", "properties": props, "required": list(props), "additionalProperties": False}


def _entities(name: str, raw: Any, values: dict[str, Any], problems: list[Problem]) -> None:
    if not isinstance(raw, list):
        problems.append(Problem(name, "type", "expected a list of {name, mention} objects"))
        return
    names, mentions = [], []
    for i, item in enumerate(raw):
        if isinstance(item, dict) and isinstance(item.get("name"), str):
            names.append(item["name"].strip())
            mentions.append(str(item.get("mention") or "").strip())
        elif isinstance(item, str):
            names.append(item.strip())
            mentions.append("")
        else:
            problems.append(Problem(name, "type", "expected {name, mention}", index=i))
    seen: set[str] = set()
    keep = []  # the same name twice (case, width or spacing apart) is dropped without a repair
    for i, n in enumerate(names):
        key = spelling_key(n)
        if n and key not in seen:
            seen.add(key)
            keep.append(i)
    values[name] = [names[i] for i in keep]
    values[f"{MENTIONS}{name}"] = [mentions[i] for i in keep]


def _enum_member(raw: str, enum: tuple[str, ...] | list[str]) -> str:
    """The enumeration member `raw` means when it differs only in case, width or spacing; else `raw`."""
    key = spelling_key(raw)
    for member in enum:
        if spelling_key(member) == key:
            return member
    return raw.strip()


_SCRIPT_WORDS = {"latin": "a Latin-script language", "ja": "Japanese", "ko": "Korean", "zh-Hant": "Traditional Chinese"}


def _in_site_script(name: str, text: str, profile: Profile, problems: list[Problem]) -> str:
    """A localized text in the site's script: Traditional characters for a Simplified site are converted
    (OpenCC, no judgement needed); another language is re-asked once, then kept with a warning."""
    expected = expected_script(profile.language)
    detected = detect_script(text)
    if expected is None or script_matches(expected, detected) or detected in ("empty", "other"):
        return text
    if expected == "zh-Hans" and detected == "zh-Hant":
        return to_simplified(text)
    said = _SCRIPT_WORDS.get(detected, detected)
    problems.append(Problem(name, "language", f"written in {said}; write it in {profile.language_name}", "warning"))
    return text


def read_answer(data: Any, ask: list[FieldSpec], profile: Profile) -> tuple[dict[str, Any], list[Problem]]:
    """Turn an answer into field values (entities keep their mentions) and list what is wrong with it."""
    if not isinstance(data, dict):
        text = getattr(data, "text", data)
        return {}, [Problem("answer", "type", f"not a JSON object: {str(text)[:120]!r}")]
    problems: list[Problem] = []
    values: dict[str, Any] = {}
    asked = {f.name: f for f in ask}
    for name, spec in asked.items():
        if name not in data:
            problems.append(Problem(name, "missing-key", "required key is missing"))
            continue
        raw = data[name]
        if spec.grounded:
            _entities(name, raw, values, problems)
        elif name == "tags" and isinstance(raw, list):
            slugs = [tag_slug(t) for t in raw if isinstance(t, str) and t.strip()]
            values[name] = list(dict.fromkeys(s for s in slugs if s))  # duplicates after slugging: dropped, not re-asked
        elif isinstance(raw, str) and spec.enum:
            values[name] = _enum_member(raw, spec.enum)  # `Tech ` for `tech`: fixed, not re-asked
        elif isinstance(raw, str) and spec.localized:
            values[name] = _in_site_script(name, raw.strip(), profile, problems)
        elif isinstance(raw, str):
            values[name] = raw.strip()
        else:
            values[name] = raw
    for key in data:
        if key not in asked:
            problems.append(Problem(str(key), "unknown-key", "key was not asked for"))
    plain = {k: v for k, v in values.items() if not k.startswith(MENTIONS)}
    problems.extend(validate_front_matter(plain, profile, only=set(asked)))
    return values, problems


# -- the answer's room ------------------------------------------------------------------------------
# Providers count the answer tokens a request asks for against the tokens-per-minute limit, used or
# not: ask for what the schema and the profile's limits allow, not a blanket large number. Tokens
# per character: up to about one for Chinese text (a localized field), a quarter for English.
ROOM_MARGIN = 1.15
ENTITY_TOKENS = 20  # one {"name": ..., "mention": ...} item
UNBOUNDED_ENTITIES = 8  # items of a grounded list without max_items
UNBOUNDED_ITEMS = 12
UNBOUNDED_STRING = 80
NOTE_POINTS = 12
POINT_TOKENS = 60


def _string_room(spec: FieldSpec) -> int:
    if spec.enum:
        return max(len(e) for e in spec.enum) // 3 + 4
    if spec.max_length:
        return int(spec.max_length * (1.0 if spec.localized else 0.4)) + 4
    return UNBOUNDED_STRING


def _field_room(spec: FieldSpec) -> int:
    key = len(spec.name) // 3 + 4  # the key, quotes and separators
    if spec.grounded:
        return key + (spec.max_items or UNBOUNDED_ENTITIES) * ENTITY_TOKENS
    if spec.type == "list":
        item = _string_room(spec) if spec.max_length else 8
        return key + (spec.max_items or UNBOUNDED_ITEMS) * item
    if spec.type == "bool":
        return key + 2
    return key + _string_room(spec)


def _rounded(tokens: float) -> int:
    return int(-(-tokens * ROOM_MARGIN // 64) * 64)  # up to a multiple of 64


def answer_room(fields: list[FieldSpec]) -> int:
    """Answer tokens the front-matter answer can need at most, with a margin (the request's max_tokens)."""
    return _rounded(8 + sum(_field_room(f) for f in fields))


def notes_room(fields: list[FieldSpec]) -> int:
    """Answer tokens the notes on one part of a long transcript can need."""
    entities = sum(_field_room(f) for f in fields if f.grounded)
    return _rounded(8 + NOTE_POINTS * POINT_TOKENS + entities + UNBOUNDED_ITEMS * 8)
