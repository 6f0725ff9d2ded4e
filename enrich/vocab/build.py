"""`enrich vocab build`: read every post of a content folder and aggregate them into the vocabulary.

Names are grouped by name key and joined to the English names their glosses give; tag aliases and
word translations come from glosses too; merges are suggested by `enrich.vocab.suggest`. A JSON state
file beside the vocabulary (`.enrich/vocab-state.json`, a cache safe to delete) keeps what was
extracted from each post, so a rebuild only re-reads posts whose size or mtime changed.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from enrich.errors import ConfigError, InputError
from enrich.fsutil import atomic_write
from enrich.text import name_key, singular, tag_slug, to_simplified, twin_key, twin_words
from enrich.vocab.file import VOCAB_FILE, dump_vocabulary, load_vocabulary
from enrich.vocab.model import ENTITY_KINDS, MAX_TAG_ALIASES, Vocabulary
from enrich.vocab.names import group_names
from enrich.vocab.posts import PostRecord, read_post
from enrich.vocab.seeds import SEED_WORDS
from enrich.vocab.suggest import find_acronyms, keep_decisions, suggest_merges

STATE_VERSION = 1
STATE_NAME = "vocab-state.json"
MAX_POST_EXAMPLES = 5
_CJK_RUN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")


@dataclass
class FileState:
    mtime_ns: int
    size: int
    sha: str
    record: PostRecord | None  # None: the post was bad
    error: str = ""


@dataclass
class BuildResult:
    vocab: Vocabulary
    out: Path
    state: Path
    posts: int
    read: int  # files actually (re-)read this run
    reused: int
    skipped: list[str]  # one line per bad post
    merges: int


# ---------------------------------------------------------------- the state file


def _load_state(path: Path, content_dir: Path) -> dict[str, FileState]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("version") != STATE_VERSION or data.get("content") != str(content_dir):
        return {}
    out: dict[str, FileState] = {}
    for rel, item in data.get("files", {}).items():
        try:
            rec = item.get("record")
            out[rel] = FileState(
                int(item["mtime_ns"]),
                int(item["size"]),
                str(item["sha"]),
                PostRecord(**rec) if isinstance(rec, dict) else None,
                str(item.get("error", "")),
            )
        except (KeyError, TypeError, ValueError):
            continue
    return out


def _dump_state(states: dict[str, FileState], content_dir: Path) -> str:
    files = {}
    for rel in sorted(states):
        st = states[rel]
        item: dict[str, Any] = {"mtime_ns": st.mtime_ns, "size": st.size, "sha": st.sha}
        if st.record is not None:
            item["record"] = st.record.__dict__
        else:
            item["error"] = st.error
        files[rel] = item
    return json.dumps(
        {"version": STATE_VERSION, "content": str(content_dir), "files": files}, ensure_ascii=False, separators=(",", ":")
    )


def posts_using(vocab: Vocabulary, entry: dict[str, Any], limit: int = MAX_POST_EXAMPLES) -> tuple[list[str], int] | None:
    """A few posts (relative paths) that use an entry of `Vocabulary.explain`; None without a state file."""
    if vocab.path is None:
        return None
    try:
        data = json.loads(vocab.path.with_name(STATE_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    kind, name = entry["kind"], entry["name"]
    forms = {name_key(name)} | {name_key(a) for a in entry.get("aliases", [])}
    hits: list[str] = []
    for rel, item in sorted(data.get("files", {}).items()):
        rec = item.get("record")
        if not isinstance(rec, dict):
            continue
        if kind == "tags":
            used = name in rec.get("tags", [])
        elif kind in ("area", "category"):
            used = rec.get(kind) == name
        else:
            used = any(name_key(n) in forms for n in rec.get("names", {}).get(kind, []))
        if used:
            hits.append(rel)
    return hits[:limit], len(hits)


# ---------------------------------------------------------------- building


def _iter_posts(content_dir: Path) -> Iterator[Path]:
    for path in sorted(content_dir.rglob("*")):
        if (
            path.suffix.lower() in (".md", ".markdown")
            and path.is_file()
            and not any(part.startswith(".") for part in path.relative_to(content_dir).parts)
        ):
            yield path


def _read_changed(content_dir: Path, old_states: dict[str, FileState]) -> tuple[dict[str, FileState], int, int]:
    """The state of every post, re-reading only what changed: (states, posts read, posts reused)."""
    states: dict[str, FileState] = {}
    read = reused = 0
    for path in _iter_posts(content_dir):
        rel = path.relative_to(content_dir).as_posix()
        try:
            st = path.stat()
        except OSError:
            continue
        old = old_states.get(rel)
        if old is not None and old.mtime_ns == st.st_mtime_ns and old.size == st.st_size:
            states[rel] = old
            reused += 1
            continue
        try:
            raw = path.read_bytes()
        except OSError as exc:
            states[rel] = FileState(st.st_mtime_ns, st.st_size, "", None, f"cannot read: {exc}")
            continue
        sha = hashlib.sha256(raw).hexdigest()
        if old is not None and old.sha == sha:  # touched, not changed
            states[rel] = FileState(st.st_mtime_ns, st.st_size, sha, old.record, old.error)
            reused += 1
            continue
        read += 1
        try:
            record: PostRecord | None = read_post(path)
            error = ""
        except InputError as exc:
            record, error = None, exc.message
        states[rel] = FileState(st.st_mtime_ns, st.st_size, sha, record, error)
    return states, read, reused


def build_vocabulary(content_dir: Path, out: Path | None = None, prefer: str | None = None) -> BuildResult:
    """Read (or re-read what changed among) the posts of `content_dir` and write the vocabulary file."""
    content_dir = content_dir.resolve()
    if not content_dir.is_dir():
        raise InputError("not a folder", path=str(content_dir))
    out = out if out is not None else Path.cwd() / VOCAB_FILE
    state_path = out.with_name(STATE_NAME)
    states, read, reused = _read_changed(content_dir, _load_state(state_path, content_dir))
    previous: Vocabulary | None = None
    if out.is_file():
        try:
            previous = load_vocabulary(out.parent, out)
        except ConfigError:
            previous = None
    records = [s.record for s in states.values() if s.record is not None]
    vocab = aggregate(records, previous, prefer)
    vocab.posts = len(records)
    vocab.skipped = len(states) - len(records)
    try:
        vocab.source = os.path.relpath(content_dir, out.parent.parent)
    except ValueError:
        vocab.source = str(content_dir)
    atomic_write(out, dump_vocabulary(vocab))
    atomic_write(state_path, _dump_state(states, content_dir))
    vocab.path = out
    skipped = [f"{rel}: {s.error}" for rel, s in sorted(states.items()) if s.record is None]
    return BuildResult(vocab, out, state_path, len(states), read, reused, skipped, len(vocab.merges))


# ---------------------------------------------------------------- aggregating


def aggregate(records: list[PostRecord], previous: Vocabulary | None = None, prefer: str | None = None) -> Vocabulary:
    """Counts, canonical names with aliases, glossary-derived tag aliases, merges (keeping accepted flags).

    `prefer` ("en", "zh" or None) is the language canonical names are written in when the site writes
    both (see `enrich.vocab.names`); by default the form written in most posts.
    """
    tags: Counter[str] = Counter()
    areas: Counter[str] = Counter()
    categories: Counter[str] = Counter()
    forms: dict[str, Counter[str]] = {k: Counter() for k in ENTITY_KINDS}
    zh_to_en: dict[str, Counter[str]] = defaultdict(Counter)  # name key of Chinese -> English forms
    en_to_zh: dict[str, Counter[str]] = defaultdict(Counter)  # name key of English -> Chinese forms
    context: dict[str, dict[str, Counter[str]]] = defaultdict(lambda: {"areas": Counter(), "categories": Counter()})
    for rec in records:
        post_tags = list(dict.fromkeys(rec.tags))
        tags.update(post_tags)
        if rec.area:
            areas[rec.area] += 1
        if rec.category:
            categories[rec.category] += 1
        for tag in post_tags:
            if rec.area:
                context[tag]["areas"][rec.area] += 1
            if rec.category:
                context[tag]["categories"][rec.category] += 1
        for kind, names in rec.names.items():
            forms[kind].update(dict.fromkeys(names, 1))
        for zh, *ens in rec.glosses:
            for en in ens:
                zh_to_en[name_key(zh)][en] += 1
                en_to_zh[name_key(en)][zh] += 1
    tag_aliases, words = _tag_glosses(records, tags)
    vocab = Vocabulary(
        tags=dict(tags),
        areas=dict(areas),
        categories=dict(categories),
        entities={kind: group_names(forms[kind], zh_to_en, en_to_zh, prefer) for kind in ENTITY_KINDS},
        tag_aliases=tag_aliases,
        words=words,
        tag_context={t: {"areas": dict(c["areas"]), "categories": dict(c["categories"])} for t, c in context.items()},
    )
    vocab.merges = keep_decisions(suggest_merges(vocab, find_acronyms(records)), previous)
    return vocab


def _tag_glosses(records: list[PostRecord], tags: Counter[str]) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """Tag aliases and word translations from glosses whose English is an existing tag (or one of its words)."""
    twin_to_tag: dict[str, str] = {}
    for tag, _ in sorted(tags.items(), key=lambda kv: (-kv[1], kv[0])):
        twin_to_tag.setdefault(twin_key(tag), tag)
    tag_words = {singular(w) for t in tags for w in tag_slug(t).split("-") if len(w) >= 3}
    alias_votes: dict[str, Counter[str]] = defaultdict(Counter)
    word_votes: dict[str, Counter[str]] = defaultdict(Counter)
    for rec in records:
        for zh, *ens in rec.glosses:
            zh_s = to_simplified(zh)
            if not 2 <= len(zh_s) <= 8 or not _CJK_RUN.fullmatch(zh_s):
                continue
            for en in ens:
                twin = twin_key(en)
                if twin in twin_to_tag:
                    alias_votes[twin_to_tag[twin]][zh_s] += 1
                gloss_words = twin_words(en)
                if len(gloss_words) == 1 and gloss_words[0] in tag_words:
                    word_votes[gloss_words[0]][zh_s] += 1
    tag_aliases = {t: [a for a, _ in c.most_common(MAX_TAG_ALIASES)] for t, c in alias_votes.items()}
    words = {w: [a for a, n in c.most_common(3) if n >= 1] for w, c in word_votes.items()}
    for word, zhs in SEED_WORDS.items():
        if word in tag_words:
            words[word] = list(dict.fromkeys(zhs.split() + words.get(word, [])))[:5]
    return tag_aliases, words
