"""Two runs side by side: every figure of both, the difference, and which run is better per figure.

Comparing runs over different posts compares different questions; the comparison says how many
posts the runs share so a reader can tell. And whether a difference is more than chance: on twenty
posts one name more or less moves an F1 by several points, and a model's answers vary from run to
run. So each difference comes with a 95% interval from a paired bootstrap over the posts both runs
scored (the same posts drawn again and again with replacement, both runs scored on each draw); a
run is surely better on a figure only when that interval leaves out zero.
"""

from __future__ import annotations

import json
import random
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
DRAWS = 1000  # bootstrap draws: enough for a 95% interval's ends to two digits
MIN_DRAWS = 200
DRAW_WORK = 200_000  # posts scored over all draws at most: bigger runs get fewer draws (a few seconds in all)
CONFIDENCE = 0.95


@dataclass(frozen=True)
class MetricDiff:
    """One figure in both runs; `diff` is b - a, `better` names the better run, `sure` says whether the
    posts can tell (the interval of b - a over the shared posts leaves out zero)."""

    metric: str
    a: float | None
    b: float | None
    diff: float | None
    better: Better
    interval: tuple[float, float] | None = None  # 95% bootstrap interval of b - a, over the shared posts
    sure: bool = False


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
            "metrics": [{**asdict(r), "interval": list(r.interval) if r.interval else None} for r in self.rows],
            "interval": {"confidence": CONFIDENCE, "draws": draws_for(self.common_posts), "over": "posts in both runs"},
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2) + "\n"

    def to_text(self, full: bool = False) -> str:
        """A table of both runs: field, measure, a, b, b - a, its interval, better; `full` adds precision
        and recall. A better run the posts cannot tell from the other is shown with a question mark."""
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
            better = r.better + ("?" if r.better in ("a", "b") and not r.sure else "")
            spread = f"{_signed(r.interval[0], kind)} .. {_signed(r.interval[1], kind)}" if r.interval else "-"
            rows.append((fld, measure, format_value(r.a, kind), format_value(r.b, kind), _signed(r.diff, kind), spread, better))
        lines.append(render(("field", "measure", "a", "b", "b - a", "95% interval", "better"), rows, right=(2, 3, 4, 5)))
        wins = Counter(r.better for r in shown)
        sure = Counter(r.better for r in shown if r.sure)
        lines.append("")
        lines.append(
            f"better: a on {wins['a']} figures ({sure['a']} sure), b on {wins['b']} ({sure['b']} sure), "
            f"the same on {wins['same']}"
        )
        if any(r.better in ("a", "b") and not r.sure for r in shown):
            lines.append(
                f"?: the {self.common_posts} posts in both cannot tell the runs apart on that figure "
                f"(its {CONFIDENCE:.0%} interval, from {draws_for(self.common_posts)} draws of those posts, holds 0)"
            )
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
    names = [*ma, *(k for k in mb if k not in ma)]
    intervals = paired_intervals(run_a, run_b, names)
    rows = []
    for name in names:
        a, b = ma.get(name), mb.get(name)
        diff = b - a if a is not None and b is not None else None
        better = _better(name, a, b)
        interval = intervals.get(name)
        rows.append(MetricDiff(name, a, b, diff, better, interval, _sure(name, better, interval)))
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


def _sure(metric: str, better: Better, interval: tuple[float, float] | None) -> bool:
    """Whether the whole interval of b - a lies on the side of the run called better."""
    if interval is None or better not in ("a", "b"):
        return False
    b_wins = interval[0] > EPSILON if higher_is_better(metric) else interval[1] < -EPSILON
    a_wins = interval[1] < -EPSILON if higher_is_better(metric) else interval[0] > EPSILON
    return b_wins if better == "b" else a_wins


def draws_for(posts: int) -> int:
    """Bootstrap draws for a comparison of `posts` shared posts: `DRAWS`, fewer for big runs."""
    return max(MIN_DRAWS, min(DRAWS, DRAW_WORK // max(posts, 1)))


def paired_intervals(run_a: Run, run_b: Run, names: list[str]) -> dict[str, tuple[float, float]]:
    """The `CONFIDENCE` interval of b - a for each figure, over the posts both runs scored.

    Each draw takes as many posts as they share, with replacement, and scores both runs on the same
    posts (paired: a post that is hard for one run is hard for the other). Seeded: the same two runs
    always give the same intervals. A figure that most draws cannot compute (no name drafted on any
    drawn post, say) has no interval.
    """
    by_a = {p.post: p for p in run_a.posts}
    by_b = {p.post: p for p in run_b.posts}
    common = sorted(by_a.keys() & by_b.keys())
    if len(common) < 2:
        return {}
    draws = draws_for(len(common))
    rng = random.Random(0)
    diffs: dict[str, list[float]] = {name: [] for name in names}
    for _ in range(draws):
        picked = rng.choices(common, k=len(common))
        ma = metrics(summarize(Run(run_a.info, run_a.plan, [by_a[k] for k in picked])))
        mb = metrics(summarize(Run(run_b.info, run_b.plan, [by_b[k] for k in picked])))
        for name in names:
            a, b = ma.get(name), mb.get(name)
            if a is not None and b is not None:
                diffs[name].append(b - a)
    tail = (1 - CONFIDENCE) / 2
    out: dict[str, tuple[float, float]] = {}
    for name, values in diffs.items():
        if len(values) < draws / 2:
            continue
        values.sort()
        cut = int(tail * (len(values) - 1))  # as many draws left out at each end
        out[name] = (values[cut], values[len(values) - 1 - cut])
    return out
