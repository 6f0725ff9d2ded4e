"""The vocabulary as `enrich check` and `enrich fix` need it: a light reader of `.enrich/vocab.yaml`.

`enrich/vocab.py` builds the vocabulary (and may import heavy things such as jieba); the check only
reads the file, with PyYAML's C loader, and precomputes the maps its rules query (a twin key per
tag, an alias map per entity kind) once per process. See docs/check.md for the file's schema.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from enrich.errors import ConfigError
from enrich.site import user_cache_dir

VOCAB_FILE = Path(".enrich") / "vocab.yaml"
MIN_ALIAS_COUNT = 2  # `enrich fix` applies an alias only when its canonical name is used this often
CACHE_FORMAT = b"enrich-vocab-index-2\n"  # change when the index or its rules change
ENTITY_SECTIONS = ("people", "companies_orgs", "products_models", "media_books")
_SEPARATORS = re.compile(r"[\s_\-]+")
_NAME_NOISE = re.compile(r"[\s·•・.\-_'’\"“”《》<>()（）]+")


@dataclass(frozen=True)
class Hint:
    """A better value for one item: `certain` hints are applied by `enrich fix`, others only reported."""

    value: str
    count: int
    certain: bool
    reason: str


def _singular(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith(("sses", "shes", "ches", "xes", "zes")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def twin_key(tag: str) -> str:
    """What two tags that differ only by case, hyphenation or plural share (`AI_Agents` -> `aiagent`)."""
    return "".join(_singular(w) for w in _SEPARATORS.split(tag.strip().lower()) if w)


def name_key(name: str) -> str:
    """What two spellings of one name share (case, spacing, middle dots, quotes, book brackets)."""
    return _NAME_NOISE.sub("", unicodedata.normalize("NFKC", name)).casefold()


@dataclass
class NameIndex:
    """Canonical names of one entity kind, their counts, aliases and spelling twins."""

    counts: dict[str, int] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)  # alias -> canonical (certain)
    keys: dict[str, str] = field(default_factory=dict)  # name_key -> most used canonical
    merged: set[str] = field(default_factory=set)  # aliases from accepted merges (a person said so)

    def hint(self, name: str) -> Hint | None:
        alias_of = self.aliases.get(name)
        if alias_of is not None and alias_of != name:
            count = self.counts.get(alias_of, 0)
            if name in self.merged:
                return Hint(alias_of, count, True, "accepted merge")
            # An alias learned from a single post's gloss is sometimes wrong: fix only well-attested ones.
            return Hint(alias_of, count, count >= MIN_ALIAS_COUNT, "alias")
        if name in self.counts:
            canonical = self.keys.get(name_key(name), name)
            if canonical != name and self.counts[canonical] > self.counts[name]:
                return Hint(canonical, self.counts[canonical], False, "spelling twin")
            return None
        twin = self.keys.get(name_key(name))
        if twin is not None:
            return Hint(twin, self.counts[twin], False, "spelling twin")
        return None


@dataclass
class Vocabulary:
    """One site's vocabulary, indexed for the check's rules."""

    path: str
    tags: dict[str, int] = field(default_factory=dict)
    areas: dict[str, int] = field(default_factory=dict)
    categories: dict[str, int] = field(default_factory=dict)
    names: dict[str, NameIndex] = field(default_factory=dict)
    tag_keys: dict[str, str] = field(default_factory=dict)  # twin_key -> most used tag
    tag_merges: dict[str, tuple[str, bool]] = field(default_factory=dict)  # from -> (to, accepted)

    def tag_hint(self, tag: str) -> Hint | None:
        """A twin of `tag` used more often (or an accepted merge), if any."""
        merge = self.tag_merges.get(tag)
        if merge is not None and merge[0] != tag:
            to, accepted = merge
            return Hint(to, self.tags.get(to, 0), accepted, "accepted merge" if accepted else "suggested merge")
        canonical = self.tag_keys.get(twin_key(tag))
        if canonical is None or canonical == tag:
            return None
        if self.tags.get(canonical, 0) > self.tags.get(tag, 0):
            return Hint(canonical, self.tags[canonical], False, "twin")
        return None

    def name_hint(self, section: str, name: str) -> Hint | None:
        index = self.names.get(section)
        return index.hint(name) if index is not None else None


def _counts(data: Any, what: str, where: str) -> dict[str, int]:
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"vocabulary: {what} must be a mapping of value to count", path=where)
    out: dict[str, int] = {}
    for key, value in data.items():
        count = value.get("count", 0) if isinstance(value, dict) else value
        out[str(key)] = count if isinstance(count, int) and not isinstance(count, bool) else 0
    return out


def _names(data: Any, section: str, where: str) -> NameIndex:
    index = NameIndex()
    if data is None:
        return index
    if not isinstance(data, dict):
        raise ConfigError(f"vocabulary: {section} must be a mapping of canonical name to entry", path=where)
    index.counts = _counts(data, section, where)
    for canonical, entry in data.items():
        aliases = entry.get("aliases", []) if isinstance(entry, dict) else []
        for alias in aliases if isinstance(aliases, list) else []:
            if isinstance(alias, str) and alias != canonical:
                index.aliases.setdefault(alias, str(canonical))
    for name, _count in sorted(index.counts.items(), key=lambda kv: (-kv[1], kv[0])):
        index.keys.setdefault(name_key(name), name)
    return index


def parse_vocab(data: Any, where: str) -> Vocabulary:
    """Index the parsed YAML of a vocabulary file; raises ConfigError when its shape is wrong."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError("vocabulary must be a mapping", path=where)
    version = data.get("version", 1)
    if version != 1:
        raise ConfigError(f"vocabulary version {version!r} is not supported (expected 1)", path=where)
    vocab = Vocabulary(
        path=where,
        tags=_counts(data.get("tags"), "tags", where),
        areas=_counts(data.get("areas"), "areas", where),
        categories=_counts(data.get("categories"), "categories", where),
    )
    for section in ENTITY_SECTIONS:
        vocab.names[section] = _names(data.get(section), section, where)
    for tag, _count in sorted(vocab.tags.items(), key=lambda kv: (-kv[1], len(kv[0]), kv[0])):
        vocab.tag_keys.setdefault(twin_key(tag), tag)
    merges = data.get("merges") or []
    if not isinstance(merges, list):
        raise ConfigError("vocabulary: merges must be a list", path=where)
    for merge in merges:
        if not isinstance(merge, dict) or not merge.get("from") or not merge.get("to"):
            continue
        if merge.get("rejected") is True:
            continue  # a person said these are different
        source, target, accepted = str(merge["from"]), str(merge["to"]), merge.get("accepted") is True
        kind = merge.get("kind", "tags")
        if kind == "tags":
            if accepted or source not in vocab.tag_merges:
                vocab.tag_merges[source] = (target, accepted)
        elif kind in vocab.names and accepted:
            vocab.names[kind].aliases[source] = target
            vocab.names[kind].merged.add(source)
    return vocab


