"""Applying the vocabulary to drafted values: the site keeps its own tags and canonical names.

Tags resolve through `Vocabulary.canonical_tag` and names through `Vocabulary.canonical_name`, the
same tables `enrich check` and `enrich fix` use (`enrich.vocab.index`); what was mapped is flagged
`vocab-mapped`, a tag the site does not have is kept as its slug and flagged `new-tag`. A name is
mapped only when certain (a spelling variant or an accepted merge): an alias, ambiguous or not, is
left as drafted, for `enrich check` to suggest.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from enrich.frontmatter.provenance import Flag
from enrich.text import tag_slug
from enrich.vocab.model import ENTITY_KINDS, Vocabulary

if TYPE_CHECKING:
    from enrich.profile import Profile


def apply_vocabulary(values: dict[str, Any], vocab: Vocabulary, profile: Profile) -> tuple[dict[str, Any], list[Flag]]:
    """Map drafted tags and names onto the site's existing ones; flag what was mapped and what is new."""
    out = dict(values)
    flags: list[Flag] = []
    if isinstance(values.get("tags"), list):
        out["tags"] = _dedupe(_map_tags(values["tags"], vocab, flags))
    for kind in ENTITY_KINDS:
        if kind in profile.fields and isinstance(values.get(kind), list):
            out[kind] = _dedupe(_map_names(kind, values[kind], vocab, flags))
    _place_names(out, [k for k in ENTITY_KINDS if k in profile.fields and isinstance(out.get(k), list)], vocab, flags)
    return out, flags


def _place_names(out: dict[str, Any], kinds: list[str], vocab: Vocabulary, flags: list[Flag]) -> None:
    """One kind per name, without a repair: a name drafted under several kinds stays under the one the
    site files it under, else the first that is not `people` (weak models list every organisation under
    people too); a name the site files under another kind only is moved there."""
    order = [k for k in kinds if k != "people"] + [k for k in kinds if k == "people"]
    drafted_in: dict[str, list[str]] = {}
    for kind in order:
        for name in out[kind]:
            drafted_in.setdefault(name.casefold(), []).append(kind)
    homes: dict[str, str] = {}
    for key, where in drafted_in.items():
        name = next(n for n in out[where[0]] if n.casefold() == key)
        known_in = [k for k in where if vocab.canonical_name(k, name) is not None]
        found = None if known_in else vocab.find_name(name)
        homes[key] = known_in[0] if known_in else (found[0] if found and found[0] in kinds else where[0])
    placed: dict[str, list[str]] = {k: [n for n in out[k] if homes[n.casefold()] == k] for k in kinds}
    for kind in kinds:  # then what moves, after each kind's own names
        for name in out[kind]:
            home = homes[name.casefold()]
            if home != kind:
                said = f"{name!r} moved to {home}: the site files it there, or it was drafted twice"
                flags.append(Flag("entity-kind", kind, said))
                if all(n.casefold() != name.casefold() for n in placed[home]):
                    placed[home].append(name)
    out.update(placed)


def _map_tags(drafted: list[Any], vocab: Vocabulary, flags: list[Flag]) -> list[str]:
    tags: list[str] = []
    for tag in drafted:
        if not isinstance(tag, str) or not tag.strip():
            continue
        tag = tag.strip()
        existing = vocab.canonical_tag(tag)
        if existing is None:
            slug = tag_slug(tag) or tag
            flags.append(Flag("new-tag", "tags", f"{slug!r} is not an existing tag of this site", slug))
            tags.append(slug)
        else:
            if existing != tag:
                flags.append(Flag("vocab-mapped", "tags", f"{tag!r} -> existing tag {existing!r}", existing))
            tags.append(existing)
    return tags


def _map_names(kind: str, drafted: list[Any], vocab: Vocabulary, flags: list[Flag]) -> list[str]:
    names: list[str] = []
    for name in drafted:
        if not isinstance(name, str) or not name.strip():
            continue
        name = name.strip()
        canonical = vocab.canonical_name(kind, name)
        if canonical is None:
            found = vocab.find_name(name, prefer=kind)
            canonical = found[1] if found else None
        if canonical is not None and canonical != name:
            flags.append(Flag("vocab-mapped", kind, f"{name!r} -> canonical {canonical!r}", canonical))
            names.append(canonical)
        else:
            names.append(name)
    return names


def _dedupe(items: list[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for item in items:
        key = item.casefold()
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out
