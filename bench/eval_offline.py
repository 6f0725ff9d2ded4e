"""Offline drafting measured against what a person approved: the floor a model must beat.

For each of the 300 raw transcripts in ../shared/corpus/raw, draft offline and compare with the post of
the same id. The vocabulary is built from the 700 posts that are NOT among the 300 pairs, so no
approved answer leaks into it. Names are compared after canonical-name matching: both sides go
through the vocabulary's aliases, then compare case- and spacing-insensitively.

    python bench/eval_offline.py [--limit N] [--shared PATH]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from enrich.offline import draft_offline, warm_up
from enrich.profile import load_profile
from enrich.text import name_key, twin_key
from enrich.validate import validate_front_matter
from enrich.vocab.build import build_vocabulary
from enrich.vocab.model import Vocabulary
from enrich.vocab.posts import PostRecord, read_post

ROOT = Path(__file__).resolve().parent.parent

KINDS = ("people", "companies_orgs", "products_models")


def _clean(text: str) -> str:
    try:
        from enrich.ingest.clean import clean_text
    except ImportError:
        return text
    try:
        return str(clean_text(text).text)
    except Exception:  # the cleaner is someone else's work in progress: measure on raw text then
        return text


def _canon(vocab: Vocabulary, kind: str, name: str) -> str:
    found = vocab.canonical_name(kind, name)
    if found is None:
        hit = vocab.find_name(name, prefer=kind)
        found = hit[1] if hit else name
    return name_key(found)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    parser.add_argument("--limit", type=int, default=0)
    args = parser.parse_args()
    corpus = args.shared / "corpus"
    if not (corpus / "raw").is_dir():
        print(f"skipped: {corpus} is absent")
        return 0
    raws = sorted((corpus / "raw").glob("*.txt"))
    pair_ids = {p.stem for p in raws}
    with tempfile.TemporaryDirectory() as tmp:
        posts = Path(tmp) / "posts"
        posts.mkdir()
        for post in (corpus / "posts").glob("*.md"):
            if post.stem not in pair_ids:
                (posts / post.name).symlink_to(post)
        t0 = time.perf_counter()
        result = build_vocabulary(posts, Path(tmp) / ".enrich" / "vocab.yaml")
        build_s = time.perf_counter() - t0
        vocab = result.vocab
    profile = load_profile(ROOT)
    warm_up()
    if args.limit:
        raws = raws[: args.limit]
    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    tags_total = tags_existing = tags_matching = 0
    area_ok = cat_ok = invalid = 0
    approved_tags_existing = approved_tags_total = 0
    seconds = 0.0
    for raw in raws:
        try:
            approved: PostRecord = read_post(corpus / "posts" / f"{raw.stem}.md")
        except Exception as exc:  # a bad pair is reported, not fatal
            print(f"skipped pair {raw.stem}: {exc}", file=sys.stderr)
            continue
        text = _clean(raw.read_text(encoding="utf-8", errors="replace"))
        t0 = time.perf_counter()
        draft = draft_offline(text, profile=profile, vocab=vocab)
        seconds += time.perf_counter() - t0
        values: dict[str, Any] = draft.values
        if validate_front_matter(values, profile, only=set(values)):
            invalid += 1
        for kind in KINDS:
            got = {_canon(vocab, kind, n) for n in values.get(kind, [])}
            want = {_canon(vocab, kind, n) for n in approved.names.get(kind, [])}
            tp[kind] += len(got & want)
            fp[kind] += len(got - want)
            fn[kind] += len(want - got)
        want_tags = {twin_key(t) for t in approved.tags}
        for tag in values.get("tags", []):
            tags_total += 1
            tags_existing += tag in vocab.tags
            tags_matching += twin_key(tag) in want_tags
        approved_tags_total += len(approved.tags)
        approved_tags_existing += sum(1 for t in approved.tags if t in vocab.tags)
        area_ok += values.get("area") == approved.area
        cat_ok += values.get("category") == approved.category
    n = len(raws)

    def pct(a: int, b: int) -> str:
        return f"{100 * a / b:.1f}%" if b else "n/a"

    print(
        f"Offline drafting on {n} pairs; vocabulary from the {result.posts} posts not among the pairs "
        f"(built in {build_s:.1f} s); drafting {seconds / max(1, n) * 1000:.0f} ms per transcript on average.\n"
    )
    print("| field | precision | recall | drafted | approved |")
    print("|---|---|---|---|---|")
    for kind in KINDS:
        print(
            f"| {kind} | {pct(tp[kind], tp[kind] + fp[kind])} | {pct(tp[kind], tp[kind] + fn[kind])} "
            f"| {tp[kind] + fp[kind]} | {tp[kind] + fn[kind]} |"
        )
    print()
    print("| measure | value |")
    print("|---|---|")
    print(f"| drafted tags that are existing tags | {pct(tags_existing, tags_total)} ({tags_total} tags) |")
    print(f"| drafted tags that match the approved post's tags | {pct(tags_matching, tags_total)} |")
    print(f"| (approved tags that are existing tags, for scale) | {pct(approved_tags_existing, approved_tags_total)} |")
    print(f"| area equal to the approved one | {pct(area_ok, n)} |")
    print(f"| category equal to the approved one | {pct(cat_ok, n)} |")
    print(f"| drafts failing validation | {invalid} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
