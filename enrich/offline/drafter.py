"""`draft_offline`: every model field of the profile drafted from the text alone.

Chinese is converted to Simplified (OpenCC) when the profile's language is `zh-Hans`, then analysed
with jieba; English names come from capitalised spans. Names resolve through the vocabulary to their
canonical form; what stays unresolved keeps the transcript's own script and is flagged. Tags are
existing tags the text supports; area and category follow what posts with those tags used.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from enrich.frontmatter.provenance import Flag
from enrich.offline.gazetteer import choose_names, find_names, is_chinese, min_mentions
from enrich.offline.keywords import en_keywords, zh_analyse
from enrich.offline.summary import find_speaker, make_summary, make_title, prepare_text, rank_sentences, split_sentences
from enrich.offline.tags import choose_tags
from enrich.profile import Profile
from enrich.script import expected_script
from enrich.text import to_simplified
from enrich.vocab.model import ENTITY_KINDS, Vocabulary
from enrich.vocab.score import sample_text

MAX_ANALYSED_CHARS = 200_000


@dataclass
class OfflineDraft:
    """The fields a model would have drafted, with flags for the reviewer and the words names came from."""

    values: dict[str, Any]
    flags: list[Flag] = field(default_factory=list)
    mentions: dict[str, dict[str, list[str]]] = field(default_factory=dict)  # field -> canonical -> words


def _wants_simplified(profile: Profile) -> bool:
    return expected_script(profile.language) == "zh-Hans"


def analysed_text(raw: str, profile: Profile) -> tuple[str, bool]:
    """The part of a text that is analysed (its start, middle and end when long), in the site's Chinese
    script, and whether it is Chinese: what names and tags are looked for in."""
    work = sample_text(raw, MAX_ANALYSED_CHARS)
    chinese = is_chinese(work)
    return (to_simplified(work) if chinese and _wants_simplified(profile) else work), chinese


def draft_offline(text: str, *, profile: Profile, vocab: Vocabulary | None, title_hint: str | None = None) -> OfflineDraft:
    """Draft every model field from the text alone, each flagged "offline" for the reviewer."""
    raw = prepare_text(text)
    work, chinese = analysed_text(raw, profile)
    flags: list[Flag] = []
    mentions: dict[str, dict[str, list[str]]] = {}
    values: dict[str, Any] = {}
    wanted = [f.name for f in profile.model_fields()]
    if chinese:
        keywords, persons, orgs = zh_analyse(work)
    else:
        keywords, persons, orgs = en_keywords(work), Counter(), Counter()

    found, unresolved = find_names(work, chinese, vocab, persons, orgs)
    min_count = min_mentions(work)
    for kind in ENTITY_KINDS:
        if kind in wanted:
            values[kind], mentions[kind] = choose_names(
                kind, found, unresolved.get(kind, Counter()), len(work) > 8000, min_count, flags
            )

    if "tags" in wanted and profile.fields.get("tags") is not None:
        values["tags"] = choose_tags(work, keywords, vocab, profile, flags)
    _area_category(values, wanted, vocab, profile)

    sentences = split_sentences(work, chinese)
    ranked = rank_sentences(sentences, keywords, chinese)
    if "summary" in wanted:
        spec = profile.fields["summary"]
        values["summary"] = make_summary(sentences, ranked, spec.max_length or 400, spec.min_length or 0, chinese, work)
    if "title" in wanted:
        spec = profile.fields["title"]
        best = [sentences[i] for _, i in ranked[:3]] + sentences[:3]
        simplify = chinese and _wants_simplified(profile)
        values["title"] = make_title(title_hint, raw, best, spec.max_length or 80, spec.min_length or 0, simplify)
    if "speaker" in wanted:
        values["speaker"] = find_speaker(work)

    for name in wanted:
        if name not in values:
            values[name] = profile.fields[name].initial()
        flags.append(Flag("offline", name, "drafted offline (no model): check it"))
    return OfflineDraft(values={k: values[k] for k in wanted}, flags=flags, mentions=mentions)


def _area_category(values: dict[str, Any], wanted: list[str], vocab: Vocabulary | None, profile: Profile) -> None:
    """Area and category as posts with the chosen tags have them (within the enums), else a default."""
    for name in ("area", "category"):
        spec = profile.fields.get(name)
        if name not in wanted or spec is None:
            continue
        if vocab is not None:
            area, category = vocab.guess_area_category(
                values.get("tags", []),
                profile.fields["area"].enum if "area" in profile.fields else None,
                profile.fields["category"].enum if "category" in profile.fields else None,
            )
            values[name] = area if name == "area" else category
        else:
            values[name] = "general" if spec.enum and "general" in spec.enum else (spec.enum[0] if spec.enum else "")
