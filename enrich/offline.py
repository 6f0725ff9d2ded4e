"""Drafting with no model at all: a real, checkable draft from the transcript and the site vocabulary.

Chinese is segmented with jieba (names and organisations from its part-of-speech tags, keywords by
TF-IDF with jieba's own IDF table), converted to Simplified with OpenCC when the profile asks for it;
English names come from capitalised spans. Every name is resolved through the vocabulary's aliases
to its canonical form; what stays unresolved keeps the transcript's own script and is flagged. Tags
are existing tags the text supports, area and category follow what posts with those tags used.
Every field carries an "offline" flag: a reviewer must check all of it.
"""

from __future__ import annotations

import functools
import itertools
import logging
import math
import os
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from enrich.frontmatter.provenance import Flag
from enrich.profile import Profile
from enrich.vocab import (
    ENTITY_KINDS,
    SEED_WORDS,
    Vocabulary,
    _sample,
    has_cjk,
    name_key,
    slugify,
    to_simplified,
)

MAX_ANALYSED_CHARS = 200_000
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
TARGET_TAGS = 5

_CJK_RUN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")
_SPAN = re.compile(r"\b[A-Z][\w&'’.+-]*(?:[ \t]+(?:of|the|de|and|&|van|von|al|bin)?[ \t]*[A-Z][\w&'’.+-]*)*")
_STOP_CAPS = {
    "I",
    "The",
    "A",
    "An",
    "And",
    "But",
    "So",
    "Or",
    "If",
    "In",
    "On",
    "At",
    "To",
    "Of",
    "For",
    "It",
    "This",
    "That",
    "We",
    "You",
    "He",
    "She",
    "They",
    "My",
    "Our",
    "Your",
    "Yes",
    "No",
    "Okay",
    "OK",
    "Oh",
    "Well",
    "Now",
    "Then",
    "What",
    "When",
    "Where",
    "Why",
    "How",
    "Who",
    "There",
    "Here",
    "Is",
    "Are",
    "Was",
    "Were",
    "Do",
    "Does",
    "Did",
    "Thank",
    "Thanks",
    "Hi",
    "Hello",
    "Let",
    "Let's",
    "I'm",
    "I've",
    "It's",
    "Because",
    "Also",
    "Just",
    "Right",
    "As",
    "With",
    "From",
    "By",
    "Like",
    "Not",
    "Mr",
    "Ms",
    "Mrs",
    "Dr",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
    "Music",
    "Applause",
    "Laughter",
    "English",
}
_EN_STOP = set(
    re.findall(
        r"\S+",
        """a about above after again against all also am an and any are as at be because been before being below
    between both but by can could did do does doing down during each few for from further had has have having he
    her here hers him his how i if in into is it its itself just let like me more most my no nor not now of off on
    once only or other our out over own really right same she should so some such than that the their them then
    there these they this those through to too under until up very was we well were what when where which while who
    whom why will with would you your yeah okay gonna going get got know think thing things people lot kind sort
    actually mean say said way want one two time go see make look much many even back still need us really""",
    )
)
_ZH_STOP = set(
    re.findall(
        r"\S+",
        "我们 你们 他们 这个 那个 就是 然后 一个 没有 什么 因为 所以 但是 如果 这样 那么 现在 可以 自己 "
        "已经 还是 这些 那些 大家 今天 时候 觉得 知道 东西 其实 问题 事情 一些 非常 或者 而且 怎么 这种 "
        "那种 也是 不是 视频 频道 订阅 点赞 观众 朋友 节目",
    )
)
_SPEAKER_PATTERNS = (
    re.compile(
        r"(?:欢迎(?:大家)?(?:收看|来到|收听)|感谢(?:您|大家)?收看(?:本期)?(?:的)?)([\u3400-\u9fffA-Za-z0-9·]{2,12}?)(?:[，,。！!\s]|我是|$)"
    ),
    re.compile(r"\b[Ww]elcome (?:back )?to (?:the )?([A-Z][\w'’]*(?: [A-Z][\w'’]*){0,4})"),
)


@dataclass
class OfflineDraft:
    """The fields a model would have drafted, with flags for the reviewer and the words names came from."""

    values: dict[str, Any]
    flags: list[Flag] = field(default_factory=list)
    mentions: dict[str, dict[str, list[str]]] = field(default_factory=dict)  # field -> canonical -> words


# ---------------------------------------------------------------- jieba, lazily and quietly


def _cache_dir() -> Path | None:
    from enrich.site import user_cache_dir

    folder = user_cache_dir()
    if folder is None:
        return None
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return folder if os.access(folder, os.W_OK) else None


