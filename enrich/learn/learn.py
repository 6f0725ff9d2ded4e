"""What a site's posts say about its format, each finding with its evidence (share of posts).

Format settings (key order, list indentation, quoting, mirrored keys, keys always present) are learned
from the recent posts (the newest N by `date`): a site's format moves on, and drafts should look like
this month's posts. Enumerations count every post; a value too rare to trust is a suspect, not a member.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import ScalarNode, SequenceNode

from enrich.check.checker import expand_paths
from enrich.frontmatter.emit import inline_value
from enrich.frontmatter.split import BlockError, split_text
from enrich.frontmatter.yaml12 import load_yaml
from enrich.profile import Profile
from enrich.text import has_cjk, to_simplified

ENUM_FIELDS = ("area", "category", "status", "layout")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")
_KEBAB = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
DEFAULT_RECENT = 100


@dataclass
class PostInfo:
    path: str
    keys: list[str]
    data: dict[str, Any]
    pairs: list[tuple[str, Any]]  # (key, value node)
    lines: list[str]
    date: str


@dataclass(frozen=True)
class Finding:
    """One learned setting: its value, and the evidence as text (`639 of 642 recent posts (99.5%)`)."""

    value: Any
    evidence: str


@dataclass
class Learned:
    folder: str
    total: int
    skipped: list[tuple[str, str]]
    recent: int
    recent_span: tuple[str, str]
    key_order: Finding
    indent: Finding
    quote: Finding
    quoted: dict[str, Finding]
    mirror: dict[str, Finding]
    always: dict[str, Finding]  # key -> empty form
    enums: dict[str, tuple[list[tuple[str, int]], list[tuple[str, int]]]]  # field -> (members, suspects)
    tags: Finding
    summary: Finding
    language: Finding
    notes: list[str] = field(default_factory=list)


def share(part: int, whole: int, what: str) -> str:
    percent = 100.0 * part / whole if whole else 0.0
    return f"{part:,} of {whole:,} {what} ({percent:.1f}%)"


def read_posts(folder: Path) -> tuple[list[PostInfo], list[tuple[str, str]]]:
    """Every Markdown post under `folder` that parses, and (path, reason) for those that do not."""
    posts: list[PostInfo] = []
    skipped: list[tuple[str, str]] = []
    for path in expand_paths([str(folder)]):
        try:
            parts = split_text(Path(path).read_text(encoding="utf-8"))
            if parts is None or not parts.closed:
                skipped.append((path, "no closed front matter"))
                continue
            loaded = load_yaml(parts.block.text)
        except (OSError, UnicodeDecodeError, BlockError, yaml.YAMLError, ValueError, TypeError) as exc:
            skipped.append((path, type(exc).__name__))
            continue
        if not isinstance(loaded.data, dict):
            skipped.append((path, "front matter is not a mapping"))
            continue
        pairs = [(str(k.value), v) for k, v in loaded.pairs]
        date = str(loaded.data.get("date") or "")
        posts.append(PostInfo(path, [k for k, _ in pairs], loaded.data, pairs, parts.block.lines, date))
    return posts, skipped


def _key_order(recent: list[PostInfo]) -> Finding:
    orders = Counter(tuple(p.keys) for p in recent)
    best, count = orders.most_common(1)[0]
    seen = Counter(k for p in recent for k in p.keys if k not in best)
    order = [*best, *(k for k, _ in seen.most_common())]
    return Finding(order, share(count, len(recent), "recent posts write exactly this order"))


def _indent(recent: list[PostInfo]) -> Finding:
    indented = flush = 0
    for post in recent:
        has_in = any(line.startswith("  - ") for line in post.lines)
        has_flush = any(line.startswith("- ") for line in post.lines)
        indented += has_in and not has_flush
        flush += has_flush and not has_in
    with_lists = indented + flush
    if indented > flush:
        return Finding(2, share(indented, with_lists, "recent posts with lists indent items by two spaces (  - x)"))
    return Finding(0, share(flush, with_lists, "recent posts with lists write items flush (- x)"))


def _strings(node: Any) -> list[ScalarNode]:
    if isinstance(node, ScalarNode):
        return [node]
    if isinstance(node, SequenceNode):
        return [n for n in node.value if isinstance(n, ScalarNode)]
    return []


def _quoting(recent: list[PostInfo]) -> tuple[Finding, dict[str, Finding]]:
    needed: Counter[str] = Counter()
    by_key: dict[str, Counter[str]] = {}
    for post in recent:
        for key, node in post.pairs:
            for scalar in _strings(node):
                if scalar.tag != "tag:yaml.org,2002:str" or scalar.style in ("|", ">") or "\n" in scalar.value:
                    continue
                must = (inline_value(scalar.value) or "").startswith(("'", '"'))
                style = {"'": "single", '"': "double"}.get(scalar.style or "", "plain")
                if must:
                    needed[style] += 1
                else:
                    by_key.setdefault(key, Counter())[style] += 1
    quoted_total = needed["single"] + needed["double"]
    style = "double" if needed["double"] > needed["single"] else "single"
    quote = Finding(style, share(needed[style], quoted_total, f"values that must be quoted are in {style} quotes"))
    forced: dict[str, Finding] = {}
    for key, counts in sorted(by_key.items()):
        total = sum(counts.values())
        for kind in ("single", "double"):
            if total >= 10 and counts[kind] >= 0.8 * total:
                forced[key] = Finding(kind, share(counts[kind], total, f"{key} values are {kind}-quoted though they need not be"))
    return quote, forced


def _mirror(recent: list[PostInfo], profile: Profile) -> dict[str, Finding]:
    keys = sorted({k for p in recent for k, v in p.data.items() if isinstance(v, str)})
    found: dict[str, Finding] = {}
    for i, a in enumerate(keys):
        for b in keys[i + 1 :]:
            both = [p for p in recent if isinstance(p.data.get(a), str) and isinstance(p.data.get(b), str) and p.data[a].strip()]
            if len(both) < max(5, len(recent) // 2):
                continue
            equal = sum(p.data[a] == p.data[b] for p in both)
            enums = any(profile.fields[k].enum for k in (a, b) if k in profile.fields)
            varied = len({p.data[a] for p in both}) >= 3  # one value shared by every post is no mirror
            if equal >= 0.9 * len(both) and varied and not enums:
                spec_a = profile.fields.get(a)
                target, source = (a, b) if spec_a is None or spec_a.by == "person" else (b, a)
                found[target] = Finding(source, share(equal, len(both), f"recent posts with both have {target} = {source}"))
    return found


def _empty_form(post: PostInfo, key: str) -> str | None:
    value = post.data.get(key)
    if value in ("", [], None):
        node = dict(post.pairs).get(key)
        if isinstance(node, SequenceNode):
            return "[]"
        if isinstance(node, ScalarNode):
            return {"'": "''", '"': '""'}.get(node.style or "", "null" if value is None else "(nothing)")
    return None


def _always(recent: list[PostInfo]) -> dict[str, Finding]:
    present = Counter(k for p in recent for k in set(p.keys))
    out: dict[str, Finding] = {}
    for key, count in sorted(present.items(), key=lambda kv: _key_order(recent).value.index(kv[0])):
        if count < 0.99 * len(recent):
            continue
        forms = Counter(f for p in recent if (f := _empty_form(p, key)) is not None)
        form = forms.most_common(1)[0][0] if forms else ""
        empty = f"; empty as {form} in {forms[form]:,}" if form else "; never empty"
        out[key] = Finding(form, share(count, len(recent), "recent posts") + empty)
    return out


def _enums(posts: list[PostInfo], profile: Profile) -> dict[str, tuple[list[tuple[str, int]], list[tuple[str, int]]]]:
    out = {}
    for name in ENUM_FIELDS:
        counts = Counter(v for p in posts if isinstance(v := p.data.get(name), str) and v.strip())
        if not counts:
            continue
        floor = max(3, round(0.005 * sum(counts.values())))
        known = set(profile.fields[name].enum or ()) if name in profile.fields else set()
        members = [(v, c) for v, c in counts.most_common() if c >= floor or v in known]
        suspects = [(v, c) for v, c in counts.most_common() if (v, c) not in members]
        members += [(v, 0) for v in sorted(known - set(counts))]  # the profile's values the site has not used yet
        out[name] = (members, suspects)
    return out


def _tags(recent: list[PostInfo]) -> Finding:
    lists = [p.data["tags"] for p in recent if isinstance(p.data.get("tags"), list)]
    tags = [t for tags in lists for t in tags if isinstance(t, str)]
    if not tags:
        return Finding(None, "no tags")
    counts = sorted(len(t) for t in lists)
    kebab = sum(bool(_KEBAB.match(t)) for t in tags)
    cjk = sum(has_cjk(t) for t in tags)
    text = (
        f"{share(kebab, len(tags), 'tags are lowercase kebab-case')}; {share(cjk, len(tags), 'tags have Chinese')}; "
        f"{counts[0]}-{counts[-1]} per post, median {statistics.median(counts):g}"
    )
    return Finding((counts[0], counts[-1]), text)


def _summary(recent: list[PostInfo]) -> Finding:
    sizes = sorted(len(s) for p in recent if isinstance(s := p.data.get("summary"), str) and s.strip())
    if not sizes:
        return Finding(None, "no summaries")
    p95 = sizes[min(len(sizes) - 1, int(0.95 * len(sizes)))]
    return Finding((sizes[0], p95), f"{sizes[0]}-{sizes[-1]} characters, median {statistics.median(sizes):g}, 95% ≤ {p95}")


def _language(recent: list[PostInfo]) -> Finding:
    texts = [str(p.data.get(k)) for p in recent for k in ("title", "summary") if isinstance(p.data.get(k), str)]
    if not texts:
        return Finding(None, "no titles or summaries")
    chinese = [t for t in texts if has_cjk(t)]
    if len(chinese) * 2 < len(texts):
        return Finding(("en", "English"), share(len(texts) - len(chinese), len(texts), "titles and summaries have no Chinese"))
    simplified = sum(to_simplified(t) == t for t in chinese)
    if simplified * 2 >= len(chinese):
        evidence = share(len(chinese), len(texts), "titles and summaries are Chinese") + f", {simplified:,} in Simplified script"
        return Finding(("zh-Hans", "Simplified Chinese"), evidence)
    evidence = share(len(chinese), len(texts), "titles and summaries are Chinese") + ", mostly Traditional script"
    return Finding(("zh-Hant", "Traditional Chinese"), evidence)


def learn(folder: Path, profile: Profile, recent_count: int = DEFAULT_RECENT) -> Learned:
    """Everything `enrich init` learns from the posts under `folder` (the current profile supplies known enums)."""
    posts, skipped = read_posts(folder)
    if not posts:
        from enrich.errors import InputError

        raise InputError("no posts with front matter to learn from", path=str(folder))
    dated = sorted((p for p in posts if _DATE.match(p.date)), key=lambda p: p.date, reverse=True)
    recent = (dated or posts)[:recent_count]
    span = (recent[-1].date[:10], recent[0].date[:10]) if dated else ("?", "?")
    quote, quoted = _quoting(recent)
    return Learned(
        folder=str(folder),
        total=len(posts),
        skipped=skipped,
        recent=len(recent),
        recent_span=span,
        key_order=_key_order(recent),
        indent=_indent(recent),
        quote=quote,
        quoted=quoted,
        mirror=_mirror(recent, profile),
        always=_always(recent),
        enums=_enums(posts, profile),
        tags=_tags(recent),
        summary=_summary(recent),
        language=_language(recent),
    )
