"""Canonical names for `enrich vocab build`: grouping spellings, choosing the canonical form, conflicts.

- Spellings of one name (the same `enrich.text.name_key`: case, spacing, width, Traditional and
  Simplified) form one group; a Chinese-only group joins the English group its glosses name, when the
  site writes that English name too.
- The canonical form is the form the site writes in most posts, unless a language is asked for
  (`prefer="en"`: a Latin form when there is one; `"zh"`: a Chinese one). Spellings written as
  often as it are `tied`: with no majority, `enrich fix` leaves them and `enrich check` asks. It is always a form some
  post's front matter wrote: a gloss adds aliases (suggestions), never a canonical name.
- A conflict is a name that is a canonical entry of its own and an alias of another entry: the alias
  is dropped from the other entry and the pair becomes one merge suggestion for a person to decide.
- Near-duplicate people and organisations: one edit apart (Tracy Aloway / Tracy Alloway) or a middle
  name or initial added or missing (Yuval Harari / Yuval Noah Harari).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict

from enrich.text import has_cjk, name_key, to_simplified
from enrich.vocab.model import MAX_ALIASES, Entity, Merge
from enrich.vocab.posts import is_latin_name

CONFLICT = "conflict"
NEAR_NAME_KINDS = ("people", "companies_orgs")
MIN_EDIT_LENGTH = 8  # shorter names one letter apart are too often different names (Meta, Beta)
_LATIN_NAME = re.compile(r"^[A-Za-z][A-Za-z.'\- ]*$")


def group_names(
    forms: Counter[str], zh_to_en: dict[str, Counter[str]], en_to_zh: dict[str, Counter[str]], prefer: str | None = None
) -> dict[str, Entity]:
    """Group spellings of one name (case, spacing, script, glosses) under one canonical form."""
    groups: dict[str, Counter[str]] = defaultdict(Counter)
    for name, n in forms.items():
        key = name_key(name)
        if key:
            groups[key][name] += n
    # a Chinese-only group joins the English name its glosses give, if the site writes that name too
    for key in [k for k, g in groups.items() if not any(is_latin_name(f) for f in g)]:
        english = zh_to_en.get(key)
        if not english:
            continue
        for en, _ in english.most_common(3):
            target = name_key(en)
            if target in groups and target != key and any(is_latin_name(f) for f in groups[target]):
                groups[target].update(groups.pop(key))
                break
    out: dict[str, Entity] = {}
    for group in groups.values():
        canonical = choose_canonical(group, prefer)
        aliases = sorted((f for f in group if f != canonical), key=lambda f: (-group[f], f))
        key = name_key(canonical)
        tied = [f for f in aliases if group[f] == group[canonical] and name_key(f) == key]
        entity = Entity(sum(group.values()), _with_glossed(canonical, group, aliases, zh_to_en, en_to_zh), tied)
        out[canonical] = entity
    return out


def choose_canonical(group: Counter[str], prefer: str | None = None) -> str:
    """The form written in most posts; `prefer` ("en" or "zh") puts that script's forms first."""

    def rank(form: str) -> tuple[bool, int, bool, bool, str]:
        off_language = (prefer == "en" and not is_latin_name(form)) or (prefer == "zh" and not has_cjk(form))
        return (off_language, -group[form], to_simplified(form) != form, form.isupper() and len(form) > 4, form)

    return min(group, key=rank)


def _with_glossed(
    canonical: str, group: Counter[str], aliases: list[str], zh_to_en: dict[str, Counter[str]], en_to_zh: dict[str, Counter[str]]
) -> list[str]:
    """The group's other spellings, then the names its members are glossed with (at most MAX_ALIASES)."""
    seen = {name_key(canonical)} | {name_key(a) for a in aliases}
    extra: Counter[str] = Counter()
    latin = [f for f in group if is_latin_name(f)]
    if not latin:  # a Chinese-only name: the English its glosses give most is an alias, never its canonical
        glossed = Counter[str]()
        for member_key in {name_key(f) for f in group}:
            glossed.update({en: n for en, n in zh_to_en.get(member_key, Counter()).items() if is_latin_name(en)})
        latin = [en for en, _ in glossed.most_common(1)]
        group = group + glossed
    tokens = set(max(latin, key=lambda f: group[f]).casefold().split()) if latin else set()
    for member_key in {name_key(f) for f in group}:
        for zh, n in en_to_zh.get(member_key, Counter()).items():
            extra[zh] += n
        for en, n in zh_to_en.get(member_key, Counter()).items():
            alt_tokens = set(en.casefold().split())
            if tokens and (alt_tokens <= tokens or tokens <= alt_tokens):  # Trump, Powell; not Colin Powell
                extra[en] += n
    for alt, _ in extra.most_common():
        alt_key = name_key(alt)
        if alt_key in seen or len(alt) > 24 or len(alt_key) < 2 or "**" in alt:
            continue
        seen.add(alt_key)
        aliases.append(alt)
    return aliases[:MAX_ALIASES]