@functools.cache
def _jieba() -> tuple[Any, Any]:
    """(posseg tokenizer, idf table, median idf): initialised once, silently, with its cache out of /tmp."""
    import jieba
    import jieba.analyse
    import jieba.posseg

    jieba.setLogLevel(logging.WARNING)
    folder = _cache_dir()
    if folder is not None:
        jieba.dt.tmp_dir = str(folder)
    jieba.dt.initialize()
    tfidf = jieba.analyse.default_tfidf
    return jieba.posseg.dt, (tfidf.idf_freq, tfidf.median_idf)


def warm_up() -> None:
    """Load jieba now (tests share one load; the CLI may call it while printing its one line)."""
    _jieba()


# ---------------------------------------------------------------- helpers


def _wants_simplified(profile: Profile) -> bool:
    return profile.language.lower().replace("_", "-") in ("zh-hans", "zh-cn", "zh-sg", "zh-hans-cn")


def _prepare(text: str) -> str:
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


def _sentences(text: str, chinese: bool) -> list[str]:
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


def _en_keywords(text: str, top: int = 40) -> list[tuple[str, float]]:
    words = [w.lower() for w in re.findall(r"[A-Za-z][A-Za-z'-]{2,}", text)]
    counts = Counter(w for w in words if w not in _EN_STOP and "'" not in w)
    bigrams = Counter(f"{a} {b}" for a, b in itertools.pairwise(words) if a not in _EN_STOP and b not in _EN_STOP)
    total = max(1, len(words))
    scored = {w: n / total * (1.0 + math.log(len(w))) for w, n in counts.items() if n >= 2}
    scored.update({g: 1.5 * n / total * 3 for g, n in bigrams.items() if n >= 3})
    return sorted(scored.items(), key=lambda kv: -kv[1])[:top]


def _zh_analyse(text: str) -> tuple[list[tuple[str, float]], Counter[str], Counter[str]]:
    """Keywords (TF-IDF) and person / organisation candidates from jieba's part-of-speech tags."""
    posseg, (idf, median) = _jieba()
    freq: Counter[str] = Counter()
    persons: Counter[str] = Counter()
    orgs: Counter[str] = Counter()
    for pair in posseg.cut(text):
        word, flag = pair.word.strip(), pair.flag
        if len(word) < 2 or not has_cjk(word):
            continue
        if flag.startswith("nr") and 2 <= len(word) <= 4:
            persons[word] += 1
        elif flag == "nt":
            orgs[word] += 1
        if word not in _ZH_STOP and flag[:1] in ("n", "v", "e", "l", "j", "i") and flag not in ("v", "vd", "ad"):
            freq[word] += 1
    total = max(1, sum(freq.values()))
    scored = {w: n / total * idf.get(w, median) for w, n in freq.items()}
    return sorted(scored.items(), key=lambda kv: -kv[1])[:40], persons, orgs


_COMMON_TAGS = {"v", "vn", "vd", "a", "ad", "an", "d", "t", "m", "q", "r", "p", "c", "u", "f", "s", "l", "i", "ns"}


def _is_common_word(word: str, tags: dict[str, str]) -> bool:
    tag = tags.get(word)
    if tag is None:
        return False
    return tag in _COMMON_TAGS or (tag == "n" and len(word) <= 2)


def _is_concept(vocab: Vocabulary, canonical: str, count: int) -> bool:
    """AI, LLM, GPU: names the site also uses as tags at least as often are concepts, not entities."""
    tag = vocab.canonical_tag(slugify(canonical)) if not has_cjk(canonical) else None
    return tag is not None and vocab.tag_count(tag) >= count


def _word_tags() -> dict[str, str]:
    posseg, _ = _jieba()
    return dict(posseg.word_tag_tab)


class _Gazetteer:
    """Every name and alias of the vocabulary, to find them in a text."""

    def __init__(self, vocab: Vocabulary, common: dict[str, str] | None = None) -> None:
        self.index: dict[str, tuple[str, str, int]] = {}  # name key -> (kind, canonical, count)
        common = common or {}
        for kind in ENTITY_KINDS:
            for canonical, ent in vocab.entities.get(kind, {}).items():
                for name in (canonical, *ent.aliases):
                    key = name_key(name)
                    if len(key) < 2:
                        continue
                    if has_cjk(key) and _is_common_word(key, common):
                        continue  # 调整, 美国, 苹果: a gloss made them aliases, but in running text they are words
                    if key in _PLACES or name_key(canonical) in _PLACES or _is_concept(vocab, canonical, ent.count):
                        continue
                    old = self.index.get(key)
                    if old is None or ent.count > old[2]:
                        resolved = vocab.canonical_name(kind, canonical) or canonical
                        self.index[key] = (kind, resolved, ent.count)
        self.cjk_lengths = sorted({len(k) for k in self.index if has_cjk(k)})

    def scan_cjk(self, text: str) -> dict[tuple[str, str], Counter[str]]:
        found: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
        for run in _CJK_RUN.findall(text):
            size, start = len(run), 0
            while start < size:
                step = 1
                for length in reversed(self.cjk_lengths):  # longest match first
                    if start + length <= size:
                        piece = run[start : start + length]
                        hit = self.index.get(piece)
                        if hit is not None:
                            found[(hit[0], hit[1])][piece] += 1
                            step = length
                            break
                start += step
        return found

    def lookup(self, name: str) -> tuple[str, str] | None:
        hit = self.index.get(name_key(name))
        return (hit[0], hit[1]) if hit else None


