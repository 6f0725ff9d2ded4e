"""The tag and name tables every caller resolves through, check's cache of them, and its file finder.

`VocabIndex.from_vocabulary` builds the tables from the one `Vocabulary` model with the keys of
`enrich.text` (twin key, name key). Drafting asks them `canonical_tag` / `canonical_name` (through
`Vocabulary.index`); `enrich check` and `enrich fix` ask `tag_hint` / `name_hint` of the same tables,
loaded by `load_index`, which caches them (see there). So a drafted tag, a checked tag and a fixed tag
meet the same twin, alias and merge. Light on purpose: this is on check's start-up path.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from enrich.errors import ConfigError
from enrich.text import name_key, twin_key
from enrich.vocab.file import find_vocab_file, vocabulary_from_bytes
from enrich.vocab.model import ENTITY_KINDS

if TYPE_CHECKING:
    from enrich.vocab.model import Entity, Merge, Vocabulary

MIN_ALIAS_COUNT = 2  # kept for callers; an alias is never applied without a person any more
CACHE_FORMAT = b"enrich-vocab-index-4\n"  # change when the index or its keys change


@dataclass(frozen=True)
class Hint:
    """A better value for one item: `certain` hints are applied by `enrich fix`, others only reported.

    An ambiguous name has no value: `candidates` lists (canonical, posts) of every entry it may mean.
    """

    value: str
    count: int
    certain: bool
    reason: str
    candidates: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class Resolved:
    """Where a name leads: its canonical form, why (empty when it is canonical already), how surely."""

    value: str
    reason: str
    certain: bool
    candidates: tuple[str, ...] = ()


@dataclass
class NameTable:
    """The canonical names of one entity kind, keyed by name key (`enrich.text.name_key`)."""

    counts: dict[str, int] = field(default_factory=dict)  # canonical -> posts
    canonical_keys: dict[str, str] = field(default_factory=dict)  # name key -> most used canonical
    alias_keys: dict[str, str] = field(default_factory=dict)  # name key of an alias of one canonical -> it
    ambiguous: dict[str, list[str]] = field(default_factory=dict)  # name key of an alias of several -> them
    merges: dict[str, str] = field(default_factory=dict)  # name key of an accepted merge's source -> target
    tied: dict[str, str] = field(default_factory=dict)  # a spelling written as often as its canonical -> it

    @classmethod
    def build(cls, entities: dict[str, Entity], merges: list[Merge]) -> NameTable:
        table = cls(counts={name: ent.count for name, ent in entities.items()})
        ranked = sorted(entities.items(), key=lambda kv: (-kv[1].count, kv[0]))
        for canonical, _ in ranked:
            table.canonical_keys.setdefault(name_key(canonical), canonical)
        for merge in merges:
            table.merges[name_key(merge.source)] = merge.target
        owners: dict[str, list[str]] = {}
        for entry, ent in ranked:
            canonical = table._follow(entry)  # a person merged it: its aliases are the target's
            table.tied.update(dict.fromkeys(ent.tied, canonical))
            for alias in ent.aliases:
                key = name_key(alias)
                # a spelling of a canonical name (its own, or another entry's: a conflict the build reports)
                if not key or key in table.canonical_keys:
                    continue
                found = owners.setdefault(key, [])
                if canonical not in found:
                    found.append(canonical)
        for key, found in owners.items():
            if len(found) == 1:
                table.alias_keys[key] = found[0]
            else:
                table.ambiguous[key] = found
        return table

    def resolve(self, name: str) -> Resolved | None:
        """The canonical form of `name`, or None when this kind does not know it.

        Certain: an accepted merge, and a spelling variant of a canonical name (same name key: case,
        spacing, width, Traditional/Simplified) written less often than it. Not certain (a suggestion for a person): an alias
        with another name key (a translation a gloss gave, another name of the same thing). An alias
        of several canonical names is ambiguous: no value, only the candidates.
        """
        key = name_key(name)
        if not key:
            return None
        if key in self.merges:
            return Resolved(self._follow(self.merges[key]), "accepted merge", True)
        own = self.canonical_keys.get(key)  # the most used canonical name spelled this way
        if name in self.counts and (own is None or self._count(own) <= self._count(name)):
            own = name
        if own is not None:
            final = self._follow(own)
            if final == name:
                return Resolved(name, "", True)
            if final == own and self.tied.get(name) == own:  # written as often: no majority to follow
                return Resolved(own, "spelling variant, as often", False)
            return Resolved(final, "accepted merge" if final != own else "spelling variant", True)
        if key in self.ambiguous:
            return Resolved("", "ambiguous", False, tuple(self.ambiguous[key]))
        alias_of = self.alias_keys.get(key)
        if alias_of is None:
            return None
        return Resolved(self._follow(alias_of), "alias", False)

    def _count(self, name: str) -> int:
        return self.counts.get(name, 0)

    def _follow(self, name: str) -> str:
        seen = {name}
        while (nxt := self.merges.get(name_key(name))) and nxt not in seen:
            seen.add(nxt)
            name = nxt
        return name


@dataclass
class VocabIndex:
    """The tag and name tables of one vocabulary (all `enrich check` needs of it)."""

    path: str = ""
    tags: dict[str, int] = field(default_factory=dict)
    tag_keys: dict[str, str] = field(default_factory=dict)  # twin key (of a tag or an alias) -> most used tag
    tag_merges: dict[str, str] = field(default_factory=dict)  # accepted: from -> to
    tag_suggestions: dict[str, str] = field(default_factory=dict)  # neither accepted nor rejected: from -> to
    names: dict[str, NameTable] = field(default_factory=dict)

    @classmethod
    def from_vocabulary(cls, vocab: Vocabulary) -> VocabIndex:
        index = cls(path=str(vocab.path or ""), tags=dict(vocab.tags))
        ranked = sorted(vocab.tags, key=lambda t: (-vocab.tags[t], t))  # the most used tag wins a shared key
        for tag in ranked:
            index.tag_keys.setdefault(twin_key(tag), tag)
        for tag in sorted(vocab.tag_aliases, key=lambda t: (-vocab.tags.get(t, 0), t)):
            for alias in vocab.tag_aliases[tag]:
                index.tag_keys.setdefault(twin_key(alias), tag)
        live = [m for m in vocab.merges if not m.rejected]  # a rejected merge: a person said they differ
        for merge in (m for m in live if m.kind == "tags"):
            if merge.accepted:
                index.tag_merges[merge.source] = merge.target
            else:
                index.tag_suggestions.setdefault(merge.source, merge.target)
        for kind in ENTITY_KINDS:
            accepted = [m for m in live if m.kind == kind and m.accepted]
            index.names[kind] = NameTable.build(vocab.entities.get(kind, {}), accepted)
        return index

    # ------------------------------------------------------------ drafting's questions

    def canonical_tag(self, tag: str) -> str | None:
        """The existing tag `tag` stands for: itself, its twin or alias, then accepted merges; else None."""
        found = tag if tag in self.tags or tag in self.tag_merges else self.tag_keys.get(twin_key(tag))
        return None if found is None else self._follow_tag(found)

    def canonical_name(self, kind: str, name: str) -> str | None:
        """The canonical form drafting may write without a person: only a certain one, else None."""
        found = self.lookup(kind, name)
        return found.value if found is not None and found.certain else None

    def lookup(self, kind: str, name: str) -> Resolved | None:
        """Where `name` leads among this kind's names, certain or not (see `NameTable.resolve`)."""
        table = self.names.get(kind)
        return table.resolve(name) if table is not None else None

    def ambiguous_count(self) -> int:
        """Aliases shared by several canonical entries, over all kinds."""
        return sum(len(t.ambiguous) for t in self.names.values())

    # ------------------------------------------------------------ check's and fix's questions

    def tag_hint(self, tag: str) -> Hint | None:
        """An accepted merge (certain), a suggested merge, or a twin used more often, if any."""
        if tag in self.tag_merges:
            final = self._follow_tag(tag)
            if final != tag:
                return Hint(final, self.tags.get(final, 0), True, "accepted merge")
        suggested = self.tag_suggestions.get(tag)
        if suggested is not None and suggested != tag:
            return Hint(suggested, self.tags.get(suggested, 0), False, "suggested merge")
        twin = self.tag_keys.get(twin_key(tag))
        if twin is None or twin == tag or self.tags.get(twin, 0) <= self.tags.get(tag, 0):
            return None
        final = self._follow_tag(twin)
        return Hint(final, self.tags.get(final, 0), False, "twin")

    def name_hint(self, kind: str, name: str) -> Hint | None:
        """The canonical form of a name that is not it, or its candidates when ambiguous, if any."""
        table = self.names.get(kind)
        found = table.resolve(name) if table is not None else None
        if table is None or found is None or found.value == name:
            return None
        if found.reason == "ambiguous":
            return Hint("", 0, False, "ambiguous", tuple((c, table.counts.get(c, 0)) for c in found.candidates))
        return Hint(found.value, table.counts.get(found.value, 0), found.certain, found.reason)

    def _follow_tag(self, tag: str) -> str:
        seen = {tag}
        while (nxt := self.tag_merges.get(tag)) and nxt not in seen:
            seen.add(nxt)
            tag = nxt
        return tag

    # ------------------------------------------------------------ the cache's form

    def to_json(self) -> dict[str, Any]:
        return {
            "tags": self.tags,
            "tag_keys": self.tag_keys,
            "tag_merges": self.tag_merges,
            "tag_suggestions": self.tag_suggestions,
            "names": {kind: t.__dict__ for kind, t in self.names.items()},
        }

    @classmethod
    def from_json(cls, data: dict[str, Any], where: str) -> VocabIndex:
        """The index as `to_json` wrote it; a cache of another shape raises (and the file is read again)."""
        names = {str(kind): NameTable(**table) for kind, table in data["names"].items()}
        return cls(
            path=where,
            tags=dict(data["tags"]),
            tag_keys=dict(data["tag_keys"]),
            tag_merges=dict(data["tag_merges"]),
            tag_suggestions=dict(data["tag_suggestions"]),
            names=names,
        )


