"""Grounding: the names of a model's draft checked against the transcript, and the site's names it mentions.

A drafted name counts when its quoted words, the name itself or one of its vocabulary aliases appear
in the transcript, or when the site's certain spelling of it does (台積電 drafted, 台积电 in the text).
What is still not found is left out (profile `names.ungrounded = "drop"`, flagged `dropped` so the
reviewer sees what went) or kept and flagged `ungrounded` ("keep"). With a vocabulary, places the
site does not file as names are left out, and the site's own names that the transcript mentions as
often as offline drafting asks are added, flagged `vocab-found` (`names.from_vocabulary`): measured
on the corpus, a small model lists places and generic nouns as people, writes the site's English
names in Chinese (dropped when the transcript is English: the site's name is then added) and misses
most of the names the site uses.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from enrich.frontmatter.provenance import NOT_MENTIONED, Flag
from enrich.text import fold
from enrich.vocab.model import ENTITY_KINDS

if TYPE_CHECKING:
    from enrich.draft.prepare import Prepared
    from enrich.profile import Profile
    from enrich.vocab.model import Vocabulary

MENTIONS = "_mentions:"  # answer values keep each entity's quoted words under this prefix until grounded


def _found(folded: str, *candidates: str | None) -> bool:
    return any(c and (f := fold(c)) and f in folded for c in candidates)


def ground(
    values: dict[str, Any], folded: str, vocab: Vocabulary | None = None, *, drop: bool = True
) -> tuple[dict[str, Any], list[Flag]]:
    """The values without their mentions and without the names no words of the transcript support
    (kept when `drop` is false), with a flag for each name changed, left out or kept unsupported."""
    out: dict[str, Any] = {}
    flags: list[Flag] = []
    for key, value in values.items():
        if key.startswith(MENTIONS):
            continue
        mentions = values.get(f"{MENTIONS}{key}")
        if mentions is None:
            out[key] = value
            continue
        kept: list[str] = []
        for name, mention in zip(value, mentions, strict=True):
            if _found(folded, mention, name, *(vocab.aliases(key, name) if vocab is not None else [])):
                kept.append(name)
                continue
            known = vocab.find_name(name, prefer=key) if vocab is not None else None
            if vocab is not None and known is not None and _found(folded, known[1], *vocab.aliases(*known)):
                said = f"{name!r} -> {known[1]!r}: the site's name for it, which the transcript mentions"
                flags.append(Flag("vocab-mapped", key, said, known[1]))
                kept.append(known[1])
                continue
            quoted = f" (quoted as {mention!r})" if mention else ""
            if drop:
                flags.append(Flag("dropped", key, f"{name!r} left out: {NOT_MENTIONED}{quoted}", name))
            else:
                flags.append(Flag("ungrounded", key, f"{name!r} is {NOT_MENTIONED}{quoted}", name))
                kept.append(name)
        out[key] = kept
    return out, flags


def names_mentioned(prepared: Prepared, vocab: Vocabulary, profile: Profile) -> dict[str, dict[str, list[str]]]:
    """The site's names the transcript mentions often enough, per entity kind asked, best first, each
    with the words found; looked for once per file (the prompt names them, then drafting adds them)."""
    from enrich.offline.drafter import analysed_text
    from enrich.offline.gazetteer import vocabulary_names
    from enrich.offline.summary import prepare_text

    if prepared.site_names is None:
        kinds = [f.name for f in prepared.ask if f.name in ENTITY_KINDS]
        work, _ = analysed_text(prepare_text(prepared.cleaned.text), profile) if kinds else ("", False)
        prepared.site_names = vocabulary_names(work, vocab, kinds) if kinds else {}
    return prepared.site_names


def use_site_names(
    values: dict[str, Any], found: dict[str, dict[str, list[str]]], vocab: Vocabulary, profile: Profile
) -> list[Flag]:
    """The drafted name lists in the site's terms (in place), a flag for each change: a place the site
    does not file under that kind is left out (伊朗 among people); the site's names the transcript
    mentions (`found`, see names_mentioned) that the draft lacks under any spelling (川普 drafted is
    Donald Trump found) are added within the field's item limit. A drafted alias stays as written:
    only certain mappings are applied (`enrich.vocab.apply`); `enrich check` suggests the site's name."""
    from enrich.offline.gazetteer import gazetteer

    kinds = [k for k in ENTITY_KINDS if isinstance(values.get(k), list)]
    gaz = gazetteer(vocab)
    flags: list[Flag] = []
    taken = set()
    for kind in kinds:
        names: list[str] = []
        for name in values[kind]:
            if gaz.is_place(name) and gaz.lookup(name) is None and vocab.canonical_name(kind, name) is None:
                said = f"{name!r} left out: a place, which this site does not list under {kind}"
                flags.append(Flag("dropped", kind, said, name))
                continue
            if name.casefold() not in (n.casefold() for n in names):
                names.append(name)
            known = vocab.find_name(name, prefer=kind)
            taken.update({name.casefold(), (known[1] if known else name).casefold()})
        values[kind] = names
    for kind in kinds:
        spec = profile.fields.get(kind)
        room = spec.max_items if spec is not None and spec.max_items else None
        for canonical, words in found.get(kind, {}).items():
            if any(w.casefold() in taken for w in (canonical, *words)) or (room is not None and len(values[kind]) >= room):
                continue  # drafted already, maybe as the very words found (川普 for Donald Trump)
            values[kind] = [*values[kind], canonical]
            taken.add(canonical.casefold())
            said = f"{canonical!r} added: a name of the site's vocabulary, mentioned in the transcript as {words[0]!r}"
            flags.append(Flag("vocab-found", kind, said, canonical))
    return flags
