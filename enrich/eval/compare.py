"""Two runs side by side: every figure of both, the difference, and which run is better per figure.

Comparing runs over different posts compares different questions; the comparison says how many
posts the runs share so a reader can tell.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass
from typing import Any, Literal

from enrich.eval.aggregate import Run, RunInfo, higher_is_better, metrics, summarize
from enrich.eval.table import Kind, format_value, label, render, summary_rows

Better = Literal["a", "b", "same", "-"]
_KINDS: dict[str, Kind] = {
    "cost.tokens_in": "tokens",
    "cost.tokens_out": "tokens",
    "cost.money": "money",
    "cost.seconds": "seconds",
    "cost.calls": "calls",
}
EPSILON = 1e-9


@dataclass(frozen=True)
class MetricDiff:
    """One figure in both runs; `diff` is b - a, `better` names the better run."""

    metric: str
    a: float | None
    b: float | None
    diff: float | None
    better: Better


@dataclass(frozen=True)
class Comparison:
    """Two runs figure by figure, with how many posts they share (different posts, different questions)."""

    a: RunInfo
    b: RunInfo
    rows: tuple[MetricDiff, ...]
    common_posts: int
    only_a: int
    only_b: int
    headline: tuple[str, ...] = ()  # the figures the terminal report shows (the rest are in the JSON)

    def better_of(self, metric: str) -> Better:
        """Which run is better on `metric` ('-' when one of them cannot measure it)."""
        return next((r.better for r in self.rows if r.metric == metric), "-")

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": "enrich-eval-compare",
            "version": 1,
            "a": asdict(self.a),
            "b": asdict(self.b),
            "posts": {"common": self.common_posts, "only_a": self.only_a, "only_b": self.only_b},
            "metrics": [asdict(r) for r in self.rows],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2) + "\n"

    def to_text(self, full: bool = False) -> str:
        """A table of both runs: field, measure, a, b, b - a, better; `full` adds precision and recall."""
        lines = [
            f"a: {_describe(self.a)}",
            f"b: {_describe(self.b)}",
            f"posts in both: {self.common_posts}"
            + (f" (only in a: {self.only_a}, only in b: {self.only_b})" if self.only_a or self.only_b else ""),
            "",
        ]
        rows = []
        shown = [r for r in self.rows if full or not self.headline or r.metric in self.headline]
        for r in shown:
            kind = _KINDS.get(r.metric, "rate")
            fld, measure = label(r.metric)
            rows.append((fld, measure, format_value(r.a, kind), format_value(r.b, kind), _signed(r.diff, kind), r.better))
        lines.append(render(("field", "measure", "a", "b", "b - a", "better"), rows, right=(2, 3, 4)))
        wins = Counter(r.better for r in shown)
        lines.append("")
        lines.append(f"better: a on {wins['a']} figures, b on {wins['b']}, the same on {wins['same']}")
        return "\n".join(lines) + "\n"


def _describe(info: RunInfo) -> str:
    parts = [info.model or "(no model)", info.prompt_version or "", info.profile or "", info.source, info.date]
    return "  ".join(p for p in parts if p)


def _signed(diff: float | None, kind: Kind) -> str:
    if diff is None:
        return "-"
    if abs(diff) < EPSILON:
        return "0"
    if kind == "rate":
        return f"{100 * diff:+.1f} pt"
    return ("+" if diff > 0 else "-") + format_value(abs(diff), kind)


def _better(metric: str, a: float | None, b: float | None) -> Better:
    if a is None or b is None:
        return "-"
    if abs(a - b) < EPSILON:
        return "same"
    return "b" if (b > a) == higher_is_better(metric) else "a"


def compare(run_a: Run, run_b: Run) -> Comparison:
    """Every figure of both runs, in report order; figures only one run has are kept with '-'."""
    sa, sb = summarize(run_a), summarize(run_b)
    ma, mb = metrics(sa), metrics(sb)
    rows = []
    for name in [*ma, *(k for k in mb if k not in ma)]:
        a, b = ma.get(name), mb.get(name)
        diff = b - a if a is not None and b is not None else None
        rows.append(MetricDiff(name, a, b, diff, _better(name, a, b)))
    posts_a = {p.post for p in run_a.posts}
    posts_b = {p.post for p in run_b.posts}
    return Comparison(
        a=run_a.info,
        b=run_b.info,
        rows=tuple(rows),
        common_posts=len(posts_a & posts_b),
        only_a=len(posts_a - posts_b),
        only_b=len(posts_b - posts_a),
        headline=tuple(dict.fromkeys(r.metric for r in summary_rows(sa) + summary_rows(sb))),
    )
