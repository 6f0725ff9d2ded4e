"""Tags without a model: existing tags the text supports, or, with no vocabulary, slugs of keywords.

With a vocabulary: existing tags scored as for drafting's shortlist plus the keywords they match; 3-5
kept, padded from the ranking and the most used tags to the profile's minimum (those padded are
flagged). Without one: English keywords slugified, Chinese keywords through the seed word list
(`关税` -> `tariff`), all flagged `new-tag`.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Callable

from enrich.frontmatter.provenance import Flag
from enrich.profile import Profile
from enrich.text import has_cjk, tag_slug
from enrich.vocab.model import Vocabulary
from enrich.vocab.seeds import SEED_WORDS

TARGET_TAGS = 5


def choose_tags(
    work: str, keywords: list[tuple[str, float]], vocab: Vocabulary | None, profile: Profile, flags: list[Flag]
) -> list[str]:
    """The tags of an offline draft, within the profile's pattern and item limits."""
    spec = profile.fields["tags"]
    pattern = spec.compiled_pattern()
    low = spec.min_items or 0
    high = spec.max_items or TARGET_TAGS
    want = max(low, min(TARGET_TAGS, high))

    def ok(tag: str) -> bool:
        return pattern is None or bool(pattern.match(tag))

    if vocab is not None:
        chosen = _existing_tags(work, keywords, vocab, want, low, ok, flags)
    else:
        chosen = _new_tags(keywords, want, low, ok, flags)
    return chosen[:high] if high else chosen


def _existing_tags(
    work: str,
    keywords: list[tuple[str, float]],
    vocab: Vocabulary,
    want: int,
    low: int,
    ok: Callable[[str], bool],
    flags: list[Flag],
) -> list[str]:
    scores = defaultdict(float, vocab.score_tags(work))
    top = keywords[0][1] if keywords else 1.0
    for word, weight in keywords[:30]:
        tag = vocab.canonical_tag(word if has_cjk(word) else tag_slug(word))
        if tag is not None:
            scores[tag] += 2.0 * weight / top
    ranked = sorted((t for t in scores if ok(t)), key=lambda t: (-scores[t], -vocab.tags.get(t, 0), t))
    chosen = [t for t in ranked if scores[t] >= 1.5][:want]
    if len(chosen) < low:
        for tag in ranked + vocab.popular_tags(50):
            if len(chosen) >= low:
                break
            if tag not in chosen and ok(tag):
                chosen.append(tag)
                flags.append(Flag("offline", "tags", f"{tag!r} added to reach {low} tags: weak evidence", tag))
    return chosen


def _new_tags(keywords: list[tuple[str, float]], want: int, low: int, ok: Callable[[str], bool], flags: list[Flag]) -> list[str]:
    chosen: list[str] = []
    english = seed_english()
    for word, _ in keywords:
        # without a vocabulary, a Chinese keyword becomes a tag only through the seed word list
        tag = english.get(word, "") if has_cjk(word) else tag_slug(word)
        if tag and ok(tag) and tag not in chosen and not tag.isdigit():
            chosen.append(tag)
            flags.append(Flag("new-tag", "tags", f"{tag!r}: no site vocabulary to check it against", tag))
        if len(chosen) >= want:
            break
    for filler in ("notes", "transcript", "draft"):
        if len(chosen) >= low:
            break
        if filler not in chosen:
            chosen.append(filler)
            flags.append(Flag("new-tag", "tags", f"{filler!r}: placeholder, replace it", filler))
    return chosen


@functools.lru_cache(maxsize=1)
def seed_english() -> dict[str, str]:
    """Chinese word -> English tag word, from the seed list (first English word wins)."""
    out: dict[str, str] = {}
    for word, zhs in SEED_WORDS.items():
        for zh in zhs.split():
            if has_cjk(zh):
                out.setdefault(zh, word)
    return out