def resolve_conflicts(kind: str, table: dict[str, Entity]) -> list[Merge]:
    """Drop from each entry the aliases that are another entry's canonical name; one merge per pair."""
    by_key = {name_key(name): name for name in table}
    out: list[Merge] = []
    seen: set[frozenset[str]] = set()
    for owner in sorted(table, key=lambda n: (-table[n].count, n)):
        ent = table[owner]
        kept = []
        for alias in ent.aliases:
            other = by_key.get(name_key(alias))
            if other is None or other == owner:
                kept.append(alias)
                continue
            pair = frozenset((owner, other))
            if pair in seen:
                continue
            seen.add(pair)
            source, target = sorted((owner, other), key=lambda n: (table[n].count, n != other))
            out.append(Merge(kind, source, target, f"{CONFLICT}: {other!r} is an entry and an alias of {owner!r}"))
        ent.aliases = kept
    return out


def near_duplicate_names(kind: str, table: dict[str, Entity], taken: set[frozenset[str]]) -> list[Merge]:
    """People and organisations one edit apart or with a middle name or initial added or missing.

    An entry's English aliases count too: 尤瓦尔·赫拉利, glossed Yuval Harari, meets Yuval Noah Harari.
    """
    ranked = sorted(table, key=lambda n: (-table[n].count, n))
    rank = {name: i for i, name in enumerate(ranked)}
    buckets: dict[tuple[str, str], list[tuple[str, str]]] = defaultdict(list)
    for entry in ranked:
        for name in (entry, *table[entry].aliases):
            if _LATIN_NAME.match(name) and " " in name.strip():
                words = name.casefold().split()
                buckets[("first", words[0])].append((entry, name))
                buckets[("last", words[-1])].append((entry, name))
    out: list[Merge] = []
    for members in buckets.values():
        for i, (a, name_a) in enumerate(members):
            for b, name_b in members[i + 1 :]:
                pair = frozenset((a, b))
                if a == b or pair in taken:
                    continue
                reason = _name_likeness(name_a, name_b, middle=kind == "people")
                if reason:
                    taken.add(pair)
                    source, target = (b, a) if rank[a] < rank[b] else (a, b)
                    out.append(Merge(kind, source, target, f"{reason} ({name_a} / {name_b})"))
    return out


def _name_likeness(a: str, b: str, middle: bool) -> str:
    wa, wb = a.casefold().replace(".", "").split(), b.casefold().replace(".", "").split()
    if wa[0] != wb[0] and wa[-1] != wb[-1]:
        return ""
    short, long = (wa, wb) if len(wa) < len(wb) else (wb, wa)
    same_ends = len(short) >= 2 and short[0] == long[0] and short[-1] == long[-1]
    if middle and same_ends and len(long) == len(short) + 1 and short[1:-1] in (long[1:-2], long[2:-1]):
        return "near-duplicate: a middle name or initial added or missing"
    if len(wa) == len(wb) and min(len(a), len(b)) >= MIN_EDIT_LENGTH:
        diffs = [(x, y) for x, y in zip(wa, wb, strict=True) if x != y]
        if len(diffs) == 1 and min(len(diffs[0][0]), len(diffs[0][1])) >= 4 and _one_edit(*diffs[0]):
            return "near-duplicate: one letter apart"
    return ""


def _one_edit(a: str, b: str) -> bool:
    """Whether a and b differ by one inserted, deleted or replaced letter."""
    if abs(len(a) - len(b)) > 1 or a == b:
        return False
    if len(a) > len(b):
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    return a[i + (len(a) == len(b)) :] == b[i + 1 :]