_GAZETTEERS: dict[int, tuple[Vocabulary, _Gazetteer]] = {}


def _gazetteer(vocab: Vocabulary, chinese: bool) -> _Gazetteer:
    """One gazetteer per vocabulary object (batch drafting reuses it)."""
    cached = _GAZETTEERS.get(id(vocab))
    if cached is not None and cached[0] is vocab:
        return cached[1]
    gazetteer = _Gazetteer(vocab, _word_tags())
    _GAZETTEERS.clear()
    _GAZETTEERS[id(vocab)] = (vocab, gazetteer)
    return gazetteer


def _latin_spans(text: str) -> Counter[str]:
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


# ---------------------------------------------------------------- the draft


def draft_offline(text: str, *, profile: Profile, vocab: Vocabulary | None, title_hint: str | None = None) -> OfflineDraft:
    """Draft every model field from the text alone, each flagged "offline" for the reviewer."""
    raw = _prepare(text)
    work = _sample(raw, MAX_ANALYSED_CHARS)
    cjk = len(_CJK_RUN.findall(work[:20000]))
    chinese = sum(len(r) for r in _CJK_RUN.findall(work[:20000])) > 0.2 * max(1, len(work[:20000].strip())) or cjk > 50
    if chinese and _wants_simplified(profile):
        work = to_simplified(work)
    flags: list[Flag] = []
    mentions: dict[str, dict[str, list[str]]] = {}
    values: dict[str, Any] = {}
    wanted = [f.name for f in profile.model_fields()]

    if chinese:
        keywords, persons, orgs = _zh_analyse(work)
    else:
        keywords, persons, orgs = _en_keywords(work), Counter(), Counter()

    # ---- names
    found: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    gazetteer = _gazetteer(vocab, chinese) if vocab is not None else None
    if gazetteer is not None and chinese:
        for key, words in gazetteer.scan_cjk(work).items():
            found[key].update(words)
    unresolved: dict[str, Counter[str]] = {"people": Counter(), "companies_orgs": Counter()}
    lowered_words = set(re.findall(r"\b[a-z]+\b", work)) if not chinese else set()
    for span, n in _latin_spans(work).items():
        common = " " not in span and span.lower() in lowered_words and not span.isupper()  # "Winter", "Right"
        if n == 0 or span in _STOP_CAPS or not span[:1].isupper() or common:
            continue
        hit = gazetteer.lookup(span) if gazetteer else None
        if hit is None and gazetteer is not None and " " in span:  # "President Donald Trump" -> "Donald Trump"
            parts = span.split()
            for size in range(len(parts) - 1, 0, -1):
                for i in range(len(parts) - size + 1):
                    sub = " ".join(parts[i : i + size])
                    if len(sub) > 2 and (hit := gazetteer.lookup(sub)):
                        found[hit][sub] += n
                        break
                if hit:
                    break
            if hit:
                continue
        if hit is not None:
            found[hit][span] += n
        elif not chinese and 2 <= len(span.split()) <= 3 and all(w[:1].isupper() for w in span.split()):
            unresolved["people"][span] += n
    for word, n in persons.items():
        if gazetteer is None or gazetteer.lookup(word) is None:
            unresolved["people"][word] += n
    for word, n in orgs.items():
        if gazetteer is None or gazetteer.lookup(word) is None:
            unresolved["companies_orgs"][word] += n

    min_count = 1 if len(work) < 8000 else 2 if len(work) < 60000 else 3
    for kind in ENTITY_KINDS:
        if kind not in wanted:
            continue
        ranked = sorted(((canon, words) for (k, canon), words in found.items() if k == kind), key=lambda cw: -sum(cw[1].values()))
        chosen = [(c, w) for c, w in ranked if sum(w.values()) >= min_count][:MAX_NAMES]
        names = [c for c, _ in chosen]
        mentions[kind] = {c: sorted(w, key=lambda x: -w[x]) for c, w in chosen}
        floor = max(UNRESOLVED_MIN if len(work) > 8000 else 2, min_count + 1)
        taken = {x.casefold() for x in names}
        extra = [(w, n) for w, n in unresolved.get(kind, Counter()).most_common() if n >= floor and w.casefold() not in taken][
            :MAX_UNRESOLVED
        ]
        for word, _ in extra:
            names.append(word)
            mentions[kind][word] = [word]
            flags.append(Flag("offline", kind, f"{word!r} unresolved: not in the site vocabulary, check the name", word))
        values[kind] = names

    # ---- tags
    tag_spec = profile.fields.get("tags")
    if "tags" in wanted and tag_spec is not None:
        values["tags"] = _choose_tags(work, keywords, vocab, profile, flags)

    # ---- area and category
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

    # ---- summary and title
    sentences = _sentences(work, chinese)
    ranked_sentences = _rank_sentences(sentences, keywords, chinese)
    if "summary" in wanted:
        spec = profile.fields["summary"]
        values["summary"] = _summary(sentences, ranked_sentences, spec.max_length or 400, spec.min_length or 0, chinese, work)
    if "title" in wanted:
        spec = profile.fields["title"]
        best = [sentences[i] for _, i in ranked_sentences[:3]] + sentences[:3]
        values["title"] = _title(
            title_hint, raw, best, spec.max_length or 80, spec.min_length or 0, chinese and _wants_simplified(profile)
        )
    if "speaker" in wanted:
        values["speaker"] = _speaker(work)

    for name in wanted:
        if name not in values:
            values[name] = profile.fields[name].initial()
        flags.append(Flag("offline", name, "drafted offline (no model): check it"))
    return OfflineDraft(values={k: values[k] for k in wanted}, flags=flags, mentions=mentions)


