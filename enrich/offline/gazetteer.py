"""Names in a text without a model: every name and alias of the vocabulary, looked for in the text.

Each hit resolves to its canonical name through the vocabulary (`mentions` keeps the words found).
Aliases that are ordinary words (jieba tags them as verbs, places, short common nouns), places, and
concepts the site uses as tags (AI, LLM) are ignored. English candidates come from capitalised spans;
unresolved candidates are kept, in the transcript's script, only when frequent, and flagged.
"""

from __future__ import annotations

import re
import threading
from collections import Counter, defaultdict

from enrich.frontmatter.provenance import Flag
from enrich.offline.keywords import is_common_word, word_tags
from enrich.text import has_cjk, name_key, tag_slug
from enrich.vocab.model import ENTITY_KINDS, Vocabulary

MAX_NAMES = 10
MAX_UNRESOLVED = 2  # measured: most unresolved candidates are wrong, so only strong ones are kept
UNRESOLVED_MIN = 5
# Places the site's posts sometimes list as organisations; in running text they are just places.
_PLACES = frozenset(
    name_key(p)
    for p in re.findall(
        r"[^,]+",
        "US,U.S.,USA,United States,America,China,Russia,Ukraine,Iran,Israel,Japan,Canada,India,Qatar,"
        "Taiwan,Europe,UK,Britain,Germany,France,Korea,South Korea,North Korea,Mexico,Brazil,Australia",
    )
)
_CJK_RUN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")
_SPAN = re.compile(r"\b[A-Z][\w&'’.+-]*(?:[ \t]+(?:of|the|de|and|&|van|von|al|bin)?[ \t]*[A-Z][\w&'’.+-]*)*")
# Capitalised words that start sentences or fill speech rather than name anything.
_STOP_CAPS = frozenset(
    re.findall(
        r"\S+",
        """I The A An And But So Or If In On At To Of For It This That We You He She They My Our Your Yes No Okay OK
    Oh Well Now Then What When Where Why How Who There Here Is Are Was Were Do Does Did Thank Thanks Hi Hello Let
    Let's I'm I've It's Because Also Just Right As With From By Like Not Mr Ms Mrs Dr Monday Tuesday Wednesday
    Thursday Friday Saturday Sunday January February March April May June July August September October November
    December Music Applause Laughter English""",
    )
)

Found = dict[tuple[str, str], Counter[str]]  # (kind, canonical) -> words found for it


def _is_concept(vocab: Vocabulary, canonical: str, count: int) -> bool:
    """AI, LLM, GPU: names the site also uses as tags at least as often are concepts, not entities."""
    tag = vocab.canonical_tag(tag_slug(canonical)) if not has_cjk(canonical) else None
    return tag is not None and vocab.tag_count(tag) >= count


class Gazetteer:
    """Every name and alias of the vocabulary, to find them in a text."""

    def __init__(self, vocab: Vocabulary, common: dict[str, str] | None = None) -> None:
        self.index: dict[str, tuple[str, str, int]] = {}  # name key -> (kind, canonical, count)
        common = common or {}
        self.word_tags = common
        for kind in ENTITY_KINDS:
            for canonical, ent in vocab.entities.get(kind, {}).items():
                for name in (canonical, *ent.aliases):
                    key = name_key(name)
                    if len(key) < 2:
                        continue
                    if has_cjk(key) and is_common_word(key, common):
                        continue  # 调整, 美国, 苹果: a gloss made them aliases, but in running text they are words
                    if key in _PLACES or name_key(canonical) in _PLACES or _is_concept(vocab, canonical, ent.count):
                        continue
                    if vocab.index.names[kind].ambiguous.get(key):
                        continue  # an alias of several names: offline drafting never picks one
                    old = self.index.get(key)
                    if old is None or ent.count > old[2]:
                        resolved = vocab.canonical_name(kind, canonical) or canonical
                        self.index[key] = (kind, resolved, ent.count)
        self.cjk_lengths = sorted({len(k) for k in self.index if has_cjk(k)})

    def scan_cjk(self, text: str) -> Found:
        """Every vocabulary name in the Chinese runs of `text`, longest match first."""
        found: Found = defaultdict(Counter)
        for run in _CJK_RUN.findall(text):
            size, start = len(run), 0
            while start < size:
                step = 1
                for length in reversed(self.cjk_lengths):
                    if start + length <= size:
                        piece = run[start : start + length]
                        hit = self.index.get(piece)
                        if hit is not None:
                            found[(hit[0], hit[1])][piece] += 1
                            step = length
                            break
                start += step
        return found

    def is_place(self, name: str) -> bool:
        """A country or region (the list above), or what jieba's dictionary calls a place name (伊朗, 澳洲)."""
        return name_key(name) in _PLACES or self.word_tags.get(name.strip()) == "ns"

    def lookup(self, name: str) -> tuple[str, str] | None:
        hit = self.index.get(name_key(name))
        return (hit[0], hit[1]) if hit else None


_GAZETTEERS: dict[int, tuple[Vocabulary, Gazetteer]] = {}
_BUILDING = threading.Lock()


def gazetteer(vocab: Vocabulary) -> Gazetteer:
    """One gazetteer per vocabulary object (batch drafting reuses it; its workers wait for the one build)."""
    with _BUILDING:
        cached = _GAZETTEERS.get(id(vocab))
        if cached is not None and cached[0] is vocab:
            return cached[1]
        built = Gazetteer(vocab, word_tags())
        _GAZETTEERS.clear()
        _GAZETTEERS[id(vocab)] = (vocab, built)
        return built


