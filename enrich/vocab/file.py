"""The one parser and dumper of `.enrich/vocab.yaml`, and the one finder of that file.

Drafting (`load_vocabulary`), `enrich check` and `enrich fix` (`enrich.vocab.index.load_index`) read
the file through `vocabulary_from_data`, so they accept and refuse the same files:

- `version: 1` is required; a file without it (an empty file too) is refused, as is any other version;
- counts are whole numbers, also when written as strings (`"3"` is 3); anything else counts 0;
- `tags`, `areas`, `categories`, each entity kind, `tag_aliases`, `words` and `tag_context` must be
  mappings and `merges` a list (a ConfigError names the key otherwise);
- aliases are a list of strings (a single string is split at commas, for hand-written files).

`dump_vocabulary` writes one entry per line, sorted by count then name, so a rebuild's diff shows what
changed; reading what it wrote gives the same vocabulary back.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml

from enrich.errors import ConfigError
from enrich.vocab.model import ENTITY_KINDS, Entity, Merge, Vocabulary

VERSION = 1
VOCAB_DIR = ".enrich"
VOCAB_NAME = "vocab.yaml"
VOCAB_FILE = Path(VOCAB_DIR) / VOCAB_NAME
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_WHOLE = re.compile(r"^\s*\+?\d+\s*$")
_LIST_SPLIT = re.compile(r"[,，、]")


# ---------------------------------------------------------------- finding and loading


def find_vocab_file(start: Path, memo: dict[Path, Path | None] | None = None) -> Path | None:
    """The nearest `.enrich/vocab.yaml` at or above `start` (a folder, or a file's folder).

    `memo` (folder -> answer) spares the walk when many files share folders, as in `enrich check`.
    """
    memo = {} if memo is None else memo
    here = start.resolve()
    if here in memo:
        return memo[here]
    if here.is_file():
        here = here.parent
    walked: list[Path] = []
    result: Path | None = None
    for folder in (here, *here.parents):
        if folder in memo:
            result = memo[folder]
            break
        walked.append(folder)
        candidate = folder / VOCAB_FILE
        if candidate.is_file():
            result = candidate
            break
    for folder in walked:
        memo[folder] = result
    return result


def load_vocabulary(start: Path, vocab_file: Path | None = None) -> Vocabulary | None:
    """The vocabulary at `vocab_file`, or the nearest `.enrich/vocab.yaml` at or above `start`; None if absent."""
    path = vocab_file if vocab_file is not None else find_vocab_file(start)
    if path is None or not path.is_file():
        if vocab_file is not None:
            raise ConfigError("vocabulary file not found", path=str(vocab_file))
        return None
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read the vocabulary: {exc.strerror or exc}", path=str(path)) from None
    vocab = vocabulary_from_bytes(raw, str(path))
    vocab.path = path
    return vocab


def vocabulary_from_bytes(raw: bytes, where: str) -> Vocabulary:
    """The vocabulary in a file's bytes, with its fingerprint; ConfigError when it cannot be used."""
    import hashlib  # not at import time: check's start-up path imports this module

    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"the vocabulary is not UTF-8 text: {exc}", path=where) from None
    try:
        data = yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        raise ConfigError(f"invalid vocabulary YAML: {str(exc).splitlines()[0]}", path=where) from None
    vocab = vocabulary_from_data(data, where)
    vocab.fingerprint = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return vocab


# ---------------------------------------------------------------- parsing


def count_of(value: Any) -> int:
    """A count as the file may write it: 3, "3", 3.0; anything else (a word, a negative, true) is 0."""
    if isinstance(value, bool):
        return 0
    if isinstance(value, int):
        return max(value, 0)
    if isinstance(value, float) and value.is_integer():
        return max(int(value), 0)
    if isinstance(value, str) and _WHOLE.match(value):
        return int(value)
    return 0


def _mapping(data: dict[str, Any], key: str, where: str, what: str) -> dict[Any, Any]:
    value = data.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ConfigError(f"vocabulary: {key} must be a mapping of {what}", path=where)
    return value


def _counts(data: dict[str, Any], key: str, where: str) -> dict[str, int]:
    return {str(k): count_of(v) for k, v in _mapping(data, key, where, "value to count").items()}


def _strings(value: Any) -> list[str]:
    """A list of non-empty strings from a list, or from one string split at commas."""
    if value is None:
        return []
    if isinstance(value, str):
        return [p.strip() for p in _LIST_SPLIT.split(value) if p.strip()]
    if isinstance(value, list):
        return [str(v).strip() for v in value if v is not None and str(v).strip()]
    return [str(value)]


