"""Cleaning a transcript: removing noise, never content, and saying what was removed.

What goes: empty image placeholders, trailing platform notices (copyright / disclaimer boilerplate
that a platform appends), caption markers such as [music], and layout noise (one word per line,
runs of blank lines). Every removal is recorded so the draft's provenance can show the reviewer.
"""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass, field
from itertools import islice

_EMPTY_IMAGE = re.compile(r"!\[\s*\]\(\s*\)")
_SOUND_MARKERS = re.compile(r"\[(?:music|applause|laughter|音乐|掌声|笑声|音樂|掌聲|笑聲)\]", re.I)
# Notices a platform appends to every article; only removed from the last few paragraphs.
_BOILERPLATE = [
    re.compile(r"^(特别声明|特別聲明|免责声明|免責聲明)[:：].*(信息存储|信息存儲|資訊存儲|仅提供|僅提供).*$"),
    re.compile(r"^Notice:\s*The content above.*(information storage|social media platform).*$", re.I),
    re.compile(r"^(本文|以上内容|以上內容).{0,40}(版权|版權)(归|歸).{0,60}$"),
    re.compile(r"^(未经授权|未經授權).{0,40}(禁止|不得)(转载|轉載).{0,40}$"),
]
_TAIL_PARAGRAPHS = 4
_BLANK_RUNS = re.compile(r"\n{3,}")
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
_SENTENCE_END = re.compile(r"[.!?。！？][\"')\]]*$")


@dataclass
class Removal:
    kind: str
    count: int
    sample: str = ""

    def describe(self) -> str:
        return f"{self.kind} x{self.count}" + (f": {self.sample}" if self.sample else "")


@dataclass
class CleanResult:
    text: str
    removed: list[Removal] = field(default_factory=list)

    def summary(self) -> list[str]:
        return [r.describe() for r in self.removed]


def clean_text(text: str) -> CleanResult:
    """The transcript without noise, plus a record of every kind of thing removed."""
    removed: list[Removal] = []
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\ufeff", "")

    count = len(_EMPTY_IMAGE.findall(text))
    if count:
        text = _EMPTY_IMAGE.sub("", text)
        removed.append(Removal("empty image placeholder", count, "![]()"))

    markers = _SOUND_MARKERS.findall(text)
    if markers:
        text = _SOUND_MARKERS.sub("", text)
        removed.append(Removal("caption sound marker", len(markers), markers[0]))

    text, boiler = _drop_trailing_boilerplate(text)
    for line in boiler:
        removed.append(Removal("platform notice", 1, line[:80]))

    if _is_caption_layout(text):
        text = _reflow(text)
        removed.append(Removal("caption line breaks (text reflowed into paragraphs)", 1))

    text = _BLANK_RUNS.sub("\n\n", "\n".join(map(str.rstrip, text.split("\n")))).strip("\n") + "\n"
    return CleanResult(text=text, removed=removed)


def _drop_trailing_boilerplate(text: str) -> tuple[str, list[str]]:
    lines = text.split("\n")
    dropped: list[str] = []
    seen_content = 0
    for index in range(len(lines) - 1, -1, -1):
        stripped = lines[index].strip()
        if not stripped:
            continue
        if any(p.match(stripped) for p in _BOILERPLATE):
            dropped.append(stripped)
            lines[index] = ""
            continue
        seen_content += 1
        if seen_content >= _TAIL_PARAGRAPHS:
            break
    return "\n".join(lines), list(reversed(dropped))


def _is_caption_layout(text: str) -> bool:
    """Auto-caption exports put a word or a short phrase on each line, often with blank lines between."""
    lines = list(islice(filter(None, map(str.strip, text.split("\n"))), 2000))  # the first 2,000 are enough
    if len(lines) < 30:
        return False
    latin = sum(1 for line in lines[:200] if _LATIN_WORD.search(line))
    if latin <= len(lines[:200]) * 0.6:
        return False
    return statistics.median(len(line.split()) for line in lines) <= 3


def _reflow(text: str, target: int = 700) -> str:
    """Join caption fragments into paragraphs that end at a sentence end near `target` characters."""
    words = text.split()
    paragraphs: list[str] = []
    current: list[str] = []
    size = 0
    for word in words:
        current.append(word)
        size += len(word) + 1
        if size >= target and _SENTENCE_END.search(word):
            paragraphs.append(" ".join(current))
            current, size = [], 0
    if current:
        paragraphs.append(" ".join(current))
    return "\n\n".join(paragraphs)