def is_chinese(work: str) -> bool:
    """Whether a text is mostly Chinese (its first 20,000 characters decide)."""
    head = work[:20000]
    runs = _CJK_RUN.findall(head)
    return sum(len(r) for r in runs) > 0.2 * max(1, len(head.strip())) or len(runs) > 50


def min_mentions(work: str) -> int:
    """How often a name must occur to be kept: once in a short text, more in long ones (measured on the corpus)."""
    return 1 if len(work) < 8000 else 2 if len(work) < 60000 else 3


def latin_spans(text: str) -> Counter[str]:
    """Capitalised spans (names, titles), bare acronyms and camel-case names, with their counts."""
    spans: Counter[str] = Counter()
    for match in _SPAN.finditer(text):
        for piece in re.split(r"[.!?]\s+", match.group(0)):
            words = piece.split()
            while words and words[0] in _STOP_CAPS:
                words = words[1:]
            while words and words[-1] in _STOP_CAPS:
                words = words[:-1]
            if words:
                spans[" ".join(words).rstrip(".'’")] += 1
    # bare acronyms and camel-case names (NVIDIA, OpenAI, iPhone) inside Chinese text too
    for word in re.findall(r"(?<![A-Za-z])(?:[A-Z]{2,}[A-Za-z0-9]*|[a-z]+[A-Z][A-Za-z0-9]*)(?![A-Za-z])", text):
        spans[word] += 0  # make it known; counted below by the span pass or not at all
        if word not in spans or spans[word] == 0:
            spans[word] = len(re.findall(rf"(?<![A-Za-z]){re.escape(word)}(?![A-Za-z])", text))
    return spans


def _span_hit(gaz: Gazetteer | None, span: str, found: Found, n: int) -> tuple[str, str] | None:
    """The vocabulary name a span is, or contains ("President Donald Trump" -> "Donald Trump")."""
    if gaz is None:
        return None
    hit = gaz.lookup(span)
    if hit is not None:
        found[hit][span] += n
        return hit
    parts = span.split()
    for size in range(len(parts) - 1, 0, -1):
        for i in range(len(parts) - size + 1):
            sub = " ".join(parts[i : i + size])
            if len(sub) > 2 and (hit := gaz.lookup(sub)):
                found[hit][sub] += n
                return hit
    return None


def find_names(
    work: str, chinese: bool, vocab: Vocabulary | None, persons: Counter[str], orgs: Counter[str]
) -> tuple[Found, dict[str, Counter[str]]]:
    """(names found through the vocabulary, unresolved candidates per kind) in the text."""
    found: Found = defaultdict(Counter)
    gaz = gazetteer(vocab) if vocab is not None else None
    if gaz is not None and chinese:
        for key, words in gaz.scan_cjk(work).items():
            found[key].update(words)
    unresolved: dict[str, Counter[str]] = {"people": Counter(), "companies_orgs": Counter()}
    lowered_words = set(re.findall(r"\b[a-z]+\b", work)) if not chinese else set()
    for span, n in latin_spans(work).items():
        common = " " not in span and span.lower() in lowered_words and not span.isupper()  # "Winter", "Right"
        if n == 0 or span in _STOP_CAPS or not span[:1].isupper() or common:
            continue
        parts = span.split()
        capitalised = 2 <= len(parts) <= 3 and all(w[:1].isupper() for w in parts)
        if _span_hit(gaz, span, found, n) is None and not chinese and capitalised:
            unresolved["people"][span] += n
    for kind, candidates in (("people", persons), ("companies_orgs", orgs)):
        for word, n in candidates.items():
            if gaz is None or gaz.lookup(word) is None:
                unresolved[kind][word] += n
    return found, unresolved


def choose_names(
    kind: str, found: Found, unresolved: Counter[str], long_text: bool, min_count: int, flags: list[Flag]
) -> tuple[list[str], dict[str, list[str]]]:
    """The names kept for one field and the words each was found as; strong unresolved ones are flagged."""
    ranked = sorted(((canon, words) for (k, canon), words in found.items() if k == kind), key=lambda cw: -sum(cw[1].values()))
    chosen = [(c, w) for c, w in ranked if sum(w.values()) >= min_count][:MAX_NAMES]
    names = [c for c, _ in chosen]
    mentions = {c: sorted(w, key=lambda x: -w[x]) for c, w in chosen}
    floor = max(UNRESOLVED_MIN if long_text else 2, min_count + 1)
    taken = {x.casefold() for x in names}
    extra = [(w, n) for w, n in unresolved.most_common() if n >= floor and w.casefold() not in taken][:MAX_UNRESOLVED]
    for word, _ in extra:
        names.append(word)
        mentions[word] = [word]
        flags.append(Flag("offline", kind, f"{word!r} unresolved: not in the site vocabulary, check the name", word))
    return names, mentions


def vocabulary_names(work: str, vocab: Vocabulary, kinds: list[str]) -> dict[str, dict[str, list[str]]]:
    """The site's own names that `work` mentions often enough, per kind, best first, each with the words
    found: what offline drafting keeps, without its unresolved candidates (those need a person)."""
    found, _ = find_names(work, is_chinese(work), vocab, Counter(), Counter())
    out: dict[str, dict[str, list[str]]] = {}
    for kind in kinds:
        _, mentions = choose_names(kind, found, Counter(), len(work) > 8000, min_mentions(work), [])
        out[kind] = mentions
    return out
