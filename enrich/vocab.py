"""The site's own vocabulary: the tags, areas, categories and canonical names its posts already use.

`build_vocabulary` reads every post of a content folder (tolerating the mess real front matter
has), learns aliases from other spellings and from the glossed terms in bodies
(**中文名**（English Name: ...）), suggests merges for a person to accept, and writes a readable,
diff-friendly YAML file (`.enrich/vocab.yaml`). A JSON state file beside it
(`.enrich/vocab-state.json`, a cache safe to delete) keeps what was extracted from each post so a
rebuild only re-reads posts whose size or mtime changed.

Drafting reads the file back with `load_vocabulary` and uses `Vocabulary.shortlist_tags`,
`canonical_name`, `aliases` and `apply_vocabulary` so the site keeps its own words instead of
growing synonyms. No click here: the CLI prints.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import os
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from enrich.errors import ConfigError, InputError
from enrich.frontmatter.provenance import Flag
from enrich.frontmatter.split import split_front_matter
from enrich.frontmatter.yaml12 import load_data
from enrich.fsutil import atomic_write

if TYPE_CHECKING:
    from enrich.profile import Profile

VERSION = 1
STATE_VERSION = 1
VOCAB_DIR = ".enrich"
VOCAB_NAME = "vocab.yaml"
STATE_NAME = "vocab-state.json"
ENTITY_KINDS: tuple[str, ...] = ("people", "companies_orgs", "products_models", "media_books")
# Keys some posts use instead of the profile's entity keys.
KIND_SYNONYMS = {
    "companies": "companies_orgs",
    "orgs": "companies_orgs",
    "products": "products_models",
    "media": "media_books",
    "books": "media_books",
}
TAG_KINDS = ("tags",)
MAX_ALIASES = 12
MAX_TAG_ALIASES = 6
MAX_POST_EXAMPLES = 5
# Common words of English tags and their usual Chinese, so a Chinese transcript can meet tags whose words
# the posts' glosses never spelled out (the glosses add more at build time).
SEED_WORDS: dict[str, str] = {
    "us": "美国 美方",
    "china": "中国 中方",
    "chinese": "中国",
    "canada": "加拿大",
    "japan": "日本",
    "russia": "俄罗斯",
    "ukraine": "乌克兰",
    "iran": "伊朗",
    "israel": "以色列",
    "taiwan": "台湾",
    "europe": "欧洲",
    "india": "印度",
    "trade": "贸易",
    "war": "战争",
    "tariff": "关税",
    "relation": "关系",
    "policy": "政策",
    "economy": "经济",
    "economic": "经济",
    "market": "市场",
    "stock": "股票 股市",
    "investment": "投资",
    "investing": "投资",
    "inflation": "通胀 通货膨胀",
    "interest": "利息 利率",
    "rate": "利率",
    "bank": "银行",
    "debt": "债务",
    "finance": "金融",
    "financial": "金融",
    "crypto": "加密货币",
    "bitcoin": "比特币",
    "gold": "黄金",
    "energy": "能源",
    "oil": "石油",
    "chip": "芯片",
    "semiconductor": "半导体",
    "ai": "人工智能 AI",
    "model": "模型",
    "agent": "智能体 代理",
    "robot": "机器人",
    "robotic": "机器人",
    "data": "数据",
    "software": "软件",
    "programming": "编程",
    "security": "安全",
    "education": "教育",
    "health": "健康",
    "history": "历史",
    "philosophy": "哲学",
    "psychology": "心理学",
    "culture": "文化",
    "society": "社会",
    "election": "选举",
    "democracy": "民主",
    "government": "政府",
    "military": "军事",
    "strategy": "战略 策略",
    "geopolitic": "地缘政治",
    "geopolitical": "地缘政治",
    "geopolitics": "地缘政治",
    "immigration": "移民",
    "real": "房地产",
    "estate": "房地产",
    "housing": "住房 房价",
    "family": "家庭",
    "career": "职业",
    "startup": "创业",
    "business": "商业",
    "supply": "供应",
    "chain": "链",
    "space": "航天 太空",
    "technology": "技术 科技",
    "tech": "科技",
    "innovation": "创新",
    "regulation": "监管",
    "law": "法律",
    "productivity": "效率 生产力",
    "leadership": "领导力",
    "management": "管理",
    "risk": "风险",
    "nuclear": "核",
    "climate": "气候",
    "science": "科学",
    "medicine": "医学",
    "religion": "宗教",
    "battery": "电池",
    "factory": "工厂",
    "manufacturing": "制造业",
    "electric": "电动",
    "vehicle": "汽车 车辆",
    "automotive": "汽车产业 汽车业",
    "mining": "矿产 采矿",
    "agriculture": "农业 农产品",
    "diplomacy": "外交",
}

# English words too common in speech to count as evidence for a one-word tag.
_GENERIC_WORDS = frozenset(
    re.findall(
        r"\S+",
        "right way thing time life people world work system power information control value change future today "
        "question problem idea point case part story new good great big real mean kind lot",
    )
)
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z]")
_GLOSS = re.compile(r"\*\*([^*\n]{1,60}?)\*\*\s*[（(]\s*(?:\*\*)?([^）)\n]{1,240})")
_STRIP_CHARS = " \t\u3000·•・.-_'’‘\"“”《》「」『』〈〉()（）,，:：!?！？"
_SLUG_SPLIT = re.compile(r"[^a-z0-9]+")


# ---------------------------------------------------------------- text helpers


def has_cjk(text: str) -> bool:
    return bool(_CJK.search(text))


@functools.cache
def _converter() -> Any:
    """OpenCC Traditional→Simplified converter, created on first use (its tables take a moment)."""
    import opencc

    try:
        return opencc.OpenCC("t2s")
    except Exception:  # the binary `opencc` package spells configs with .json
        return opencc.OpenCC("t2s.json")


@functools.lru_cache(maxsize=65536)
def _to_simplified_short(text: str) -> str:
    return str(_converter().convert(text))


def to_simplified(text: str) -> str:
    """Simplified Chinese for any Traditional characters in `text`; other text unchanged."""
    if not has_cjk(text):
        return text
    if len(text) <= 64:
        return _to_simplified_short(text)
    return str(_converter().convert(text))


@functools.lru_cache(maxsize=131072)
def name_key(name: str) -> str:
    """The key two spellings of one name share: width, case, spacing, punctuation and script folded."""
    text = unicodedata.normalize("NFKC", name).strip()
    if has_cjk(text):
        text = to_simplified(text)
    text = text.casefold()
    return "".join(ch for ch in text if ch not in _STRIP_CHARS)


def slugify(text: str) -> str:
    """Kebab-case form of an English phrase (the site's tag style)."""
    return "-".join(p for p in _SLUG_SPLIT.split(unicodedata.normalize("NFKC", text).lower()) if p)


def _singular(word: str) -> str:
    if len(word) <= 3 or word.endswith(("ss", "us", "is", "ics", "ous")):
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("ches", "shes", "xes", "sses")):
        return word[:-2]
    if word.endswith("s"):
        return word[:-1]
    return word