def vocabulary_from_data(data: Any, where: str = "vocabulary") -> Vocabulary:
    """The vocabulary in a parsed file; ConfigError (naming the rule) when the file cannot be used."""
    if data is not None and not isinstance(data, dict):
        raise ConfigError("the vocabulary is not a mapping", path=where)
    data = data or {}
    if "version" not in data:
        raise ConfigError(f"the vocabulary has no version; a vocabulary file starts with `version: {VERSION}`", path=where)
    if data["version"] != VERSION:
        raise ConfigError(f"vocabulary version {data['version']!r} is not supported (expected {VERSION})", path=where)
    entities: dict[str, dict[str, Entity]] = {}
    for kind in ENTITY_KINDS:
        entities[kind] = {}
        for name, item in _mapping(data, kind, where, "canonical name to entry").items():
            item = item if isinstance(item, dict) else {"count": item}
            aliases = [a for a in _strings(item.get("aliases")) if a != str(name)]
            tied = [a for a in _strings(item.get("tied")) if a != str(name)]
            entities[kind][str(name)] = Entity(count_of(item.get("count")), aliases, tied)
    merges_data = data.get("merges") or []
    if not isinstance(merges_data, list):
        raise ConfigError("vocabulary: merges must be a list", path=where)
    merges = [
        Merge(
            str(item.get("kind") or "tags"),
            str(item["from"]),
            str(item["to"]),
            str(item.get("reason") or ""),
            item.get("accepted") is True,
            item.get("rejected") is True,
        )
        for item in merges_data
        if isinstance(item, dict) and item.get("from") and item.get("to")
    ]
    context: dict[str, dict[str, dict[str, int]]] = {}
    for tag, ctx in _mapping(data, "tag_context", where, "tag to areas and categories").items():
        if isinstance(ctx, dict):
            context[str(tag)] = {"areas": _counts(ctx, "areas", where), "categories": _counts(ctx, "categories", where)}
    return Vocabulary(
        tags=_counts(data, "tags", where),
        areas=_counts(data, "areas", where),
        categories=_counts(data, "categories", where),
        entities=entities,
        merges=merges,
        tag_aliases={str(k): _strings(v) for k, v in _mapping(data, "tag_aliases", where, "tag to words").items()},
        words={str(k): _strings(v) for k, v in _mapping(data, "words", where, "word to words").items()},
        tag_context=context,
        posts=count_of(data.get("posts")),
        skipped=count_of(data.get("skipped")),
        source=str(data.get("source") or ""),
    )


# ---------------------------------------------------------------- writing


_RESOLVER = yaml.resolver.Resolver()
_PLAIN = re.compile(r"^[^\s\-?:,\[\]{}#&*!|>'\"%@`][^,\[\]{}#:]*$")


def _y(value: str) -> str:
    """A YAML scalar for a flow context: plain when safe, else double-quoted."""
    if (
        value
        and _PLAIN.match(value)
        and not value.endswith(" ")
        and " #" not in value
        and _RESOLVER.resolve(yaml.ScalarNode, value, (True, False)) == "tag:yaml.org,2002:str"  # type: ignore[no-untyped-call]
    ):
        return value
    return json.dumps(value, ensure_ascii=False)


def _flow_list(values: list[str]) -> str:
    return "[" + ", ".join(_y(v) for v in values) + "]"


def _by_count(table: dict[str, int]) -> list[tuple[str, int]]:
    return sorted(table.items(), key=lambda kv: (-kv[1], kv[0]))


def _counts_block(name: str, table: dict[str, int]) -> list[str]:
    if not table:
        return [f"{name}: {{}}"]
    return [f"{name}:"] + [f"  {_y(k)}: {v}" for k, v in _by_count(table)]


def dump_vocabulary(vocab: Vocabulary) -> str:
    """The file text: one entry per line, sorted by count then name, so diffs show what changed."""
    lines = [
        "# The site vocabulary, built by `enrich vocab build` from the posts themselves. Edit only the",
        "# merges' `accepted: false` -> `true` (or `rejected: true`); the rest is regenerated.",
        f"version: {VERSION}",
        f"source: {_y(vocab.source)}" if vocab.source else "source: ''",
        f"posts: {vocab.posts}",
        f"skipped: {vocab.skipped}",
    ]
    lines += _counts_block("tags", vocab.tags)
    lines += _counts_block("areas", vocab.areas)
    lines += _counts_block("categories", vocab.categories)
    for kind in ENTITY_KINDS:
        table = vocab.entities.get(kind, {})
        if not table:
            lines.append(f"{kind}: {{}}")
            continue
        lines.append(f"{kind}:")
        for name, ent in sorted(table.items(), key=lambda kv: (-kv[1].count, kv[0])):
            tied = f", tied: {_flow_list(ent.tied)}" if ent.tied else ""
            lines.append(f"  {_y(name)}: {{count: {ent.count}, aliases: {_flow_list(ent.aliases)}{tied}}}")
    if vocab.merges:
        lines.append("merges:")
        for m in vocab.merges:
            extra = ", rejected: true" if m.rejected else ""
            lines.append(
                f"  - {{from: {_y(m.source)}, to: {_y(m.target)}, kind: {m.kind}, reason: {_y(m.reason)}, "
                f"accepted: {'true' if m.accepted else 'false'}{extra}}}"
            )
    else:
        lines.append("merges: []")
    lines.append("# tag -> other words for it, learned from glossed terms in post bodies")
    lines.append("tag_aliases:" if vocab.tag_aliases else "tag_aliases: {}")
    for tag in sorted(vocab.tag_aliases):
        lines.append(f"  {_y(tag)}: {_flow_list(vocab.tag_aliases[tag])}")
    lines.append("# English word of a tag -> Chinese words glossed with it")
    lines.append("words:" if vocab.words else "words: {}")
    for word in sorted(vocab.words):
        lines.append(f"  {_y(word)}: {_flow_list(vocab.words[word])}")
    lines.append("# tag -> areas and categories of the posts that use it")
    lines.append("tag_context:" if vocab.tag_context else "tag_context: {}")
    for tag in sorted(vocab.tag_context):
        ctx = vocab.tag_context[tag]
        areas = ", ".join(f"{_y(k)}: {v}" for k, v in _by_count(ctx.get("areas", {})))
        cats = ", ".join(f"{_y(k)}: {v}" for k, v in _by_count(ctx.get("categories", {})))
        lines.append(f"  {_y(tag)}: {{areas: {{{areas}}}, categories: {{{cats}}}}}")
    return "\n".join(lines) + "\n"
