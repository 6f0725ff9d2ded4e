"""A run as one self-contained HTML page: bars per field, and every post's drafted and approved front
matter side by side with the differences marked.

Self-contained because it is opened from disk, mailed or attached to a pull request: inline CSS, no
script, no font or image, and a Content-Security-Policy that forbids loading anything. Every value
from a post is escaped: front matter is text from transcripts and models and can hold `<script>`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from html import escape
from typing import Any

from enrich.eval.aggregate import Run, Summary, summarize
from enrich.eval.review_log import ReviewAnalysis
from enrich.eval.score import ListScore, PostScore, TextScore, items
from enrich.eval.table import Row, format_value, summary_rows

CSS = """
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI","PingFang SC","Noto Sans CJK SC",sans-serif;
  margin:0 auto;max-width:1200px;padding:1.5rem;color:#1d2330;background:#fafbfc}
h1{font-size:1.6rem;margin:.2rem 0}h2{font-size:1.2rem;margin:2rem 0 .6rem;border-bottom:1px solid #dde1e6}
.meta{color:#586171;margin:.2rem 0 1rem}.meta b{color:#1d2330;font-weight:600}
.overall{display:flex;align-items:center;gap:1rem;font-size:1.1rem}.overall .num{font-size:2.2rem;font-weight:700}
table{border-collapse:collapse;width:100%}th,td{text-align:left;vertical-align:top;padding:.3rem .5rem}
.fields td{border-bottom:1px solid #eceef1}.fields td.v{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}
.fields td.d{color:#586171;font-size:.85rem}.fields tr.first td{border-top:2px solid #c9ced6}
.bar{background:#e7eaee;border-radius:3px;height:.8rem;width:14rem;overflow:hidden}
.bar span{display:block;height:100%}.hi{background:#2f9e5b}.mid{background:#d89a1c}.lo{background:#d0453a}
.posts details{background:#fff;border:1px solid #dde1e6;border-radius:6px;margin:.5rem 0}
.posts summary{cursor:pointer;padding:.5rem .8rem;font-weight:600}.posts summary .badge{font-weight:400}
.badge{display:inline-block;border-radius:9px;padding:0 .5rem;margin-left:.4rem;font-size:.8rem;background:#e7eaee}
.badge.bad{background:#f6d5d2;color:#8a1f16}.badge.ok{background:#d5efdf;color:#185c34}
.side{table-layout:fixed}.side th{background:#f2f4f7;font-size:.85rem}.side td{border-top:1px solid #eceef1;
  word-break:break-word}.side td.k{width:11rem;color:#586171;font-family:ui-monospace,monospace;font-size:.85rem}
.side td.changed{background:#fff4d6}.side ul{margin:0;padding:0;list-style:none}.side li{display:inline-block;
  margin:.1rem .25rem .1rem 0;padding:0 .35rem;border-radius:3px;background:#eef0f3}
li.extra{background:#f6d5d2;color:#8a1f16}li.missing{background:#d6e4fb;color:#173f86}
li.alias{background:#ffe39a;color:#5c4000;outline:1px dashed #b8860b}
.extra:before{content:"+ "}.missing:before{content:"\\2212  "}
.absent{color:#9aa1ad;font-style:italic}.note{display:block;color:#586171;font-size:.8rem;margin-top:.2rem}
.legend li{display:inline-block;margin-right:.8rem}.legend{list-style:none;padding:0;font-size:.85rem}
.err{color:#8a1f16}.stack{display:flex;height:.8rem;width:18rem;border-radius:3px;overflow:hidden;background:#e7eaee}
.kept{background:#2f9e5b}.edited{background:#d89a1c}.cleared{background:#d0453a}.filled{background:#4a7fd4}
"""
CSP = "default-src 'none'; style-src 'unsafe-inline'"


def _e(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return escape(text, quote=True)


def _bar(value: float | None) -> str:
    if value is None:
        return '<div class="bar"></div>'
    pct = max(0.0, min(100.0, 100 * value))
    tone = "hi" if value >= 0.8 else "mid" if value >= 0.5 else "lo"
    return f'<div class="bar" title="{pct:.1f}%"><span class="{tone}" style="width:{pct:.1f}%"></span></div>'


def _field_rows(rows: list[Row]) -> str:
    out, last = [], None
    for r in rows:
        first = ' class="first"' if r.field != last else ""
        last = r.field
        bar = _bar(r.value) if r.kind == "rate" else ""
        out.append(
            f"<tr{first}><td>{_e(r.field)}</td><td>{_e(r.measure)}</td><td>{bar}</td>"
            f'<td class="v">{_e(format_value(r.value, r.kind))}</td><td class="d">{_e(r.detail)}</td></tr>'
        )
    return "\n".join(out)


def _li(item: str, cls: str, title: str = "") -> str:
    tip = f' title="{_e(title)}"' if title else ""
    return f'<li class="{cls}"{tip}>{_e(item)}</li>'


def _list_cells(drafted: Any, approved: Any, score: ListScore | None) -> tuple[str, str, bool]:
    """Both lists as items, marked: drafted-only, approved-only (missed) and matched-through-vocabulary."""
    d, a = items(drafted), items(approved)
    if score is not None:
        extra, missing = set(score.extra), set(score.missing)
        via = {x: y for x, y in score.pairs}
        back = {y: x for x, y in score.pairs}
    else:
        extra, missing, via, back = set(d) - set(a), set(a) - set(d), {}, {}
    left = [
        _li(x, "extra", "not in the approved post")
        if x in extra
        else _li(x, "alias", f"matches {via[x]!r} in the approved post")
        if x in via
        else _li(x, "same")
        for x in d
    ]
    right = [
        _li(x, "missing", "the draft missed it")
        if x in missing
        else _li(x, "alias", f"the draft wrote {back[x]!r}")
        if x in back
        else _li(x, "same")
        for x in a
    ]
    differs = bool(extra or missing or via)

    def cell(parts: list[str], raw: Any) -> str:
        if raw is None:
            return '<span class="absent">absent</span>'
        return f"<ul>{''.join(parts)}</ul>" if parts else '<span class="absent">[]</span>'

    return cell(left, drafted), cell(right, approved), differs


def _text_note(t: TextScore) -> str:
    bits = [f"script {t.script}" + ("" if t.language_ok in (True, None) else " (wrong)")]
    bits.append(f"{t.length} chars" + ("" if t.length_ok in (True, None) else " (out of limits)"))
    if t.ngram_f1 is not None:
        bits.append(f"bigram F1 {100 * t.ngram_f1:.0f}%")
    return f'<span class="note">{_e(", ".join(bits))}</span>'


def _keys(post: PostScore, order: Iterable[str]) -> list[str]:
    rank = {k: i for i, k in enumerate(order)}
    keys = list(post.drafted) + [k for k in post.approved if k not in post.drafted]
    return sorted(keys, key=lambda k: (rank.get(k, len(rank)), k))


def _post_table(run: Run, post: PostScore) -> tuple[str, int]:
    """The side-by-side table of one post and how many keys differ."""
    plan = run.plan
    rows, differing = [], 0
    for key in _keys(post, plan.key_order):
        drafted, approved = post.drafted.get(key), post.approved.get(key)
        absent_d, absent_a = key not in post.drafted, key not in post.approved
        score = post.names.get(key) if key in plan.name_fields else post.tags if key == plan.tag_field else None
        if score is not None or isinstance(drafted, list) or isinstance(approved, list):
            left, right, differs = _list_cells(None if absent_d else drafted, None if absent_a else approved, score)
        else:
            differs = absent_d or absent_a or drafted != approved
            left = '<span class="absent">absent</span>' if absent_d else _e(drafted)
            right = '<span class="absent">absent</span>' if absent_a else _e(approved)
        if key in post.texts and not absent_d:
            left += _text_note(post.texts[key])
        if key in post.enums and post.enums[key].counted and not post.enums[key].correct:
            differs = True
        differing += differs
        cls = ' class="changed"' if differs else ""
        rows.append(f'<tr><td class="k">{_e(key)}</td><td{cls}>{left}</td><td{cls}>{right}</td></tr>')
    head = '<tr><th class="k">key</th><th>drafted</th><th>approved</th></tr>'
    return f'<table class="side">{head}\n' + "\n".join(rows) + "</table>", differing


def _post_section(run: Run, index: int, post: PostScore) -> str:
    table, differing = _post_table(run, post)
    badges = []
    if post.error:
        badges.append(f'<span class="badge bad">failed: {_e(post.error)}</span>')
    if post.valid is not None:
        badges.append(
            '<span class="badge ok">passes check</span>' if post.valid else '<span class="badge bad">fails check</span>'
        )
    badges.append(
        f'<span class="badge{" bad" if differing else " ok"}">{differing} difference{"" if differing == 1 else "s"}</span>'
    )
    if post.grounding.total:
        badges.append(f'<span class="badge">grounded {post.grounding.found}/{post.grounding.total}</span>')
    opened = " open" if differing and len(run.posts) <= 20 else ""
    return f'<details id="post-{index}"{opened}><summary>{_e(post.post)}{"".join(badges)}</summary>\n{table}</details>'


def _confusions(summary: Summary) -> str:
    parts = []
    for name, e in summary.enums.items():
        if not e.confusions:
            continue
        body = "".join(
            f'<tr><td>{_e(a or "(none)")}</td><td>{_e(d or "(none)")}</td><td class="v">{n}</td></tr>'
            for a, d, n in e.confusions[:10]
        )
        parts.append(
            f'<h3>{_e(name)}</h3><table class="fields"><tr><th>approved</th><th>drafted instead</th>'
            f'<th class="v">posts</th></tr>{body}</table>'
        )
    return ("<h2>What was chosen instead</h2>" + "\n".join(parts)) if parts else ""


OUTCOMES = ("kept", "edited", "cleared", "filled")


def _review_section(review: ReviewAnalysis, top: int = 20) -> str:
    """What people did to each field of approved drafts, and the edits they keep making."""
    rows = []
    for name, f in review.fields.items():
        parts = "".join(
            f'<span class="{k}" style="width:{100 * (f.rate(k) or 0):.1f}%" title="{k} {getattr(f, k)}"></span>' for k in OUTCOMES
        )
        counts = ", ".join(f"{k} {getattr(f, k)}" for k in OUTCOMES if getattr(f, k))
        rows.append(f'<tr><td>{_e(name)}</td><td><div class="stack">{parts}</div></td><td class="d">{_e(counts)}</td></tr>')
    edits = "".join(
        f'<tr><td class="v">{p.count}</td><td>{_e(p.field)}</td><td>{_e(p.kind)}</td><td>{_e(p.suggestion)}</td></tr>'
        for p in review.patterns[:top]
    )
    legend = " ".join(f'<span class="badge {k}" style="color:#fff">{k}</span>' for k in OUTCOMES)
    return (
        f'<h2>What people changed</h2><p class="meta">{review.approved} approved, {review.rejected} rejected, '
        f"{review.open} under review {legend}</p>"
        f'<table class="fields"><tr><th>field</th><th></th><th>approved drafts</th></tr>{"".join(rows)}</table>'
        + (
            '<h3>Most common edits</h3><table class="fields"><tr><th class="v">drafts</th><th>field</th><th>edit</th>'
            f"<th>what to do</th></tr>{edits}</table>"
            if edits
            else ""
        )
    )


def to_html(run: Run, title: str = "enrich eval", review: ReviewAnalysis | None = None) -> str:
    """The whole page as one string (UTF-8 when written); `review` adds what people changed in review."""
    summary = summarize(run)
    info = run.info
    meta = " · ".join(
        f"{label} <b>{_e(value)}</b>"
        for label, value in (*info.labelled(), ("posts", summary.posts), ("failed", summary.failed or None))
        if value not in (None, "")
    )
    overall = format_value(summary.overall)
    posts = "\n".join(_post_section(run, i, p) for i, p in enumerate(run.posts))
    legend = (
        '<ul class="legend"><li><span class="badge bad">+ item</span> drafted, not approved</li>'
        '<li><span class="badge" style="background:#d6e4fb">&#8722; item</span> approved, missed by the draft</li>'
        '<li><span class="badge" style="background:#ffe39a">item</span> same after vocabulary matching</li>'
        '<li><span class="badge" style="background:#fff4d6">cell</span> differs</li></ul>'
    )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_e(title)}</title><style>{CSS}</style></head>
<body>
<h1>{_e(title)}</h1>
<p class="meta">{meta}</p>
<div class="overall"><span class="num">{_e(overall)}</span>{_bar(summary.overall)}<span>overall score
(mean of {len(summary.components)} field scores)</span></div>
<h2>Fields</h2>
<table class="fields"><tr><th>field</th><th>measure</th><th></th><th class="v">value</th><th>detail</th></tr>
{_field_rows(summary_rows(summary))}
</table>
{_confusions(summary)}
{_review_section(review) if review is not None else ""}
<h2>Posts</h2>
{legend}
<div class="posts">
{posts}
</div>
</body></html>
"""
