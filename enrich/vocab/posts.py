"""Reading one post for the vocabulary: its tags, area, category, names and glossed terms.

Real front matter is messy, so this reader is tolerant: a BOM, unquoted dates, `null` / `''` / `"[]"`
empties, a string where a list belongs (`people: 川普`, `tags: a, b`) and `companies:` for
`companies_orgs` are all accepted. What it extracts is cached per post by `enrich.vocab.build`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from enrich.errors import InputError
from enrich.frontmatter.split import split_front_matter
from enrich.frontmatter.yaml12 import load_data
from enrich.text import has_cjk
from enrich.vocab.model import ENTITY_KINDS, KIND_SYNONYMS

_LATIN = re.compile(r"[A-Za-z]")
_GLOSS = re.compile(r"\*\*([^*\n]{1,60}?)\*\*\s*[（(]\s*(?:\*\*)?([^）)\n]{1,240})")


@dataclass
class PostRecord:
    """What one post contributes to the vocabulary (cached in the state file)."""

    tags: list[str] = field(default_factory=list)
    area: str = ""
    category: str = ""
    names: dict[str, list[str]] = field(default_factory=dict)
    glosses: list[list[str]] = field(default_factory=list)  # [chinese, english, ...more english]


def is_latin_name(name: str) -> bool:
    return bool(_LATIN.search(name)) and not has_cjk(name)


def scalar_list(value: Any) -> list[str]:
    """A front-matter value as a list of non-empty strings (null, '', "[]", a string or a list)."""
    if value is None:
        return []
    if isinstance(value, str):
        text = value.strip()
        if text in ("", "[]", "null", "~"):
            return []
        if text.startswith("[") and text.endswith("]"):
            text = text[1:-1]
        return [p.strip().strip("'\"") for p in re.split(r"[,，、]", text) if p.strip().strip("'\"")]
    if isinstance(value, (list, tuple)):
        out: list[str] = []
        for item in value:
            out.extend(scalar_list(item) if isinstance(item, (str, list)) else ([str(item)] if item else []))
        return out
    return [str(value)]


def _scalar(value: Any) -> str:
    if value is None or isinstance(value, (list, dict)):
        return ""
    return str(value).strip()


def extract_glosses(body: str) -> list[list[str]]:
    """Pairs [中文, English, (expansion)] from glossed terms: **中文**（English: ...） or **English**（中文: ...）."""
    out: list[list[str]] = []
    for term, inner in _GLOSS.findall(body):
        term = term.strip().strip("*").strip()
        parts = [p.strip().strip("*").strip() for p in re.split(r"[:：]", inner)]
        other = parts[0]
        if not term or not other:
            continue
        if "，" in other or len(other) > 60:  # a description, not a name
            other = re.split(r"[，,;；]", other)[0].strip()
        if has_cjk(term) and not has_cjk(other) and _LATIN.search(other):
            zh, en = term, other
        elif has_cjk(other) and not has_cjk(term) and _LATIN.search(term):
            zh, en = other, term
        else:
            continue
        limit = 12 if has_cjk(term) else 6  # a Chinese gloss of an English term is often a description
        if len(zh) > limit or len(en) > 60 or "的" in zh or zh.startswith(("一", "这", "是", "指", "即", "此")):
            continue
        zh = zh.strip("《》“”\"' ")
        pair = [zh]
        for piece in re.split(r"\s*[,，;；]\s*|\s+-\s+", en):
            if piece and not has_cjk(piece) and len(piece.split()) <= 8:
                pair.append(piece.strip())
        if len(parts) > 1 and parts[1] and not has_cjk(parts[1]) and len(parts[1].split()) <= 8:
            pair.append(parts[1])  # an acronym's expansion: **世贸**（WTO: World Trade Organization: ...）
        if len(pair) > 1:
            out.append(pair)
    return out


def read_post(path: Path) -> PostRecord:
    """Extract one post's vocabulary; InputError when its front matter cannot be used."""
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read: {exc}", path=str(path)) from None
    parts = split_front_matter(text)
    if parts is None:
        raise InputError("no front matter", path=str(path))
    front, body = parts
    try:
        data = load_data(front)
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        line = f" (line {where.line + 2})" if where is not None else ""
        raise InputError(f"broken YAML{line}: {getattr(exc, 'problem', None) or exc}", path=str(path)) from None
    if not isinstance(data, dict):
        raise InputError("front matter is not a mapping", path=str(path))
    record = PostRecord(
        tags=scalar_list(data.get("tags")),
        area=_scalar(data.get("area")),
        category=_scalar(data.get("category")),
    )
    for key, value in data.items():
        kind = KIND_SYNONYMS.get(str(key), str(key))
        if kind in ENTITY_KINDS:
            record.names.setdefault(kind, []).extend(scalar_list(value))
    record.glosses = extract_glosses(body)
    return record