def _stem(word: str) -> str:
    """A crude stem so that geopolitical/geopolitics or economic/economy meet."""
    word = _singular(word)
    for suffix in ("ical", "ics", "ic", "al", "y", "e"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 5:
            return word[: -len(suffix)]
    return word


def tag_twin_key(tag: str) -> str:
    """Tags with the same twin key differ only by case, separators or plural."""
    return "-".join(_singular(w) for w in slugify(tag).split("-"))


def _scalar_list(value: Any) -> list[str]:
    """A front-matter value as a list of non-empty strings (null, '', "[]", a string or a list)."""
    if value is None:
        return []
    if isinstance(value, str):
        text = value.strip()
        if text in ("", "[]", "null", "~"):
            return []
        if text.startswith("[") and text.endswith("]"):
            text = text[1:-1]
        return [p.strip().strip("'\"") for p in re.split(r"[,，、]", text) if p.strip().strip("'\"")]
    if isinstance(value, (list, tuple)):
        out: list[str] = []
        for item in value:
            out.extend(_scalar_list(item) if isinstance(item, (str, list)) else ([str(item)] if item else []))
        return out
    return [str(value)]


def _scalar(value: Any) -> str:
    if value is None or isinstance(value, (list, dict)):
        return ""
    return str(value).strip()


# ---------------------------------------------------------------- reading posts


@dataclass
class PostRecord:
    """What one post contributes to the vocabulary (cached in the state file)."""

    tags: list[str] = field(default_factory=list)
    area: str = ""
    category: str = ""
    names: dict[str, list[str]] = field(default_factory=dict)
    glosses: list[list[str]] = field(default_factory=list)  # [chinese, english, ...more english]


def extract_glosses(body: str) -> list[list[str]]:
    """Pairs [中文, English, (expansion)] from glossed terms: **中文**（English: ...） or **English**（中文: ...）."""
    out: list[list[str]] = []
    for term, inner in _GLOSS.findall(body):
        term = term.strip().strip("*").strip()
        parts = [p.strip().strip("*").strip() for p in re.split(r"[:：]", inner)]
        other = parts[0]
        if not term or not other:
            continue
        if "，" in other or len(other) > 60:  # a description, not a name
            other = re.split(r"[，,;；]", other)[0].strip()
        if has_cjk(term) and not has_cjk(other) and _LATIN.search(other):
            zh, en = term, other
        elif has_cjk(other) and not has_cjk(term) and _LATIN.search(term):
            zh, en = other, term
        else:
            continue
        limit = 12 if has_cjk(term) else 6  # a Chinese gloss of an English term is often a description
        if len(zh) > limit or len(en) > 60 or "的" in zh or zh.startswith(("一", "这", "是", "指", "即", "此")):
            continue
        zh = zh.strip("《》“”\"' ")
        pair = [zh]
        for piece in re.split(r"\s*[,，;；]\s*|\s+-\s+", en):
            if piece and not has_cjk(piece) and len(piece.split()) <= 8:
                pair.append(piece.strip())
        if len(parts) > 1 and parts[1] and not has_cjk(parts[1]) and len(parts[1].split()) <= 8:
            pair.append(parts[1])  # an acronym's expansion: **世贸**（WTO: World Trade Organization: ...）
        if len(pair) > 1:
            out.append(pair)
    return out


def read_post(path: Path) -> PostRecord:
    """Extract one post's vocabulary; InputError when its front matter cannot be used."""
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read: {exc}", path=str(path)) from None
    parts = split_front_matter(text)
    if parts is None:
        raise InputError("no front matter", path=str(path))
    front, body = parts
    try:
        data = load_data(front)
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        line = f" (line {where.line + 2})" if where is not None else ""
        raise InputError(f"broken YAML{line}: {getattr(exc, 'problem', None) or exc}", path=str(path)) from None
    if not isinstance(data, dict):
        raise InputError("front matter is not a mapping", path=str(path))
    record = PostRecord(
        tags=_scalar_list(data.get("tags")),
        area=_scalar(data.get("area")),
        category=_scalar(data.get("category")),
    )
    for key, value in data.items():
        kind = KIND_SYNONYMS.get(str(key), str(key))
        if kind in ENTITY_KINDS:
            record.names.setdefault(kind, []).extend(_scalar_list(value))
    record.glosses = extract_glosses(body)
    return record


_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


# ---------------------------------------------------------------- state (incremental builds)


@dataclass
class FileState:
    mtime_ns: int
    size: int
    sha: str
    record: PostRecord | None  # None: the post was bad
    error: str = ""


def _load_state(path: Path, content_dir: Path) -> dict[str, FileState]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("version") != STATE_VERSION or data.get("content") != str(content_dir):
        return {}
    out: dict[str, FileState] = {}
    for rel, item in data.get("files", {}).items():
        try:
            rec = item.get("record")
            out[rel] = FileState(
                int(item["mtime_ns"]),
                int(item["size"]),
                str(item["sha"]),
                PostRecord(**rec) if isinstance(rec, dict) else None,
                str(item.get("error", "")),
            )
        except (KeyError, TypeError, ValueError):
            continue
    return out


def _dump_state(states: dict[str, FileState], content_dir: Path) -> str:
    files = {}
    for rel in sorted(states):
        st = states[rel]
        item: dict[str, Any] = {"mtime_ns": st.mtime_ns, "size": st.size, "sha": st.sha}
        if st.record is not None:
            item["record"] = st.record.__dict__
        else:
            item["error"] = st.error
        files[rel] = item
    return json.dumps(
        {"version": STATE_VERSION, "content": str(content_dir), "files": files}, ensure_ascii=False, separators=(",", ":")
    )


# ---------------------------------------------------------------- the vocabulary


@dataclass
class Entity:
    count: int
    aliases: list[str] = field(default_factory=list)


@dataclass
class Merge:
    """A suggested merge of two spellings; applied only once a person sets accepted: true."""

    kind: str
    source: str  # "from" in the file
    target: str  # "to" in the file
    reason: str
    accepted: bool = False
    rejected: bool = False

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "from": self.source,
            "to": self.target,
            "kind": self.kind,
            "reason": self.reason,
            "accepted": self.accepted,
        }
        if self.rejected:
            out["rejected"] = True
        return out


