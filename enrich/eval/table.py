"""The rows every report shows (terminal, HTML, comparison), and column alignment for the terminal.

One list of rows, so the terminal table and the page can never disagree on what a field's figures are.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from enrich.eval.aggregate import Summary
from enrich.eval.score import Counts

Kind = Literal["rate", "tokens", "money", "seconds", "calls"]


@dataclass(frozen=True)
class Row:
    """One figure: which field, what is measured, the value and a detail a person can check it by."""

    field: str
    measure: str
    value: float | None
    detail: str = ""
    kind: Kind = "rate"
    metric: str = ""  # the dotted name in `metrics()`


def format_value(value: float | None, kind: Kind = "rate") -> str:
    """Rates as percentages, cost as plain numbers; '-' for what the run cannot measure."""
    if value is None:
        return "-"
    if kind == "rate":
        return f"{100 * value:.1f}%"
    if kind == "money":
        return f"${value:.4f}"
    if kind == "seconds":
        return f"{value:.1f} s"
    if kind == "calls":
        return f"{value:.2f}"
    return f"{value:,.0f}"


def _counts(c: Counts) -> str:
    return f"P {100 * c.precision:.1f}%  R {100 * c.recall:.1f}%  (tp {c.tp}, fp {c.fp}, fn {c.fn})"


def summary_rows(summary: Summary, top_confusions: int = 3) -> list[Row]:
    """The figures of a summary, field by field, overall first."""
    tag_field = summary.tag_field
    rows = [Row("overall", "score", summary.overall, f"mean of {len(summary.components)} components", metric="overall")]
    for name, t in summary.names.items():
        rows.append(Row(name, "exact F1", t.exact.f1, _counts(t.exact), metric=f"{name}.exact.f1"))
        rows.append(Row(name, "canonical F1", t.matched.f1, _counts(t.matched), metric=f"{name}.canonical.f1"))
    if summary.tags is not None:
        t = summary.tags
        rows.append(Row(tag_field, "exact F1", t.exact.f1, _counts(t.exact), metric=f"{tag_field}.exact.f1"))
        rows.append(Row(tag_field, "twin F1", t.matched.f1, _counts(t.matched), metric=f"{tag_field}.twin.f1"))
        detail = f"{t.known} of {t.drafted} drafted tags" if t.known is not None else "no vocabulary"
        rows.append(Row(tag_field, "known tags", t.known_share, detail, metric=f"{tag_field}.known_share"))
    for name, e in summary.enums.items():
        shown = ", ".join(f"{a or '(none)'} -> {d or '(none)'} x{n}" for a, d, n in e.confusions[:top_confusions])
        detail = f"{e.correct}/{e.total}" + (f"; {shown}" if shown else "")
        rows.append(Row(name, "accuracy", e.accuracy, detail, metric=f"{name}.accuracy"))
    for name, x in summary.texts.items():
        rows.append(Row(name, "language", x.language_rate, f"{x.posts} posts", metric=f"{name}.language"))
        rows.append(Row(name, "length ok", x.length_rate, metric=f"{name}.length"))
        rows.append(Row(name, "bigram F1", x.ngram_f1, "mean over posts", metric=f"{name}.ngram_f1"))
    rows.append(Row("validity", "passes check", summary.validity, "unedited drafts", metric="validity"))
    rows.append(Row("grounding", "found", summary.grounding, "entities with a mention", metric="grounding"))
    c = summary.cost
    money_total = f"total {format_value(c.total_money, 'money')}" if c.total_money is not None else "price unknown"
    rows.extend(
        [
            Row("cost", "tokens in", c.tokens_in, "per post", "tokens", "cost.tokens_in"),
            Row("cost", "tokens out", c.tokens_out, "per post", "tokens", "cost.tokens_out"),
            Row("cost", "money", c.money, f"per post; {money_total}", "money", "cost.money"),
            Row(
                "cost",
                "time",
                c.seconds,
                f"per post; total {format_value(c.total_seconds, 'seconds')}",
                "seconds",
                "cost.seconds",
            ),
            Row("cost", "calls", c.calls, "per post (repairs, chunks)", "calls", "cost.calls"),
        ]
    )
    return rows


_MEASURES = {
    "score": "score",
    "precision": "precision",
    "recall": "recall",
    "f1": "F1",
    "known_share": "known tags",
    "accuracy": "accuracy",
    "language": "language",
    "length": "length ok",
    "ngram_f1": "bigram F1",
    "tokens_in": "tokens in",
    "tokens_out": "tokens out",
    "money": "money",
    "seconds": "time",
    "calls": "calls",
}
_SINGLE = {"overall": ("overall", "score"), "validity": ("validity", "passes check"), "grounding": ("grounding", "found")}


def label(metric: str) -> tuple[str, str]:
    """(field, measure) for a dotted metric name: `people.canonical.f1` is ("people", "canonical F1")."""
    if metric in _SINGLE:
        return _SINGLE[metric]
    field, _, rest = metric.partition(".")
    words = [_MEASURES.get(w, w) for w in rest.split(".")]
    return field, " ".join(words)


def width(text: str) -> int:
    """Terminal columns: Chinese and other wide characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def render(headers: Sequence[str], rows: Sequence[Sequence[str]], right: Sequence[int] = ()) -> str:
    """A plain-text table, columns aligned by display width; `right` lists right-aligned columns."""
    table = [list(headers), *[list(r) for r in rows]]
    widths = [max(width(r[i]) for r in table) for i in range(len(headers))]
    lines = []
    for n, r in enumerate(table):
        cells = []
        for i, cell in enumerate(r):
            pad = " " * (widths[i] - width(cell))
            cells.append(pad + cell if i in right else cell + pad)
        lines.append("  ".join(cells).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)
