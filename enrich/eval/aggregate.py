"""A run's per-post scores summed up per field, and one overall number to rank runs by.

Name and tag scores are micro-averaged (counts summed over posts, then precision/recall/F1), so a
post with twenty people weighs more than a post with one, as it does for the reviewer. Rates are
over the posts where the measure applies (an approved post without a category does not count for
category accuracy).

The overall score is the plain mean of these components, each in [0, 1], skipping any the run
cannot measure:
  - every name field: F1 after canonical matching;
  - tags: F1 through twins;
  - every enumeration the draft fills (area, category): accuracy;
  - every localized text (title, summary): the mean of its language rate, length-ok rate and mean
    character-bigram F1;
  - validity rate and grounding rate.
A name field empty in every draft and every approved post scores 1.0 (nothing to find, nothing
wrongly found), as a draft that rightly names no book should.
Cost is reported next to it, never folded in: a cheaper run is not a better draft.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from statistics import fmean

from enrich.eval.score import Counts, FieldPlan, ListScore, PostScore


@dataclass(frozen=True)
class RunInfo:
    """What was measured: enough to tell two runs apart in a comparison."""

    model: str | None = None
    profile: str | None = None
    prompt_version: str | None = None
    date: str = ""  # ISO 8601, when the run was made
    sample_size: int | None = None  # posts asked for (--sample); the run may hold fewer
    source: str = ""  # how drafts were made: "pairs", "review-log", "offline"
    extra: dict[str, str] = field(default_factory=dict)  # endpoint, vocabulary digest, ...

    def labelled(self) -> list[tuple[str, str | None]]:
        """The run's identity as (label, value) pairs, in the order every report shows them."""
        return [
            ("model", self.model),
            ("profile", self.profile),
            ("prompts", self.prompt_version),
            ("source", self.source),
            ("date", self.date),
        ]


@dataclass
class Run:
    """A run: its metadata, the field plan it was scored with, and every post's scores."""

    info: RunInfo
    plan: FieldPlan
    posts: list[PostScore] = field(default_factory=list)


@dataclass(frozen=True)
class ListTotals:
    exact: Counts
    matched: Counts  # canonical for names, twins for tags
    known: int | None = None
    drafted: int = 0

    @property
    def known_share(self) -> float | None:
        """Tags only: the share of drafted tags that already exist in the site."""
        if self.known is None or not self.drafted:
            return None
        return self.known / self.drafted


@dataclass(frozen=True)
class EnumTotals:
    correct: int
    total: int
    confusions: tuple[tuple[str, str, int], ...] = ()  # (approved, drafted, count), most common first

    @property
    def accuracy(self) -> float | None:
        return self.correct / self.total if self.total else None


@dataclass(frozen=True)
class TextTotals:
    posts: int
    language_rate: float | None
    length_rate: float | None
    ngram_f1: float | None

    @property
    def score(self) -> float | None:
        parts = [v for v in (self.language_rate, self.length_rate, self.ngram_f1) if v is not None]
        return fmean(parts) if parts else None


@dataclass(frozen=True)
class CostTotals:
    """Means per post (money over the posts with a known price) and run totals."""

    posts: int = 0
    tokens_in: float = 0.0
    tokens_out: float = 0.0
    money: float | None = None
    seconds: float = 0.0
    calls: float = 0.0
    total_money: float | None = None
    total_seconds: float = 0.0


@dataclass(frozen=True)
class Summary:
    posts: int
    failed: int
    names: dict[str, ListTotals]
    tags: ListTotals | None
    enums: dict[str, EnumTotals]
    texts: dict[str, TextTotals]
    validity: float | None
    grounding: float | None
    cost: CostTotals
    components: dict[str, float]
    overall: float | None
    tag_field: str = "tags"


def _rate(values: Iterable[bool | None]) -> float | None:
    known = [v for v in values if v is not None]
    return sum(known) / len(known) if known else None


def _list_totals(scores: list[ListScore]) -> ListTotals:
    # plain sums, not Counts.__add__ per post: --compare's bootstrap sums a run a thousand times
    exact = Counts(sum(s.exact.tp for s in scores), sum(s.exact.fp for s in scores), sum(s.exact.fn for s in scores))
    matched = Counts(sum(s.matched.tp for s in scores), sum(s.matched.fp for s in scores), sum(s.matched.fn for s in scores))
    knowns = [s.known for s in scores if s.known is not None]
    return ListTotals(exact, matched, sum(knowns) if knowns else None, sum(s.drafted for s in scores))