def load_index(path: Path) -> VocabIndex:
    """The index of a vocabulary file; raises ConfigError when the file cannot be used.

    Parsing a big vocabulary's YAML costs ~0.5 s, too much for every pre-commit run, so the tables
    are cached as JSON in the user cache folder under the hash of the file's bytes: a changed file
    simply misses, and a cache is written atomically, so parallel hook processes never see half a file.
    """
    import json

    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read the vocabulary: {exc.strerror or exc}", path=str(path)) from None
    cache = _cache_file(raw)
    if cache is not None:
        try:
            return VocabIndex.from_json(json.loads(cache.read_bytes()), str(path))
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            pass
    vocab = vocabulary_from_bytes(raw, str(path))
    index = VocabIndex.from_vocabulary(vocab)
    index.path = str(path)
    if cache is not None:
        import contextlib

        from enrich.fsutil import atomic_write

        with contextlib.suppress(OSError):
            atomic_write(cache, json.dumps(index.to_json(), ensure_ascii=False).encode("utf-8"))
    return index


def cache_folder() -> Path | None:
    """The user cache folder, by the one rule of `enrich.site` (None when there is none)."""
    from enrich.site import user_cache_dir

    return user_cache_dir()


def _cache_file(raw: bytes) -> Path | None:
    folder = cache_folder()
    if folder is None:
        return None
    import hashlib  # only when there is a vocabulary: 3 ms of start-up otherwise

    digest = hashlib.sha256(CACHE_FORMAT + raw).hexdigest()[:40]
    return folder / f"vocab-index-{digest}.json"


class VocabFinder:
    """The vocabulary index that applies to a file: `--vocab`, else `.enrich/vocab.yaml` at or above it.

    Lookups and loaded indexes are kept for the life of the process only (no state across runs).
    """

    def __init__(self, explicit: Path | None = None, enabled: bool = True) -> None:
        self.explicit = explicit
        self.enabled = enabled
        self._by_dir: dict[Path, Path | None] = {}
        self._loaded: dict[Path, VocabIndex] = {}

    def for_file(self, path: Path) -> VocabIndex | None:
        if not self.enabled:
            return None
        if self.explicit is not None:
            return self._load(self.explicit)
        folder = path.parent.resolve() if path.parent != Path("") else Path.cwd()
        found = find_vocab_file(folder, self._by_dir) or find_vocab_file(Path.cwd(), self._by_dir)
        return self._load(found) if found is not None else None

    def _load(self, path: Path) -> VocabIndex:
        if path not in self._loaded:
            self._loaded[path] = load_index(path)
        return self._loaded[path]
