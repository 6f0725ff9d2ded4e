"""The words of an offline draft: sentences, an extractive summary, a title and the speaker.

The summary is the highest-scoring sentences (keyword weight, length, a slight preference for the
opening), in text order, within the profile's length; the title is the hint, else the first Markdown
heading, else the best sentence, trimmed; the speaker only from an explicit "欢迎收看X" / "Welcome to X".
"""

from __future__ import annotations

import math
import re
from collections import Counter

from enrich.text import to_simplified

_SPEAKER_PATTERNS = (
    re.compile(
        r"(?:欢迎(?:大家)?(?:收看|来到|收听)|感谢(?:您|大家)?收看(?:本期)?(?:的)?)([\u3400-\u9fffA-Za-z0-9·]{2,12}?)(?:[，,。！!\s]|我是|$)"
    ),
    re.compile(r"\b[Ww]elcome (?:back )?to (?:the )?([A-Z][\w'’]*(?: [A-Z][\w'’]*){0,4})"),
)


def prepare_text(text: str) -> str:
    """The text without image placeholders, tags, [Music]-style cues and lone "Okay" lines."""
    text = re.sub(r"!\[[^\]]*\]\([^)]*\)", " ", text)  # image placeholders
    text = re.sub(r"<[^>\n]{1,200}>", " ", text)
    text = re.sub(r"\[(?:Music|Applause|Laughter|音乐|掌声)\]", " ", text, flags=re.I)
    text = re.sub(r"(?m)^\s*Okay[.,]?\s*$", "", text)
    return text


def _unwrap_captions(text: str) -> str:
    """Caption layout (a few words per line) joined into running text, so sentences can be found."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    if len(lines) < 20:
        return text
    lengths = sorted(len(ln) for ln in lines)
    if lengths[len(lengths) // 2] >= 40:
        return text
    return " ".join(ln for ln in lines if not ln.startswith("#"))


def split_sentences(text: str, chinese: bool) -> list[str]:
    """Sentences of the text (captions unwrapped first; unpunctuated runs cut at spaces or every 25 words)."""
    out: list[str] = []
    for line in _unwrap_captions(text).splitlines():
        line = line.strip().lstrip("#>*- ").strip()
        if not line:
            continue
        parts = re.split(r"(?<=[。！？!?；])|(?<=[.!?])\s+", line)
        for part in parts:
            part = part.strip()
            if chinese and len(part) > 120:  # caption text without punctuation: spaces are the only breaks
                out.extend(p for p in re.split(r"\s+", part) if p)
            elif not chinese and len(part.split()) > 60:  # no punctuation at all: cut every 25 words
                words = part.split()
                out.extend(" ".join(words[i : i + 25]) for i in range(0, len(words), 25))
            elif part:
                out.append(part)
    return out


def _trim(text: str, limit: int) -> str:
    """`text` cut to `limit` characters at a sentence or word boundary when one is near."""
    text = text.strip()
    if len(text) <= limit:
        return text
    cut = text[:limit]
    for marks in ("。！？!?", "，,；;：:", " "):
        pos = max(cut.rfind(m) for m in marks)
        if pos >= limit * 0.6:
            return cut[: pos + 1].rstrip(" ，,；;：:") if marks != " " else cut[:pos].rstrip()
    return cut


def rank_sentences(sentences: list[str], keywords: list[tuple[str, float]], chinese: bool) -> list[tuple[float, int]]:
    """(score, index) of the sentences of a usable length, best first."""
    weights = dict(keywords[:30])
    scored: list[tuple[float, int]] = []
    for i, sentence in enumerate(sentences):
        length = len(sentence) if chinese else len(sentence.split())
        lo, hi = (12, 160) if chinese else (6, 45)
        if not lo <= length <= hi:
            continue
        if chinese:
            score = sum(w for kw, w in weights.items() if kw in sentence)
        else:
            lowered = sentence.lower()
            score = sum(w for kw, w in weights.items() if kw in lowered)
        position = 1.0 + 0.3 / (1 + i / 5)  # openings tend to say what the piece is about
        scored.append((score * position / math.sqrt(length), i))
    scored.sort(key=lambda si: -si[0])
    return scored


def make_summary(
    sentences: list[str], ranked: list[tuple[float, int]], limit: int, minimum: int, chinese: bool, work: str
) -> str:
    """The best sentences in text order, within `limit` characters (the opening when too little ranks)."""
    picked: list[int] = []
    total = 0
    joiner = "" if chinese else " "
    for _, i in ranked:
        extra = len(sentences[i]) + (0 if chinese else 1)
        if total + extra > limit:
            continue
        picked.append(i)
        total += extra
        if total >= limit * 0.7 or len(picked) >= 5:
            break
    parts = []
    for i in sorted(picked):
        s = sentences[i]
        if chinese and not re.search(r"[。！？!?]$", s):
            s += "。"
        parts.append(s)
    text = joiner.join(parts).strip()
    if len(text) < minimum:  # too little text to rank: take the opening
        text = _trim(re.sub(r"\s+", " " if not chinese else "，", work.strip()), limit)
    return _trim(text, limit)


def make_title(hint: str | None, raw: str, best: list[str], limit: int, minimum: int, simplify: bool) -> str:
    """The title hint, else the first Markdown heading, else the best sentence, trimmed."""
    candidates: list[str] = []
    if hint and hint.strip():
        candidates.append(hint.strip())
    heading = re.search(r"^#{1,3}\s+(.+?)\s*#*\s*$", raw, re.M)
    if heading:
        candidates.append(heading.group(1))
    candidates.extend(best)  # already simplified when the profile asks for it
    for candidate in candidates:
        cleaned = _clean_title(to_simplified(candidate) if simplify else candidate, limit)
        if len(cleaned) >= max(minimum, 1):
            return cleaned
    return "Untitled draft" if minimum <= len("Untitled draft") else "Untitled draft".ljust(minimum, ".")


def _clean_title(text: str, limit: int) -> str:
    text = re.sub(r"\s+", " ", text).strip().strip("\"'“”‘’「」")
    return _trim(text, limit).rstrip("。.!！?？,，;；:： ")


def find_speaker(work: str) -> str:
    """The channel or show named by an explicit welcome near the start or the end, else ''."""
    for pattern in _SPEAKER_PATTERNS:
        counts = Counter(m.strip() for m in pattern.findall(work[:5000] + "\n" + work[-5000:]))
        if counts:
            name, _ = counts.most_common(1)[0]
            if 2 <= len(name) <= 40:
                return str(name)
    return ""
