"""Merge suggestions: pairs of spellings a person would likely fold into one, never applied silently.

Tags that differ by case, hyphenation, plural, word order, an acronym the site's glosses spell out,
or a crude stem; names that differ by a leading "The" or a company suffix. The target is the more used
spelling. A person accepts one by setting `accepted: true` in the file; rebuilds keep their decisions.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable

from enrich.text import name_key, singular, tag_slug, twin_key, twin_words
from enrich.vocab.model import ENTITY_KINDS, Entity, Merge, Vocabulary
from enrich.vocab.posts import PostRecord

_ACRONYM = re.compile(r"[A-Z][A-Z0-9]{1,6}s?")


def _stem(word: str) -> str:
    """A crude stem so that geopolitical/geopolitics or economic/economy meet."""
    word = singular(word)
    for suffix in ("ical", "ics", "ic", "al", "y", "e"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 5:
            return word[: -len(suffix)]
    return word


def find_acronyms(records: list[PostRecord]) -> dict[str, str]:
    """Acronym -> the slug of its expansion, from glosses such as **世贸**（WTO: World Trade Organization）."""
    acronyms: dict[str, str] = {}
    for rec in records:
        for _zh, *ens in rec.glosses:
            for short in ens:
                if _ACRONYM.fullmatch(short):
                    for long in ens:
                        initials = re.findall(r"[A-Za-z]+", long)
                        if len(initials) >= 2 and "".join(w[0] for w in initials).upper() == short.rstrip("s").upper():
                            acronyms[short.rstrip("s").lower()] = tag_slug(long)
    return acronyms


def suggest_merges(vocab: Vocabulary, acronyms: dict[str, str] | None = None) -> list[Merge]:
    """Pairs a person would likely fold into one: case, hyphenation, plural, word order, acronyms, near-duplicates."""
    merges: list[Merge] = []
    merges += _tag_merges(vocab.tags)
    merges += _acronym_merges(vocab.tags, acronyms or {}, {m.source for m in merges})
    for kind in ENTITY_KINDS:
        merges += _name_merges(kind, vocab.entities.get(kind, {}))
    return merges


def _tag_merges(tags: dict[str, int]) -> list[Merge]:
    rules: list[tuple[str, Callable[[str], str]]] = [
        ("case", lambda t: t.strip().lower()),
        ("hyphenation", lambda t: re.sub(r"[^a-z0-9\u3400-\u9fff]", "", t.lower())),
        ("plural", twin_key),
        ("word-order", lambda t: "-".join(sorted(twin_words(t)))),
        ("near-duplicate", lambda t: "-".join(_stem(w) for w in tag_slug(t).split("-"))),
    ]
    merged: set[str] = set()
    out: list[Merge] = []
    ranked = sorted(tags, key=lambda t: (-tags[t], t))
    for reason, keyfn in rules:
        groups: dict[str, list[str]] = defaultdict(list)
        for tag in ranked:
            key = keyfn(tag)
            if key:
                groups[key].append(tag)
        for members in groups.values():
            if len(members) < 2:
                continue
            target = members[0]
            for source in members[1:]:
                if source in merged:
                    continue
                merged.add(source)
                out.append(Merge("tags", source, target, reason))
    return out


def _acronym_merges(tags: dict[str, int], acronyms: dict[str, str], taken: set[str]) -> list[Merge]:
    """llm / large-language-model: an acronym tag and its expansion, as the site's glosses spell it out."""
    by_twin: dict[str, str] = {}
    for tag in sorted(tags, key=lambda t: (-tags[t], t)):
        by_twin.setdefault(twin_key(tag), tag)
    out = []
    for short, long in sorted(acronyms.items()):
        a, b = by_twin.get(twin_key(short)), by_twin.get(twin_key(long))
        if a and b and a != b and a not in taken and b not in taken:
            source, target = (a, b) if tags[a] < tags[b] or (tags[a] == tags[b] and a > b) else (b, a)
            taken.add(source)
            out.append(Merge("tags", source, target, "acronym"))
    return out


def _name_merges(kind: str, table: dict[str, Entity]) -> list[Merge]:
    out: list[Merge] = []
    by_key: dict[str, str] = {}
    ranked = sorted(table, key=lambda n: (-table[n].count, n))
    for name in ranked:
        key = name_key(re.sub(r"^(the)\s+", "", name, flags=re.I))
        key = re.sub(r"(inc|corp|corporation|ltd|llc|co)$", "", key) or key
        if key in by_key:
            out.append(Merge(kind, name, by_key[key], "near-duplicate"))
        else:
            by_key[key] = name
    return out


def keep_decisions(merges: list[Merge], previous: Vocabulary | None) -> list[Merge]:
    """Carry a person's accepted/rejected flags over a rebuild, and keep merges they added by hand."""
    if previous is None:
        return merges
    decided = {(m.kind, m.source, m.target): m for m in previous.merges if m.accepted or m.rejected}
    seen = set()
    for m in merges:
        old = decided.get((m.kind, m.source, m.target))
        if old is not None:
            m.accepted, m.rejected = old.accepted, old.rejected
        seen.add((m.kind, m.source, m.target))
    merges.extend(m for key, m in decided.items() if key not in seen)
    return merges
