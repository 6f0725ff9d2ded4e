"""The one model of the site vocabulary and the questions drafting asks it.

A `Vocabulary` is what `.enrich/vocab.yaml` holds (`enrich.vocab.file` reads and writes it). Tag and
name resolution goes through its `index` (`enrich.vocab.index.VocabIndex`), the same tables
`enrich check` and `enrich fix` use, so all three agree on twins, aliases and merges.
"""

from __future__ import annotations

import functools
import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from enrich.text import twin_key

if TYPE_CHECKING:
    from enrich.vocab.index import VocabIndex
    from enrich.vocab.score import TagScorer

ENTITY_KINDS: tuple[str, ...] = ("people", "companies_orgs", "products_models", "media_books")
# Keys some posts use instead of the profile's entity keys.
KIND_SYNONYMS = {
    "companies": "companies_orgs",
    "orgs": "companies_orgs",
    "products": "products_models",
    "media": "media_books",
    "books": "media_books",
}
TAG_KINDS = ("tags",)
MAX_ALIASES = 12
MAX_TAG_ALIASES = 6


@dataclass
class Entity:
    """One canonical name: how many posts use any of its spellings, and its other spellings."""

    count: int
    aliases: list[str] = field(default_factory=list)
    tied: list[str] = field(default_factory=list)  # spellings written as often as the canonical: no majority


@dataclass
class Merge:
    """A suggested merge of two spellings; applied only once a person sets accepted: true."""

    kind: str
    source: str  # "from" in the file
    target: str  # "to" in the file
    reason: str
    accepted: bool = False
    rejected: bool = False

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "from": self.source,
            "to": self.target,
            "kind": self.kind,
            "reason": self.reason,
            "accepted": self.accepted,
        }
        if self.rejected:
            out["rejected"] = True
        return out


