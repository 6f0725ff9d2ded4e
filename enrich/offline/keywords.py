"""Keywords and name candidates of a text: jieba for Chinese (loaded once, quietly), frequency for English.

Chinese is segmented with jieba: its part-of-speech tags give person (`nr`) and organisation (`nt`)
candidates, TF-IDF with jieba's own IDF table gives keywords. English keywords are frequent words and
bigrams outside a stop list.
"""

from __future__ import annotations

import functools
import itertools
import logging
import math
import os
import re
from collections import Counter
from pathlib import Path
from typing import Any

from enrich.text import has_cjk

_EN_STOP = frozenset(
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
_ZH_STOP = frozenset(
    re.findall(
        r"\S+",
        "我们 你们 他们 这个 那个 就是 然后 一个 没有 什么 因为 所以 但是 如果 这样 那么 现在 可以 自己 "
        "已经 还是 这些 那些 大家 今天 时候 觉得 知道 东西 其实 问题 事情 一些 非常 或者 而且 怎么 这种 "
        "那种 也是 不是 视频 频道 订阅 点赞 观众 朋友 节目",
    )
)
# jieba part-of-speech tags of ordinary words (verbs, adjectives, adverbs, places, ...)
_COMMON_TAGS = frozenset({"v", "vn", "vd", "a", "ad", "an", "d", "t", "m", "q", "r", "p", "c", "u", "f", "s", "l", "i", "ns"})


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
    """(posseg tokenizer, (idf table, median idf)): initialised once, silently, with its cache out of /tmp."""
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


def en_keywords(text: str, top: int = 40) -> list[tuple[str, float]]:
    """Frequent English words and bigrams, weighted by frequency (and length for words)."""
    words = [w.lower() for w in re.findall(r"[A-Za-z][A-Za-z'-]{2,}", text)]
    counts = Counter(w for w in words if w not in _EN_STOP and "'" not in w)
    bigrams = Counter(f"{a} {b}" for a, b in itertools.pairwise(words) if a not in _EN_STOP and b not in _EN_STOP)
    total = max(1, len(words))
    scored = {w: n / total * (1.0 + math.log(len(w))) for w, n in counts.items() if n >= 2}
    scored.update({g: 1.5 * n / total * 3 for g, n in bigrams.items() if n >= 3})
    return sorted(scored.items(), key=lambda kv: -kv[1])[:top]


def zh_analyse(text: str) -> tuple[list[tuple[str, float]], Counter[str], Counter[str]]:
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


def word_tags() -> dict[str, str]:
    """jieba's dictionary: word -> part-of-speech tag."""
    posseg, _ = _jieba()
    return dict(posseg.word_tag_tab)


def is_common_word(word: str, tags: dict[str, str]) -> bool:
    """Whether jieba calls `word` an ordinary word (a verb, a place, a short common noun)."""
    tag = tags.get(word)
    if tag is None:
        return False
    return tag in _COMMON_TAGS or (tag == "n" and len(word) <= 2)
