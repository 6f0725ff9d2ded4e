"""Merge suggestions: pairs of spellings a person would likely fold into one, never applied silently.

Tags that differ by case, hyphenation, plural, word order, an acronym the site's glosses spell out,
or a crude stem; names that differ by a leading "The" or a company suffix, conflicts (a name that is
an entry and another entry's alias) and near-duplicate people and organisations
(`enrich.vocab.names`). The target is the more used spelling, with three rules on top:

- an invariant word (`enrich.text.singular`: -ics, -ss, -us, `earnings`, `news`) is never cut to a
  false singular: `metaphysic` merges into `metaphysics`, not the other way;
- one direction per pattern: pairs that differ by the same word (`dynamic` / `dynamics`, `agent` /
  `agentic`) all go the same way, towards the side the site uses more;
- no chains: a suggestion names the final target (macroeconomics -> macro-economy, not via
  macro-economics).

A person accepts one by setting `accepted: true` in the file; rebuilds keep their decisions.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable

from enrich.text import name_key, singular, tag_slug, twin_key, twin_words
from enrich.vocab.model import ENTITY_KINDS, Entity, Merge, Vocabulary
from enrich.vocab.names import NEAR_NAME_KINDS, near_duplicate_names, resolve_conflicts
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
    merges = final_targets(merges)
    for kind in ENTITY_KINDS:
        table = vocab.entities.get(kind, {})
        found = resolve_conflicts(kind, table)  # drops the conflicting aliases from the entries
        taken = {frozenset((m.source, m.target)) for m in found}
        for merge in _name_merges(kind, table):
            if frozenset((merge.source, merge.target)) not in taken:
                taken.add(frozenset((merge.source, merge.target)))
                found.append(merge)
        if kind in NEAR_NAME_KINDS:
            found += near_duplicate_names(kind, table, taken)
        merges += found
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
    return _one_direction(out, tags)


def _word_pattern(a: str, b: str) -> tuple[str, str] | None:
    """The one word two tags differ by (compared singular first), or None."""
    wa, wb = tag_slug(a).split("-"), tag_slug(b).split("-")
    if len(wa) != len(wb):
        return None
    diffs = [(x, y) for x, y in zip(wa, wb, strict=True) if x != y]
    word_diffs = [(x, y) for x, y in diffs if singular(x) != singular(y)]
    if len(word_diffs) == 1:
        return word_diffs[0]
    if not word_diffs and len(diffs) == 1:
        return diffs[0]
    return None


def _invariant_side(x: str, y: str) -> str | None:
    """Of two words one `s` apart, the one `singular` keeps whole (metaphysics, dynamics, earnings)."""
    for long, short in ((x, y), (y, x)):
        if long == short + "s" and singular(long) == long:
            return long
    return None


def _one_direction(merges: list[Merge], tags: dict[str, int]) -> list[Merge]:
    """Turn merges so that every pair differing by the same word goes the same way."""
    weight: dict[tuple[str, str], int] = defaultdict(int)
    patterns: list[tuple[str, str] | None] = []
    for m in merges:
        pat = _word_pattern(m.source, m.target)
        patterns.append(pat)
        if pat is not None:
            weight[(pat[0], pat[1])] += tags.get(m.source, 0)  # uses of the source side's word
            weight[(pat[1], pat[0])] += tags.get(m.target, 0)
    out: list[Merge] = []
    for m, pat in zip(merges, patterns, strict=True):
        if pat is not None:
            src_word, dst_word = pat
            keep = _invariant_side(src_word, dst_word)
            if keep is None:
                keep = dst_word if weight[(dst_word, src_word)] >= weight[(src_word, dst_word)] else src_word
            if keep == src_word:
                m = Merge(m.kind, m.target, m.source, m.reason, m.accepted, m.rejected)
        out.append(m)
    return out


def final_targets(merges: list[Merge]) -> list[Merge]:
    """One suggestion per source, each naming the final target of a chain (no a -> b -> c)."""
    first: dict[tuple[str, str], Merge] = {}
    for m in merges:
        first.setdefault((m.kind, m.source), m)
    out: list[Merge] = []
    for m in first.values():
        target, seen = m.target, {m.source}
        while (m.kind, target) in first and target not in seen:
            seen.add(target)
            target = first[(m.kind, target)].target
        if target in seen:  # a cycle: the pair is left to a person as it was found
            target = m.target
        if target != m.source:
            out.append(Merge(m.kind, m.source, target, m.reason, m.accepted, m.rejected))
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