def _choose_tags(
    work: str, keywords: list[tuple[str, float]], vocab: Vocabulary | None, profile: Profile, flags: list[Flag]
) -> list[str]:
    spec = profile.fields["tags"]
    pattern = spec.compiled_pattern()
    low = spec.min_items or 0
    high = spec.max_items or TARGET_TAGS
    want = max(low, min(TARGET_TAGS, high))

    def ok(tag: str) -> bool:
        return pattern is None or bool(pattern.match(tag))

    chosen: list[str] = []
    if vocab is not None:
        scores = defaultdict(float, vocab.score_tags(work))
        top = keywords[0][1] if keywords else 1.0
        for word, weight in keywords[:30]:
            tag = vocab.canonical_tag(word) if has_cjk(word) else vocab.canonical_tag(slugify(word))
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
    else:
        english = seed_english()
        for word, _ in keywords:
            # without a vocabulary, a Chinese keyword becomes a tag only through the seed word list
            tag = english.get(word, "") if has_cjk(word) else slugify(word)
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
    return chosen[:high] if high else chosen


@functools.lru_cache(maxsize=1)
def seed_english() -> dict[str, str]:
    """Chinese word -> English tag word, from the seed list (first English word wins)."""
    out: dict[str, str] = {}
    for word, zhs in SEED_WORDS.items():
        for zh in zhs.split():
            if has_cjk(zh):
                out.setdefault(zh, word)
    return out


def _rank_sentences(sentences: list[str], keywords: list[tuple[str, float]], chinese: bool) -> list[tuple[float, int]]:
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


def _summary(sentences: list[str], ranked: list[tuple[float, int]], limit: int, minimum: int, chinese: bool, work: str) -> str:
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
    summary = joiner.join(parts).strip()
    if len(summary) < minimum:  # too little text to rank: take the opening
        summary = _trim(re.sub(r"\s+", " " if not chinese else "，", work.strip()), limit)
    return _trim(summary, limit)


def _title(hint: str | None, raw: str, best: list[str], limit: int, minimum: int, simplify: bool) -> str:
    candidates: list[str] = []
    if hint and hint.strip():
        candidates.append(hint.strip())
    heading = re.search(r"^#{1,3}\s+(.+?)\s*#*\s*$", raw, re.M)
    if heading:
        candidates.append(heading.group(1))
    candidates.extend(best)  # already simplified when the profile asks for it
    for candidate in candidates:
        title = _clean_title(to_simplified(candidate) if simplify else candidate, limit)
        if len(title) >= max(minimum, 1):
            return title
    return "Untitled draft" if minimum <= len("Untitled draft") else "Untitled draft".ljust(minimum, ".")


def _clean_title(text: str, limit: int) -> str:
    text = re.sub(r"\s+", " ", text).strip().strip("\"'“”‘’「」")
    return _trim(text, limit).rstrip("。.!！?？,，;；:： ")


def _speaker(work: str) -> str:
    for pattern in _SPEAKER_PATTERNS:
        counts = Counter(m.strip() for m in pattern.findall(work[:5000] + "\n" + work[-5000:]))
        if counts:
            name, _ = counts.most_common(1)[0]
            if 2 <= len(name) <= 40:
                return str(name)
    return ""