def _enum_totals(posts: list[PostScore], name: str) -> EnumTotals:
    scores = [p.enums[name] for p in posts if name in p.enums and p.enums[name].counted]
    wrong = Counter((s.approved or "", s.drafted or "") for s in scores if not s.correct)
    ranked = sorted(wrong.items(), key=lambda kv: (-kv[1], kv[0]))
    return EnumTotals(
        correct=sum(s.correct for s in scores),
        total=len(scores),
        confusions=tuple((a, d, n) for (a, d), n in ranked),
    )


def _text_totals(posts: list[PostScore], name: str) -> TextTotals:
    scores = [p.texts[name] for p in posts if name in p.texts]
    f1s = [s.ngram_f1 for s in scores if s.ngram_f1 is not None]
    return TextTotals(
        posts=len(scores),
        language_rate=_rate(s.language_ok for s in scores),
        length_rate=_rate(s.length_ok for s in scores),
        ngram_f1=fmean(f1s) if f1s else None,
    )


def _cost_totals(posts: list[PostScore]) -> CostTotals:
    if not posts:
        return CostTotals()
    priced = [p.cost.money for p in posts if p.cost.money is not None]
    return CostTotals(
        posts=len(posts),
        tokens_in=fmean(p.cost.tokens_in for p in posts),
        tokens_out=fmean(p.cost.tokens_out for p in posts),
        money=fmean(priced) if priced else None,
        seconds=fmean(p.cost.seconds for p in posts),
        calls=fmean(p.cost.calls for p in posts),
        total_money=sum(priced) if priced else None,
        total_seconds=sum(p.cost.seconds for p in posts),
    )


def summarize(run: Run) -> Summary:
    """Per-field totals of a run, and the overall score described at the top of this module."""
    posts, plan = run.posts, run.plan
    names = {n: _list_totals([p.names[n] for p in posts if n in p.names]) for n in plan.name_fields}
    tags = _list_totals([p.tags for p in posts if p.tags is not None]) if plan.tag_field else None
    enums = {n: _enum_totals(posts, n) for n in plan.enum_fields}
    texts = {n: _text_totals(posts, n) for n in plan.text_fields}
    found = sum(p.grounding.found for p in posts)
    total = sum(p.grounding.total for p in posts)
    validity = _rate(p.valid for p in posts)
    grounding = found / total if total else None

    components: dict[str, float] = {}
    for n, t in names.items():
        components[n] = t.matched.f1
    if tags is not None and plan.tag_field:
        components[plan.tag_field] = tags.matched.f1
    for n, e in enums.items():
        if e.accuracy is not None and plan.counts_in_overall(n):
            components[n] = e.accuracy
    for n, x in texts.items():
        if x.score is not None:
            components[n] = x.score
    if validity is not None:
        components["validity"] = validity
    if grounding is not None:
        components["grounding"] = grounding
    if not posts:
        components = {}
    return Summary(
        posts=len(posts),
        failed=sum(1 for p in posts if p.error),
        names=names,
        tags=tags,
        enums=enums,
        texts=texts,
        validity=validity,
        grounding=grounding,
        cost=_cost_totals(posts),
        components=components,
        overall=fmean(components.values()) if components else None,
        tag_field=plan.tag_field or "tags",
    )


LOWER_IS_BETTER_PREFIX = "cost."


def metrics(summary: Summary) -> dict[str, float | None]:
    """Every figure of a summary under a stable dotted name, in report order (for JSON and --compare)."""
    tag_field = summary.tag_field
    out: dict[str, float | None] = {"overall": summary.overall}
    for n, t in summary.names.items():
        for how, c in (("exact", t.exact), ("canonical", t.matched)):
            out[f"{n}.{how}.precision"] = c.precision
            out[f"{n}.{how}.recall"] = c.recall
            out[f"{n}.{how}.f1"] = c.f1
    if summary.tags is not None:
        out[f"{tag_field}.exact.f1"] = summary.tags.exact.f1
        out[f"{tag_field}.twin.f1"] = summary.tags.matched.f1
        out[f"{tag_field}.known_share"] = summary.tags.known_share
    for n, e in summary.enums.items():
        out[f"{n}.accuracy"] = e.accuracy
    for n, x in summary.texts.items():
        out[f"{n}.language"] = x.language_rate
        out[f"{n}.length"] = x.length_rate
        out[f"{n}.ngram_f1"] = x.ngram_f1
    out["validity"] = summary.validity
    out["grounding"] = summary.grounding
    cost = summary.cost
    out.update(
        {
            "cost.tokens_in": cost.tokens_in,
            "cost.tokens_out": cost.tokens_out,
            "cost.money": cost.money,
            "cost.seconds": cost.seconds,
            "cost.calls": cost.calls,
        }
    )
    return out


def higher_is_better(metric: str) -> bool:
    """Quality figures go up, cost figures go down."""
    return not metric.startswith(LOWER_IS_BETTER_PREFIX)