def load_vocab(path: Path) -> Vocabulary:
    """Read and index a vocabulary file; raises ConfigError when it cannot be used.

    Parsing a big vocabulary's YAML costs ~0.5 s, too much for every pre-commit run, so the indexes
    are cached as JSON in the user cache folder under the hash of the file's bytes: a changed file
    simply misses, and a cache is written atomically, so parallel hook processes never see half a file.
    """
    import contextlib
    import json

    from enrich.fsutil import atomic_write

    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read vocabulary: {exc.strerror or exc}", path=str(path)) from None
    cache = _cache_file(raw)
    if cache is not None:
        try:
            return _from_cache(json.loads(cache.read_bytes()), str(path))
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            pass
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"vocabulary is not UTF-8 text: {exc}", path=str(path)) from None
    loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        data = yaml.load(text, Loader=loader)
    except yaml.YAMLError as exc:
        raise ConfigError(f"invalid vocabulary YAML: {str(exc).splitlines()[0]}", path=str(path)) from None
    vocab = parse_vocab(data, str(path))
    if cache is not None:
        with contextlib.suppress(OSError):
            atomic_write(cache, json.dumps(_to_cache(vocab), ensure_ascii=False).encode("utf-8"))
    return vocab


def _cache_file(raw: bytes) -> Path | None:
    folder = user_cache_dir()
    if folder is None:
        return None
    import hashlib  # only when there is a vocabulary: 3 ms of start-up otherwise

    digest = hashlib.sha256(CACHE_FORMAT + raw).hexdigest()[:40]
    return folder / f"vocab-index-{digest}.json"


def _to_cache(vocab: Vocabulary) -> dict[str, Any]:
    return {
        "tags": vocab.tags,
        "areas": vocab.areas,
        "categories": vocab.categories,
        "names": {k: {"counts": n.counts, "aliases": n.aliases, "keys": n.keys, "merged": sorted(n.merged)}
                  for k, n in vocab.names.items()},
        "tag_keys": vocab.tag_keys,
        "tag_merges": {k: [to, accepted] for k, (to, accepted) in vocab.tag_merges.items()},
    }


def _from_cache(data: dict[str, Any], where: str) -> Vocabulary:
    names = {k: NameIndex(dict(n["counts"]), dict(n["aliases"]), dict(n["keys"]), set(n["merged"]))
             for k, n in data["names"].items()}
    return Vocabulary(
        path=where,
        tags=dict(data["tags"]),
        areas=dict(data["areas"]),
        categories=dict(data["categories"]),
        names=names,
        tag_keys=dict(data["tag_keys"]),
        tag_merges={str(k): (str(v[0]), bool(v[1])) for k, v in data["tag_merges"].items()},
    )


class VocabFinder:
    """Finds the vocabulary that applies to a file: `--vocab`, else `.enrich/vocab.yaml` at or above it.

    Lookups and parsed files are cached for the life of the process only (no state across runs).
    """

    def __init__(self, explicit: Path | None = None, enabled: bool = True) -> None:
        self.explicit = explicit
        self.enabled = enabled
        self._by_dir: dict[Path, Path | None] = {}
        self._loaded: dict[Path, Vocabulary] = {}

    def for_file(self, path: Path) -> Vocabulary | None:
        if not self.enabled:
            return None
        if self.explicit is not None:
            return self._load(self.explicit)
        found = self._find(path.parent.resolve() if path.parent != Path("") else Path.cwd())
        if found is None:
            found = self._find(Path.cwd())
        return self._load(found) if found is not None else None

    def _find(self, folder: Path) -> Path | None:
        if folder in self._by_dir:
            return self._by_dir[folder]
        candidate = folder / VOCAB_FILE
        if candidate.is_file():
            result: Path | None = candidate
        elif folder.parent == folder:
            result = None
        else:
            result = self._find(folder.parent)
        self._by_dir[folder] = result
        return result

    def _load(self, path: Path) -> Vocabulary:
        if path not in self._loaded:
            self._loaded[path] = load_vocab(path)
        return self._loaded[path]