@dataclass
class Vocabulary:
    """The site vocabulary as read from (or about to be written to) `.enrich/vocab.yaml`."""

    tags: dict[str, int] = field(default_factory=dict)
    areas: dict[str, int] = field(default_factory=dict)
    categories: dict[str, int] = field(default_factory=dict)
    entities: dict[str, dict[str, Entity]] = field(default_factory=dict)
    merges: list[Merge] = field(default_factory=list)
    tag_aliases: dict[str, list[str]] = field(default_factory=dict)  # tag -> other words for it (glosses)
    words: dict[str, list[str]] = field(default_factory=dict)  # English tag word -> Chinese words
    tag_context: dict[str, dict[str, dict[str, int]]] = field(default_factory=dict)  # tag -> areas/categories
    posts: int = 0
    skipped: int = 0
    source: str = ""
    path: Path | None = None
    fingerprint: str | None = None  # sha256 of the file it was read from: part of the batch cache key

    # ------------------------------------------------------------ indexes (built on first use)

    @functools.cached_property
    def _accepted(self) -> dict[tuple[str, str], str]:
        return {(m.kind, m.source): m.target for m in self.merges if m.accepted and not m.rejected}

    @functools.cached_property
    def _name_index(self) -> dict[str, dict[str, str]]:
        """kind -> name key -> canonical name (the most used canonical wins a shared key)."""
        index: dict[str, dict[str, str]] = {}
        for kind in ENTITY_KINDS:
            table: dict[str, str] = {}
            ranked = sorted(self.entities.get(kind, {}).items(), key=lambda kv: -kv[1].count)
            for canonical, _ in ranked:
                table.setdefault(name_key(canonical), canonical)
            for canonical, ent in ranked:
                for alias in ent.aliases:
                    table.setdefault(name_key(alias), canonical)
            index[kind] = table
        return index

    @functools.cached_property
    def _tag_index(self) -> dict[str, str]:
        """Twin key / alias key -> existing tag (the most used tag wins)."""
        table: dict[str, str] = {}
        for tag, _ in sorted(self.tags.items(), key=lambda kv: (-kv[1], kv[0])):
            table.setdefault(tag_twin_key(tag), tag)
        for tag, aliases in self.tag_aliases.items():
            for alias in aliases:
                key = name_key(alias) if has_cjk(alias) else tag_twin_key(alias)
                table.setdefault(key, tag)
        return table

    @functools.cached_property
    def _tag_terms(self) -> dict[str, list[tuple[str, float]]]:
        """Term (lowercase English phrase or Simplified Chinese word) -> [(tag, weight)] for matching text."""
        terms: dict[str, list[tuple[str, float]]] = defaultdict(list)
        for tag in self.tags:
            if self._accepted.get(("tags", tag)):
                continue
            words = [_singular(w) for w in slugify(tag).split("-") if w]
            if not words:
                continue
            if len(words) > 1:
                terms[" ".join(words)].append((tag, 3.0))
            elif words[0] not in _GENERIC_WORDS:
                terms[words[0]].append((tag, 1.0))  # one English word is weak evidence
            for alias in self.tag_aliases.get(tag, []):
                key = name_key(alias) if has_cjk(alias) else " ".join(_singular(w) for w in slugify(alias).split("-"))
                if key:
                    terms[key].append((tag, 2.5 if has_cjk(alias) and len(key) >= 3 else 1.5))
            if len(words) == 1 and words[0] not in _GENERIC_WORDS:
                for zh in self.words.get(words[0], []):
                    terms[name_key(zh)].append((tag, 1.0))
        return dict(terms)

    @functools.cached_property
    def _word_terms(self) -> dict[str, set[str]]:
        """Term -> English tag words it stands for (for partial matches of multi-word tags)."""
        out: dict[str, set[str]] = defaultdict(set)
        for word, zhs in self.words.items():
            out[word].add(word)
            for zh in zhs:
                out[name_key(zh)].add(word)
        for tag in self.tags:
            for w in slugify(tag).split("-"):
                if len(w) >= 3:
                    out[_singular(w)].add(_singular(w))
        return dict(out)

    # ------------------------------------------------------------ queries

    def canonical_name(self, kind: str, name: str) -> str | None:
        """The canonical form of `name` among this kind's names (through aliases and accepted merges)."""
        kind = KIND_SYNONYMS.get(kind, kind)
        if kind in TAG_KINDS:
            return self.canonical_tag(name)
        found = self._name_index.get(kind, {}).get(name_key(name))
        if found is None:
            return None
        seen = {found}
        while (nxt := self._accepted.get((kind, found))) and nxt not in seen:
            seen.add(nxt)
            found = nxt
        return found

    def find_name(self, name: str, prefer: str | None = None) -> tuple[str, str] | None:
        """(kind, canonical) for a name of any entity kind, trying `prefer` first."""
        kinds = ([prefer] if prefer else []) + [k for k in ENTITY_KINDS if k != prefer]
        best: tuple[int, str, str] | None = None
        for kind in kinds:
            canonical = self.canonical_name(kind, name)
            if canonical is not None:
                if kind == prefer:
                    return kind, canonical
                count = self.entities[kind][canonical].count if canonical in self.entities.get(kind, {}) else 0
                if best is None or count > best[0]:
                    best = (count, kind, canonical)
        return (best[1], best[2]) if best else None

    def aliases(self, kind: str, canonical: str) -> list[str]:
        kind = KIND_SYNONYMS.get(kind, kind)
        if kind in TAG_KINDS:
            return list(self.tag_aliases.get(canonical, []))
        ent = self.entities.get(kind, {}).get(canonical)
        return list(ent.aliases) if ent else []

    def canonical_tag(self, tag: str) -> str | None:
        """The existing tag `tag` stands for (itself, accepted merge target, twin or alias), or None."""
        found: str | None = tag if tag in self.tags else None
        if found is None:
            key = name_key(tag) if has_cjk(tag) else tag_twin_key(tag)
            found = self._tag_index.get(key)
        if found is None:
            return None
        seen = {found}
        while (nxt := self._accepted.get(("tags", found))) and nxt not in seen:
            seen.add(nxt)
            found = nxt
        return found

    def tag_count(self, tag: str) -> int:
        count = self.tags.get(tag, 0)
        for (kind, source), target in self._accepted.items():
            if kind == "tags" and target == tag:
                count += self.tags.get(source, 0)
        return count

    def score_tags(self, text: str) -> dict[str, float]:
        """Evidence that each existing tag fits `text`: its words, glossed aliases and word translations."""
        counts = _term_counts(text, self._tag_terms.keys() | self._word_terms.keys())
        scores: dict[str, float] = defaultdict(float)
        for term, n in counts.items():
            for tag, weight in self._tag_terms.get(term, []):
                scores[tag] += weight * math.log1p(n)
        # multi-word tags whose every word shows up (in either language)
        present: dict[str, int] = defaultdict(int)
        for term, n in counts.items():
            for word in self._word_terms.get(term, ()):
                present[word] += n
        for tag in self.tags:
            words = [_singular(w) for w in slugify(tag).split("-") if w]
            if len(words) < 2 or self._accepted.get(("tags", tag)):
                continue
            hits = [present.get(w, 0) for w in words]
            if all(hits):
                scores[tag] += 1.0 * math.log1p(min(hits))
        for tag in list(scores):
            scores[tag] += 0.25 * math.log1p(self.tag_count(tag))
        return dict(scores)

    def shortlist_tags(self, text: str, limit: int = 40) -> list[str]:
        """Existing tags relevant to this transcript, best first, padded with popular ones for the prompt."""
        scores = self.score_tags(text)
        ranked = sorted(scores, key=lambda t: (-scores[t], -self.tags.get(t, 0), t))
        out = ranked[:limit]
        if len(out) < min(limit, 10):  # a little of the site's habit for texts that match almost nothing
            for tag in self.popular_tags(limit):
                if len(out) >= min(limit, 10):
                    break
                if tag not in out:
                    out.append(tag)
        return out

    def popular_tags(self, limit: int = 20) -> list[str]:
        usable = [t for t in self.tags if not self._accepted.get(("tags", t))]
        return sorted(usable, key=lambda t: (-self.tag_count(t), t))[:limit]

    def guess_area_category(
        self, tags: Iterable[str], area_enum: tuple[str, ...] | None, category_enum: tuple[str, ...] | None
    ) -> tuple[str, str]:
        """Area and category that posts with these tags used most, else the site's most common."""
        area_votes: Counter[str] = Counter()
        cat_votes: Counter[str] = Counter()
        for tag in tags:
            ctx = self.tag_context.get(tag, {})
            weight = 1.0 / math.sqrt(max(1, self.tags.get(tag, 1)))  # rare tags say more
            for a, n in ctx.get("areas", {}).items():
                area_votes[a] += n * weight  # type: ignore[assignment]
            for c, n in ctx.get("categories", {}).items():
                cat_votes[c] += n * weight  # type: ignore[assignment]
        return (_pick(area_votes, self.areas, area_enum), _pick(cat_votes, self.categories, category_enum))

    def explain(self, query: str) -> list[dict[str, Any]]:
        """Every entry `query` names (a tag, a canonical name or an alias), for `vocab show`."""
        out: list[dict[str, Any]] = []
        tag = self.canonical_tag(query)
        if tag is not None:
            out.append(
                {
                    "kind": "tags",
                    "name": tag,
                    "count": self.tags.get(tag, 0),
                    "aliases": self.tag_aliases.get(tag, []),
                    "twins": sorted(t for t in self.tags if t != tag and tag_twin_key(t) == tag_twin_key(tag)),
                    "context": self.tag_context.get(tag, {}),
                    "merges": [m.to_dict() for m in self.merges if m.kind == "tags" and tag in (m.source, m.target)],
                }
            )
        for kind, label in (("areas", "area"), ("categories", "category")):
            table = getattr(self, kind)
            if query in table:
                out.append({"kind": label, "name": query, "count": table[query], "aliases": [], "merges": []})
        for kind in ENTITY_KINDS:
            canonical = self.canonical_name(kind, query)
            if canonical is None:
                continue
            ent = self.entities[kind].get(canonical, Entity(0))
            out.append(
                {
                    "kind": kind,
                    "name": canonical,
                    "count": ent.count,
                    "aliases": ent.aliases,
                    "merges": [m.to_dict() for m in self.merges if m.kind == kind and canonical in (m.source, m.target)],
                }
            )
        return out

    def posts_using(self, entry: dict[str, Any], limit: int = MAX_POST_EXAMPLES) -> tuple[list[str], int] | None:
        """A few posts (relative paths) that use this entry, from the state file; None without one."""
        if self.path is None:
            return None
        state_path = self.path.with_name(STATE_NAME)
        try:
            data = json.loads(state_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        kind, name = entry["kind"], entry["name"]
        forms = {name_key(name)} | {name_key(a) for a in entry.get("aliases", [])}
        hits: list[str] = []
        for rel, item in sorted(data.get("files", {}).items()):
            rec = item.get("record")
            if not isinstance(rec, dict):
                continue
            if kind == "tags":
                used = name in rec.get("tags", [])
            elif kind in ("area", "category"):
                used = rec.get(kind) == name
            else:
                used = any(name_key(n) in forms for n in rec.get("names", {}).get(kind, []))
            if used:
                hits.append(rel)
        return hits[:limit], len(hits)


def _pick(votes: Counter[str], overall: dict[str, int], enum: tuple[str, ...] | None) -> str:
    for value, _ in votes.most_common():
        if enum is None or value in enum:
            return value
    for value in sorted(overall, key=lambda v: -overall[v]):
        if enum is None or value in enum:
            return value
    return enum[0] if enum else ""


_WORD = re.compile(r"[A-Za-z][A-Za-z0-9+#.'’-]*[A-Za-z0-9+#]|[A-Za-z]")
_CJK_RUN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")
MAX_SCAN_CHARS = 300_000


def _sample(text: str, limit: int = MAX_SCAN_CHARS) -> str:
    """At most `limit` characters, taken as evenly spaced windows so a long transcript is seen whole."""
    if len(text) <= limit:
        return text
    windows = 10
    step = len(text) // windows
    size = limit // windows
    return "\n".join(text[i * step : i * step + size] for i in range(windows))


def _term_counts(text: str, terms: Iterable[str]) -> Counter[str]:
    """How often each of `terms` occurs: English as word n-grams (singular), Chinese as substrings."""
    text = _sample(text)
    termset = set(terms)
    lengths = sorted({len(t) for t in termset if t and has_cjk(t)})
    counts: Counter[str] = Counter()
    words = [_singular(w.lower().replace("’", "'")) for w in _WORD.findall(text)]
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


# ---------------------------------------------------------------- loading and writing the file


def find_vocab_file(start: Path) -> Path | None:
    here = start.resolve()
    if here.is_file():
        here = here.parent
    for folder in (here, *here.parents):
        candidate = folder / VOCAB_DIR / VOCAB_NAME
        if candidate.is_file():
            return candidate
    return None


def load_vocabulary(start: Path, vocab_file: Path | None = None) -> Vocabulary | None:
    """The vocabulary at `vocab_file`, or the nearest `.enrich/vocab.yaml` at or above `start`; None if absent."""
    path = vocab_file if vocab_file is not None else find_vocab_file(start)
    if path is None or not path.is_file():
        if vocab_file is not None:
            raise ConfigError("vocabulary file not found", path=str(vocab_file))
        return None
    try:
        text = path.read_text(encoding="utf-8-sig")
        data = yaml.load(text, Loader=_Loader)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read the vocabulary: {exc}", path=str(path)) from None
    vocab = vocabulary_from_data(data, str(path))
    vocab.path = path
    vocab.fingerprint = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return vocab


def _count_map(value: Any) -> dict[str, int]:
    if not isinstance(value, dict):
        return {}
    out = {}
    for k, v in value.items():
        try:
            out[str(k)] = int(v)
        except (TypeError, ValueError):
            out[str(k)] = 0
    return out


def vocabulary_from_data(data: Any, where: str = "vocabulary") -> Vocabulary:
    if not isinstance(data, dict):
        raise ConfigError("the vocabulary is not a mapping", path=where)
    if data.get("version") != VERSION:
        raise ConfigError(f"unsupported vocabulary version {data.get('version')!r}", path=where)
    entities: dict[str, dict[str, Entity]] = {}
    for kind in ENTITY_KINDS:
        table = data.get(kind) or {}
        entities[kind] = {}
        if isinstance(table, dict):
            for name, item in table.items():
                item = item if isinstance(item, dict) else {"count": item}
                try:
                    count = int(item.get("count") or 0)
                except (TypeError, ValueError):
                    count = 0
                entities[kind][str(name)] = Entity(count, [str(a) for a in _scalar_list(item.get("aliases"))])
    merges = []
    for item in data.get("merges") or []:
        if isinstance(item, dict) and item.get("from") and item.get("to"):
            merges.append(
                Merge(
                    str(item.get("kind") or "tags"),
                    str(item["from"]),
                    str(item["to"]),
                    str(item.get("reason") or ""),
                    item.get("accepted") is True,
                    item.get("rejected") is True,
                )
            )
    tag_aliases = {str(k): _scalar_list(v) for k, v in (data.get("tag_aliases") or {}).items()}
    words = {str(k): _scalar_list(v) for k, v in (data.get("words") or {}).items()}
    context: dict[str, dict[str, dict[str, int]]] = {}
    for tag, ctx in (data.get("tag_context") or {}).items():
        if isinstance(ctx, dict):
            context[str(tag)] = {"areas": _count_map(ctx.get("areas")), "categories": _count_map(ctx.get("categories"))}
    return Vocabulary(
        tags=_count_map(data.get("tags")),
        areas=_count_map(data.get("areas")),
        categories=_count_map(data.get("categories")),
        entities=entities,
        merges=merges,
        tag_aliases=tag_aliases,
        words=words,
        tag_context=context,
        posts=int(data.get("posts") or 0),
        skipped=int(data.get("skipped") or 0),
        source=str(data.get("source") or ""),
    )


_RESOLVER = yaml.resolver.Resolver()
_PLAIN = re.compile(r"^[^\s\-?:,\[\]{}#&*!|>'\"%@`][^,\[\]{}#:]*$")


def _y(value: str) -> str:
    """A YAML scalar for a flow context: plain when safe, else double-quoted."""
    if (
        value
        and _PLAIN.match(value)
        and not value.endswith(" ")
        and " #" not in value
        and _RESOLVER.resolve(yaml.ScalarNode, value, (True, False)) == "tag:yaml.org,2002:str"  # type: ignore[no-untyped-call]
    ):
        return value
    return json.dumps(value, ensure_ascii=False)


def _flow_list(values: list[str]) -> str:
    return "[" + ", ".join(_y(v) for v in values) + "]"


def _counts_block(name: str, table: dict[str, int]) -> list[str]:
    if not table:
        return [f"{name}: {{}}"]
    ordered = sorted(table.items(), key=lambda kv: (-kv[1], kv[0]))
    return [f"{name}:"] + [f"  {_y(k)}: {v}" for k, v in ordered]


def dump_vocabulary(vocab: Vocabulary) -> str:
    """The file text: one entry per line, sorted by count then name, so diffs show what changed."""
    lines = [
        "# The site vocabulary, built by `enrich vocab build` from the posts themselves. Edit only the",
        "# merges' `accepted: false` -> `true` (or `rejected: true`); the rest is regenerated.",
        f"version: {VERSION}",
        f"source: {_y(vocab.source)}" if vocab.source else "source: ''",
        f"posts: {vocab.posts}",
        f"skipped: {vocab.skipped}",
    ]
    lines += _counts_block("tags", vocab.tags)
    lines += _counts_block("areas", vocab.areas)
    lines += _counts_block("categories", vocab.categories)
    for kind in ENTITY_KINDS:
        table = vocab.entities.get(kind, {})
        if not table:
            lines.append(f"{kind}: {{}}")
            continue
        lines.append(f"{kind}:")
        for name, ent in sorted(table.items(), key=lambda kv: (-kv[1].count, kv[0])):
            lines.append(f"  {_y(name)}: {{count: {ent.count}, aliases: {_flow_list(ent.aliases)}}}")
    if vocab.merges:
        lines.append("merges:")
        for m in vocab.merges:
            extra = ", rejected: true" if m.rejected else ""
            lines.append(
                f"  - {{from: {_y(m.source)}, to: {_y(m.target)}, kind: {m.kind}, reason: {_y(m.reason)}, "
                f"accepted: {'true' if m.accepted else 'false'}{extra}}}"
            )
    else:
        lines.append("merges: []")
    lines.append("# tag -> other words for it, learned from glossed terms in post bodies")
    lines.append("tag_aliases:" if vocab.tag_aliases else "tag_aliases: {}")
    for tag in sorted(vocab.tag_aliases):
        lines.append(f"  {_y(tag)}: {_flow_list(vocab.tag_aliases[tag])}")
    lines.append("# English word of a tag -> Chinese words glossed with it")
    lines.append("words:" if vocab.words else "words: {}")
    for word in sorted(vocab.words):
        lines.append(f"  {_y(word)}: {_flow_list(vocab.words[word])}")
    lines.append("# tag -> areas and categories of the posts that use it")
    lines.append("tag_context:" if vocab.tag_context else "tag_context: {}")
    for tag in sorted(vocab.tag_context):
        ctx = vocab.tag_context[tag]
        areas = ", ".join(f"{_y(k)}: {v}" for k, v in sorted(ctx.get("areas", {}).items(), key=lambda kv: (-kv[1], kv[0])))
        cats = ", ".join(f"{_y(k)}: {v}" for k, v in sorted(ctx.get("categories", {}).items(), key=lambda kv: (-kv[1], kv[0])))
        lines.append(f"  {_y(tag)}: {{areas: {{{areas}}}, categories: {{{cats}}}}}")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- building


@dataclass
class BuildResult:
    vocab: Vocabulary
    out: Path
    state: Path
    posts: int
    read: int  # files actually (re-)read this run
    reused: int
    skipped: list[str]  # one line per bad post
    merges: int


def _iter_posts(content_dir: Path) -> Iterator[Path]:
    for path in sorted(content_dir.rglob("*")):
        if (
            path.suffix.lower() in (".md", ".markdown")
            and path.is_file()
            and not any(part.startswith(".") for part in path.relative_to(content_dir).parts)
        ):
            yield path


def build_vocabulary(content_dir: Path, out: Path | None = None) -> BuildResult:
    """Read (or re-read what changed among) the posts of `content_dir` and write the vocabulary file."""
    content_dir = content_dir.resolve()
    if not content_dir.is_dir():
        raise InputError("not a folder", path=str(content_dir))
    out = out if out is not None else Path.cwd() / VOCAB_DIR / VOCAB_NAME
    state_path = out.with_name(STATE_NAME)
    old_states = _load_state(state_path, content_dir)
    states: dict[str, FileState] = {}
    read = reused = 0
    for path in _iter_posts(content_dir):
        rel = path.relative_to(content_dir).as_posix()
        try:
            st = path.stat()
        except OSError:
            continue
        old = old_states.get(rel)
        if old is not None and old.mtime_ns == st.st_mtime_ns and old.size == st.st_size:
            states[rel] = old
            reused += 1
            continue
        try:
            raw = path.read_bytes()
        except OSError as exc:
            states[rel] = FileState(st.st_mtime_ns, st.st_size, "", None, f"cannot read: {exc}")
            continue
        sha = hashlib.sha256(raw).hexdigest()
        if old is not None and old.sha == sha:  # touched, not changed
            states[rel] = FileState(st.st_mtime_ns, st.st_size, sha, old.record, old.error)
            reused += 1
            continue
        read += 1
        try:
            record: PostRecord | None = read_post(path)
            error = ""
        except InputError as exc:
            record, error = None, exc.message
        states[rel] = FileState(st.st_mtime_ns, st.st_size, sha, record, error)
    previous: Vocabulary | None = None
    if out.is_file():
        try:
            previous = load_vocabulary(out.parent, out)
        except ConfigError:
            previous = None
    records = [s.record for s in states.values() if s.record is not None]
    vocab = aggregate(records, previous)
    vocab.posts = len(records)
    vocab.skipped = len(states) - len(records)
    try:
        vocab.source = os.path.relpath(content_dir, out.parent.parent)
    except ValueError:
        vocab.source = str(content_dir)
    atomic_write(out, dump_vocabulary(vocab))
    atomic_write(state_path, _dump_state(states, content_dir))
    vocab.path = out
    skipped = [f"{rel}: {s.error}" for rel, s in sorted(states.items()) if s.record is None]
    return BuildResult(vocab, out, state_path, len(states), read, reused, skipped, len(vocab.merges))


def _is_latin_name(name: str) -> bool:
    return bool(_LATIN.search(name)) and not has_cjk(name)


def aggregate(records: list[PostRecord], previous: Vocabulary | None = None) -> Vocabulary:
    """Counts, canonical names with aliases, glossary-derived tag aliases, merges (keeping accepted flags)."""
    tags: Counter[str] = Counter()
    areas: Counter[str] = Counter()
    categories: Counter[str] = Counter()
    forms: dict[str, Counter[str]] = {k: Counter() for k in ENTITY_KINDS}
    zh_to_en: dict[str, Counter[str]] = defaultdict(Counter)  # name key of Chinese -> English forms
    en_to_zh: dict[str, Counter[str]] = defaultdict(Counter)  # name key of English -> Chinese forms
    context: dict[str, dict[str, Counter[str]]] = defaultdict(lambda: {"areas": Counter(), "categories": Counter()})
    for rec in records:
        post_tags = list(dict.fromkeys(rec.tags))
        tags.update(post_tags)
        if rec.area:
            areas[rec.area] += 1
        if rec.category:
            categories[rec.category] += 1
        for tag in post_tags:
            if rec.area:
                context[tag]["areas"][rec.area] += 1
            if rec.category:
                context[tag]["categories"][rec.category] += 1
        for kind, names in rec.names.items():
            forms[kind].update(dict.fromkeys(names, 1))
        for zh, *ens in rec.glosses:
            for en in ens:
                zh_to_en[name_key(zh)][en] += 1
                en_to_zh[name_key(en)][zh] += 1

    entities = {kind: _group_names(forms[kind], zh_to_en, en_to_zh) for kind in ENTITY_KINDS}

    # tag aliases and word translations from glosses whose English is an existing tag (or one of its words)
    twin_to_tag: dict[str, str] = {}
    for tag, _ in sorted(tags.items(), key=lambda kv: (-kv[1], kv[0])):
        twin_to_tag.setdefault(tag_twin_key(tag), tag)
    tag_words = {_singular(w) for t in tags for w in slugify(t).split("-") if len(w) >= 3}
    alias_votes: dict[str, Counter[str]] = defaultdict(Counter)
    word_votes: dict[str, Counter[str]] = defaultdict(Counter)
    for rec in records:
        for zh, *ens in rec.glosses:
            zh_s = to_simplified(zh)
            if not 2 <= len(zh_s) <= 8 or not _CJK_RUN.fullmatch(zh_s):
                continue
            for en in ens:
                twin = tag_twin_key(en)
                if twin in twin_to_tag:
                    alias_votes[twin_to_tag[twin]][zh_s] += 1
                if "-" not in twin and twin in tag_words:
                    word_votes[twin][zh_s] += 1
    tag_aliases = {t: [a for a, _ in c.most_common(MAX_TAG_ALIASES)] for t, c in alias_votes.items()}
    words = {w: [a for a, n in c.most_common(3) if n >= 1] for w, c in word_votes.items()}
    for word, zhs in SEED_WORDS.items():
        if word in tag_words:
            words[word] = list(dict.fromkeys(zhs.split() + words.get(word, [])))[:5]

    vocab = Vocabulary(
        tags=dict(tags),
        areas=dict(areas),
        categories=dict(categories),
        entities=entities,
        tag_aliases=tag_aliases,
        words=words,
        tag_context={t: {"areas": dict(c["areas"]), "categories": dict(c["categories"])} for t, c in context.items()},
    )
    acronyms: dict[str, str] = {}
    for rec in records:
        for _zh, *ens in rec.glosses:
            for short in ens:
                if re.fullmatch(r"[A-Z][A-Z0-9]{1,6}s?", short):
                    for long in ens:
                        initials = re.findall(r"[A-Za-z]+", long)
                        if len(initials) >= 2 and "".join(w[0] for w in initials).upper() == short.rstrip("s").upper():
                            acronyms[short.rstrip("s").lower()] = slugify(long)
    vocab.merges = _keep_decisions(suggest_merges(vocab, acronyms), previous)
    return vocab


def _group_names(forms: Counter[str], zh_to_en: dict[str, Counter[str]], en_to_zh: dict[str, Counter[str]]) -> dict[str, Entity]:
    """Group spellings of one name (case, spacing, script, glosses) under one canonical form."""
    groups: dict[str, Counter[str]] = defaultdict(Counter)
    for name, n in forms.items():
        key = name_key(name)
        if key:
            groups[key][name] += n
    # a Chinese-only group joins the English name its glosses give, if that name is used too
    for key in [k for k, g in groups.items() if not any(_is_latin_name(f) for f in g)]:
        english = zh_to_en.get(key)
        if not english:
            continue
        for en, _ in english.most_common(3):
            target = name_key(en)
            if target in groups and target != key and any(_is_latin_name(f) for f in groups[target]):
                groups[target].update(groups.pop(key))
                break
    # a Chinese-only group still takes the English name its glosses give as canonical (台積電 -> TSMC)
    for key, group in groups.items():
        if any(_is_latin_name(f) for f in group):
            continue
        glossed = [en for en, _ in zh_to_en.get(key, Counter()).most_common(3) if _is_latin_name(en) and len(en) <= 40]
        if glossed:
            group[glossed[0]] += 0
    out: dict[str, Entity] = {}
    for group in groups.values():
        latin = [f for f in group if _is_latin_name(f)]
        pool = latin or list(group)
        canonical = sorted(pool, key=lambda f: (-group[f], to_simplified(f) != f, f.isupper() and len(f) > 4, f))[0]
        aliases = sorted((f for f in group if f != canonical), key=lambda f: (-group[f], f))
        seen = {name_key(canonical)} | {name_key(a) for a in aliases}
        extra: Counter[str] = Counter()
        tokens = set(canonical.casefold().split())
        for member_key in {name_key(f) for f in group}:
            for zh, n in en_to_zh.get(member_key, Counter()).items():
                extra[zh] += n
            for en, n in zh_to_en.get(member_key, Counter()).items():
                alt_tokens = set(en.casefold().split())
                if alt_tokens <= tokens or tokens <= alt_tokens:  # Trump, Powell; not Colin Powell
                    extra[en] += n
        for alt, _ in extra.most_common():
            alt_key = name_key(alt)
            if alt_key in seen or len(alt) > 24 or len(alt_key) < 2 or "**" in alt:
                continue
            seen.add(alt_key)
            aliases.append(alt)
        out[canonical] = Entity(sum(group.values()), aliases[:MAX_ALIASES])
    return out


def suggest_merges(vocab: Vocabulary, acronyms: dict[str, str] | None = None) -> list[Merge]:
    """Pairs a person would likely fold into one: case, hyphenation, plural, word order, acronyms, near-duplicates."""
    merges: list[Merge] = []
    merges += _tag_merges(vocab.tags)
    merges += _acronym_merges(vocab.tags, acronyms or {}, {m.source for m in merges})
    for kind in ENTITY_KINDS:
        merges += _name_merges(kind, vocab.entities.get(kind, {}))
    return merges


def _tag_merges(tags: dict[str, int]) -> list[Merge]:
    rules: list[tuple[str, Any]] = [
        ("case", lambda t: t.strip().lower()),
        ("hyphenation", lambda t: re.sub(r"[^a-z0-9\u3400-\u9fff]", "", t.lower())),
        ("plural", tag_twin_key),
        ("word-order", lambda t: "-".join(sorted(tag_twin_key(t).split("-")))),
        ("near-duplicate", lambda t: "-".join(_stem(w) for w in slugify(t).split("-"))),
    ]
    merged: set[str] = set()
    out: list[Merge] = []
    ranked = sorted(tags, key=lambda t: (-tags[t], t))
    for reason, keyfn in rules:
        groups: dict[str, list[str]] = defaultdict(list)
        for tag in ranked:
            key = keyfn(tag)
            if key:
                groups[key].append(tag)
        for members in groups.values():
            if len(members) < 2:
                continue
            target = members[0]
            for source in members[1:]:
                if source in merged:
                    continue
                merged.add(source)
                out.append(Merge("tags", source, target, reason))
    return out


def _acronym_merges(tags: dict[str, int], acronyms: dict[str, str], taken: set[str]) -> list[Merge]:
    """llm / large-language-model: an acronym tag and its expansion, as the site's glosses spell it out."""
    by_twin: dict[str, str] = {}
    for tag in sorted(tags, key=lambda t: (-tags[t], t)):
        by_twin.setdefault(tag_twin_key(tag), tag)
    out = []
    for short, long in sorted(acronyms.items()):
        a, b = by_twin.get(tag_twin_key(short)), by_twin.get(tag_twin_key(long))
        if a and b and a != b and a not in taken and b not in taken:
            source, target = (a, b) if tags[a] < tags[b] or (tags[a] == tags[b] and a > b) else (b, a)
            taken.add(source)
            out.append(Merge("tags", source, target, "acronym"))
    return out


def _name_merges(kind: str, table: dict[str, Entity]) -> list[Merge]:
    out: list[Merge] = []
    by_key: dict[str, str] = {}
    ranked = sorted(table, key=lambda n: (-table[n].count, n))
    for name in ranked:
        key = name_key(re.sub(r"^(the)\s+", "", name, flags=re.I))
        key = re.sub(r"(inc|corp|corporation|ltd|llc|co)$", "", key) or key
        if key in by_key:
            out.append(Merge(kind, name, by_key[key], "near-duplicate"))
        else:
            by_key[key] = name
    return out


def _keep_decisions(merges: list[Merge], previous: Vocabulary | None) -> list[Merge]:
    """Carry a person's accepted/rejected flags over a rebuild, and keep merges they added by hand."""
    if previous is None:
        return merges
    decided = {(m.kind, m.source, m.target): m for m in previous.merges if m.accepted or m.rejected}
    seen = set()
    for m in merges:
        old = decided.get((m.kind, m.source, m.target))
        if old is not None:
            m.accepted, m.rejected = old.accepted, old.rejected
        seen.add((m.kind, m.source, m.target))
    merges.extend(m for key, m in decided.items() if key not in seen)
    return merges


# ---------------------------------------------------------------- applying it to a draft


def apply_vocabulary(values: dict[str, Any], vocab: Vocabulary, profile: Profile) -> tuple[dict[str, Any], list[Flag]]:
    """Map drafted tags and names onto the site's existing ones; flag what was mapped and what is new."""
    out = dict(values)
    flags: list[Flag] = []
    if isinstance(values.get("tags"), list):
        tags: list[str] = []
        for tag in values["tags"]:
            if not isinstance(tag, str) or not tag.strip():
                continue
            tag = tag.strip()
            existing = vocab.canonical_tag(tag)
            if existing is None:
                slug = slugify(tag) if not has_cjk(tag) else tag
                flags.append(Flag("new-tag", "tags", f"{slug!r} is not an existing tag of this site", slug))
                tags.append(slug)
            else:
                if existing != tag:
                    flags.append(Flag("vocab-mapped", "tags", f"{tag!r} -> existing tag {existing!r}", existing))
                tags.append(existing)
        out["tags"] = _dedupe(tags)
    for kind in ENTITY_KINDS:
        if kind not in profile.fields or not isinstance(values.get(kind), list):
            continue
        names: list[str] = []
        for name in values[kind]:
            if not isinstance(name, str) or not name.strip():
                continue
            name = name.strip()
            canonical = vocab.canonical_name(kind, name)
            if canonical is None:
                found = vocab.find_name(name, prefer=kind)
                canonical = found[1] if found else None
            if canonical is not None and canonical != name:
                flags.append(Flag("vocab-mapped", kind, f"{name!r} -> canonical {canonical!r}", canonical))
                names.append(canonical)
            else:
                names.append(name)
        out[kind] = _dedupe(names)
    return out, flags


def _dedupe(items: list[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for item in items:
        key = item.casefold()
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out