@dataclass
class Vocabulary:
    """The site vocabulary as read from (or about to be written to) `.enrich/vocab.yaml`."""

    tags: dict[str, int] = field(default_factory=dict)
    areas: dict[str, int] = field(default_factory=dict)
    categories: dict[str, int] = field(default_factory=dict)
    entities: dict[str, dict[str, Entity]] = field(default_factory=dict)
    merges: list[Merge] = field(default_factory=list)
    tag_aliases: dict[str, list[str]] = field(default_factory=dict)  # tag -> other words for it (glosses)
    words: dict[str, list[str]] = field(default_factory=dict)  # English tag word -> Chinese words
    tag_context: dict[str, dict[str, dict[str, int]]] = field(default_factory=dict)  # tag -> areas/categories
    posts: int = 0
    skipped: int = 0
    source: str = ""
    path: Path | None = None
    fingerprint: str | None = None  # sha256 of the file it was read from: part of the batch cache key

    # ------------------------------------------------------------ derived tables (built on first use)

    @functools.cached_property
    def index(self) -> VocabIndex:
        """The tag and name tables, exactly as `enrich check` builds (and caches) them."""
        from enrich.vocab.index import VocabIndex

        return VocabIndex.from_vocabulary(self)

    @functools.cached_property
    def scorer(self) -> TagScorer:
        from enrich.vocab.score import TagScorer

        return TagScorer(self)

    # ------------------------------------------------------------ names

    def canonical_name(self, kind: str, name: str) -> str | None:
        """The canonical form of `name` among this kind's names (through aliases and accepted merges)."""
        kind = KIND_SYNONYMS.get(kind, kind)
        if kind in TAG_KINDS:
            return self.canonical_tag(name)
        return self.index.canonical_name(kind, name)

    def find_name(self, name: str, prefer: str | None = None) -> tuple[str, str] | None:
        """(kind, canonical) for a name of any entity kind, trying `prefer` first."""
        kinds = ([prefer] if prefer else []) + [k for k in ENTITY_KINDS if k != prefer]
        best: tuple[int, str, str] | None = None
        for kind in kinds:
            canonical = self.canonical_name(kind, name)
            if canonical is not None:
                if kind == prefer:
                    return kind, canonical
                count = self.entities[kind][canonical].count if canonical in self.entities.get(kind, {}) else 0
                if best is None or count > best[0]:
                    best = (count, kind, canonical)
        return (best[1], best[2]) if best else None

    def aliases(self, kind: str, canonical: str) -> list[str]:
        kind = KIND_SYNONYMS.get(kind, kind)
        if kind in TAG_KINDS:
            return list(self.tag_aliases.get(canonical, []))
        ent = self.entities.get(kind, {}).get(canonical)
        return list(ent.aliases) if ent else []

    # ------------------------------------------------------------ tags

    def canonical_tag(self, tag: str) -> str | None:
        """The existing tag `tag` stands for (itself, accepted merge target, twin or alias), or None."""
        return self.index.canonical_tag(tag)

    def merged_away(self, tag: str) -> bool:
        """Whether a person accepted merging this tag into another (it is not offered any more)."""
        return tag in self.index.tag_merges

    def tag_count(self, tag: str) -> int:
        """Posts using `tag`, counting those using a tag a person merged into it."""
        count = self.tags.get(tag, 0)
        for source, target in self.index.tag_merges.items():
            if target == tag:
                count += self.tags.get(source, 0)
        return count

    def score_tags(self, text: str) -> dict[str, float]:
        """Evidence that each existing tag fits `text` (see `enrich.vocab.score`)."""
        return self.scorer.score(text)

    def fitting_tags(self, text: str, limit: int = 40) -> list[str]:
        """Existing tags the transcript supports, best first."""
        scores = self.score_tags(text)
        return sorted(scores, key=lambda t: (-scores[t], -self.tags.get(t, 0), t))[:limit]

    def shortlist_tags(self, text: str, limit: int = 40) -> list[str]:
        """Existing tags relevant to this transcript, best first, padded with popular ones for the prompt."""
        return self.with_popular_tags(self.fitting_tags(text, limit), limit)

    def with_popular_tags(self, fitting: list[str], limit: int = 40) -> list[str]:
        """`fitting`, then popular tags up to ten, for texts that match almost nothing."""
        out = list(fitting[:limit])
        if len(out) < min(limit, 10):  # a little of the site's habit for texts that match almost nothing
            for tag in self.popular_tags(limit):
                if len(out) >= min(limit, 10):
                    break
                if tag not in out:
                    out.append(tag)
        return out

    def popular_tags(self, limit: int = 20) -> list[str]:
        usable = [t for t in self.tags if not self.merged_away(t)]
        return sorted(usable, key=lambda t: (-self.tag_count(t), t))[:limit]

    def guess_area_category(
        self, tags: Iterable[str], area_enum: tuple[str, ...] | None, category_enum: tuple[str, ...] | None
    ) -> tuple[str, str]:
        """Area and category that posts with these tags used most, else the site's most common."""
        areas, categories = self.filing(tags, area_enum, category_enum)
        return (
            areas[0] if areas else _most_common(self.areas, area_enum),
            categories[0] if categories else _most_common(self.categories, category_enum),
        )

    def filing(
        self, tags: Iterable[str], area_enum: tuple[str, ...] | None, category_enum: tuple[str, ...] | None
    ) -> tuple[list[str], list[str]]:
        """The areas and the categories (within the enums) the site's posts with these tags are filed
        under, most used first; a rare tag's posts weigh more than a common one's."""
        area_votes: Counter[str] = Counter()
        cat_votes: Counter[str] = Counter()
        for tag in tags:
            ctx = self.tag_context.get(tag, {})
            weight = 1.0 / math.sqrt(max(1, self.tags.get(tag, 1)))  # rare tags say more
            for a, n in ctx.get("areas", {}).items():
                area_votes[a] += n * weight  # type: ignore[assignment]
            for c, n in ctx.get("categories", {}).items():
                cat_votes[c] += n * weight  # type: ignore[assignment]
        return (
            [v for v, _ in area_votes.most_common() if area_enum is None or v in area_enum],
            [v for v, _ in cat_votes.most_common() if category_enum is None or v in category_enum],
        )

    # ------------------------------------------------------------ `vocab show`

    def explain(self, query: str) -> list[dict[str, Any]]:
        """Every entry `query` names (a tag, a canonical name or an alias), for `vocab show`."""
        out: list[dict[str, Any]] = []
        tag = self.canonical_tag(query)
        if tag is not None:
            out.append(
                {
                    "kind": "tags",
                    "name": tag,
                    "count": self.tags.get(tag, 0),
                    "aliases": self.tag_aliases.get(tag, []),
                    "twins": sorted(t for t in self.tags if t != tag and twin_key(t) == twin_key(tag)),
                    "context": self.tag_context.get(tag, {}),
                    "merges": [m.to_dict() for m in self.merges if m.kind == "tags" and tag in (m.source, m.target)],
                }
            )
        for kind, label in (("areas", "area"), ("categories", "category")):
            table = getattr(self, kind)
            if query in table:
                out.append({"kind": label, "name": query, "count": table[query], "aliases": [], "merges": []})
        for kind in ENTITY_KINDS:
            found = self.index.lookup(kind, query)
            if found is None:
                continue
            if found.reason == "ambiguous":  # one entry: the candidates, none of which is applied
                table = self.entities.get(kind, {})
                candidates = [(c, table[c].count if c in table else 0) for c in found.candidates]
                out.append({"kind": kind, "name": query, "count": 0, "aliases": [], "merges": [], "ambiguous": candidates})
                continue
            canonical = found.value
            ent = self.entities.get(kind, {}).get(canonical, Entity(0))
            entry: dict[str, Any] = {
                "kind": kind,
                "name": canonical,
                "count": ent.count,
                "aliases": ent.aliases,
                "merges": [m.to_dict() for m in self.merges if m.kind == kind and canonical in (m.source, m.target)],
            }
            if not found.certain:
                entry["suggested_for"] = query  # an alias of another spelling: check suggests, fix leaves it
            out.append(entry)
        return out


def _most_common(overall: dict[str, int], enum: tuple[str, ...] | None) -> str:
    """The site's most used value (within the enum), else the enum's first."""
    for value in sorted(overall, key=lambda v: -overall[v]):
        if enum is None or value in enum:
            return value
    return enum[0] if enum else ""
