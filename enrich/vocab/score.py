"""Which existing tags a text supports: drafting's shortlist for the prompt, and offline drafting's tags.

A tag's evidence is its words (English word n-grams, singular), its glossed aliases and the Chinese
words its English words translate to, counted in the text (Chinese as Simplified substrings).
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from typing import TYPE_CHECKING

from enrich.text import has_cjk, name_key, singular, tag_slug, to_simplified, twin_words

if TYPE_CHECKING:
    from enrich.vocab.model import Vocabulary

MAX_SCAN_CHARS = 300_000
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9+#.'’-]*[A-Za-z0-9+#]|[A-Za-z]")
_CJK_RUN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")
# English words too common in speech to count as evidence for a one-word tag.
_GENERIC_WORDS = frozenset(
    re.findall(
        r"\S+",
        "right way thing time life people world work system power information control value change future today "
        "question problem idea point case part story new good great big real mean kind lot",
    )
)


def sample_text(text: str, limit: int = MAX_SCAN_CHARS) -> str:
    """At most `limit` characters, taken as evenly spaced windows so a long transcript is seen whole."""
    if len(text) <= limit:
        return text
    windows = 10
    step = len(text) // windows
    size = limit // windows
    return "\n".join(text[i * step : i * step + size] for i in range(windows))


class TagScorer:
    """The terms of one vocabulary's tags, ready to be counted in texts."""

    def __init__(self, vocab: Vocabulary) -> None:
        self.vocab = vocab
        self.tag_terms = self._tag_terms()
        self.word_terms = self._word_terms()
        self.multiword = {t: ws for t in vocab.tags if len(ws := twin_words(t)) >= 2 and not vocab.merged_away(t)}

    def _tag_terms(self) -> dict[str, list[tuple[str, float]]]:
        """Term (lowercase English phrase or Simplified Chinese word) -> [(tag, weight)]."""
        vocab = self.vocab
        terms: dict[str, list[tuple[str, float]]] = defaultdict(list)
        for tag in vocab.tags:
            if vocab.merged_away(tag):
                continue
            words = twin_words(tag)
            if not words:
                continue
            if len(words) > 1:
                terms[" ".join(words)].append((tag, 3.0))
            elif words[0] not in _GENERIC_WORDS:
                terms[words[0]].append((tag, 1.0))  # one English word is weak evidence
            for alias in vocab.tag_aliases.get(tag, []):
                key = name_key(alias) if has_cjk(alias) else " ".join(twin_words(alias))
                if key:
                    terms[key].append((tag, 2.5 if has_cjk(alias) and len(key) >= 3 else 1.5))
            if len(words) == 1 and words[0] not in _GENERIC_WORDS:
                for zh in vocab.words.get(words[0], []):
                    terms[name_key(zh)].append((tag, 1.0))
        return dict(terms)

    def _word_terms(self) -> dict[str, set[str]]:
        """Term -> English tag words it stands for (for partial matches of multi-word tags)."""
        out: dict[str, set[str]] = defaultdict(set)
        for word, zhs in self.vocab.words.items():
            out[word].add(word)
            for zh in zhs:
                out[name_key(zh)].add(word)
        for tag in self.vocab.tags:
            for w in tag_slug(tag).split("-"):
                if len(w) >= 3:
                    out[singular(w)].add(singular(w))
        return dict(out)

    def score(self, text: str) -> dict[str, float]:
        """Evidence that each existing tag fits `text`: its words, glossed aliases and word translations."""
        counts = term_counts(text, self.tag_terms.keys() | self.word_terms.keys())
        scores: dict[str, float] = defaultdict(float)
        for term, n in counts.items():
            for tag, weight in self.tag_terms.get(term, []):
                scores[tag] += weight * math.log1p(n)
        # multi-word tags whose every word shows up (in either language)
        present: dict[str, int] = defaultdict(int)
        for term, n in counts.items():
            for word in self.word_terms.get(term, ()):
                present[word] += n
        for tag, words in self.multiword.items():
            hits = [present.get(w, 0) for w in words]
            if all(hits):
                scores[tag] += 1.0 * math.log1p(min(hits))
        for tag in list(scores):
            scores[tag] += 0.25 * math.log1p(self.vocab.tag_count(tag))
        return dict(scores)


def term_counts(text: str, terms: Iterable[str]) -> Counter[str]:
    """How often each of `terms` occurs: English as word n-grams (singular), Chinese as substrings."""
    text = sample_text(text)
    termset = set(terms)
    lengths = sorted({len(t) for t in termset if t and has_cjk(t)})
    counts: Counter[str] = Counter()
    words = [singular(w.lower().replace("’", "'")) for w in _WORD.findall(text)]
    for i in range(len(words)):
        gram = words[i]
        if gram in termset:
            counts[gram] += 1
        for n in (2, 3, 4):
            if i + n > len(words):
                break
            gram = gram + " " + words[i + n - 1]
            if gram in termset:
                counts[gram] += 1
    if lengths:
        simplified = to_simplified(text) if has_cjk(text) else ""
        for run in _CJK_RUN.findall(simplified):
            size = len(run)
            for start in range(size):
                for length in lengths:
                    if start + length > size:
                        break
                    piece = run[start : start + length]
                    if piece in termset:
                        counts[piece] += 1
    return counts
