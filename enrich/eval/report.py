"""A run for people (a terminal table) and for tools (stable, versioned JSON that `--compare` reads back).

The JSON holds every post's scores and both front matters, so the HTML page and a comparison can be
made later from the file alone. Its layout (format "enrich-eval", version 1):

    {"format": "enrich-eval", "version": 1,
     "run": {model, profile, prompt_version, date, sample_size, source, extra},
     "plan": {language, name_fields, tag_field, enum_fields, texts: [{name, min_length, max_length}],
              model_fields, key_order},
     "summary": {"metrics": {dotted name: value}, "confusions": {field: [[approved, drafted, n]]},
                 "components": {...}, "posts": n, "failed": n},
     "posts": [{post, error, valid, grounding: {found, total}, cost: {...},
                names: {field: LIST}, tags: LIST | null, enums: {field: {approved, drafted}},
                texts: {field: {script, language_ok, length, length_ok, ngram_f1}},
                drafted: {...}, approved: {...}}]}
    LIST = {exact: {tp, fp, fn}, matched: {tp, fp, fn}, missing: [], extra: [], pairs: [[d, a]], known, drafted}

"summary" is derived: `from_json` ignores it and recomputes from the posts. New keys may be added
within version 1; a change that breaks readers bumps the version.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from enrich.errors import InputError
from enrich.eval.aggregate import Run, RunInfo, metrics, summarize
from enrich.eval.compare import Comparison, compare
from enrich.eval.page import OUTCOMES, to_html
from enrich.eval.review_log import ReviewAnalysis
from enrich.eval.score import Cost, Counts, EnumScore, FieldPlan, Grounding, ListScore, PostScore, TextLimits, TextScore
from enrich.eval.table import format_value, render, summary_rows

FORMAT = "enrich-eval"
VERSION = 1

__all__ = [
    "FORMAT",
    "VERSION",
    "Comparison",
    "compare",
    "from_dict",
    "from_json",
    "review_to_dict",
    "review_to_text",
    "to_dict",
    "to_html",
    "to_json",
    "to_text",
]


# -- terminal -------------------------------------------------------------------------------------------


def to_text(run: Run) -> str:
    """The terminal report: what was measured, then one line per figure, column-aligned, no colour."""
    info, summary = run.info, summarize(run)
    head = [
        f"enrich eval: {summary.posts} posts"
        + (f" of {info.sample_size} asked" if info.sample_size is not None and info.sample_size != summary.posts else "")
        + (f", {summary.failed} failed" if summary.failed else ""),
        "  ".join(f"{label} {value}" for label, value in info.labelled() if value),
    ]
    rows = [(r.field, r.measure, format_value(r.value, r.kind), r.detail) for r in summary_rows(summary)]
    return "\n".join([*(h for h in head if h), "", render(("field", "measure", "value", "detail"), rows, right=(2,))]) + "\n"


def review_to_text(review: ReviewAnalysis, top: int = 20) -> str:
    """What people did in review: per field kept/edited/cleared/filled, then the most common edits."""
    head = (
        f"review log: {review.sessions} drafts: {review.approved} approved, {review.rejected} rejected, "
        f"{review.open} under review"
    )
    rows = []
    for name, f in review.fields.items():
        rates = [format_value(f.rate(k)) for k in OUTCOMES]
        rows.append((name, str(f.total), *rates))
    table = render(("field", "drafts", *OUTCOMES), rows, right=(1, 2, 3, 4, 5))
    edits = render(
        ("drafts", "field", "what to do"), [(str(p.count), p.field, p.suggestion) for p in review.patterns[:top]], right=(0,)
    )
    rejected = "; ".join(f"{reason} x{n}" for reason, n in review.rejections)
    parts = [head, "", table]
    if review.patterns:
        parts += ["", "most common edits:", edits]
    if rejected:
        parts += ["", f"rejected: {rejected}"]
    return "\n".join(parts) + "\n"


def review_to_dict(review: ReviewAnalysis) -> dict[str, Any]:
    """The review analysis as versioned JSON data (format "enrich-eval-review", version 1)."""
    return {
        "format": "enrich-eval-review",
        "version": 1,
        "drafts": {"all": review.sessions, "approved": review.approved, "rejected": review.rejected, "open": review.open},
        "fields": {k: {o: getattr(f, o) for o in OUTCOMES} for k, f in review.fields.items()},
        "edits": [asdict(p) for p in review.patterns],
        "rejections": [list(r) for r in review.rejections],
    }


# -- JSON -----------------------------------------------------------------------------------------------


def _list_to_dict(s: ListScore) -> dict[str, Any]:
    data = asdict(s)
    data["missing"], data["extra"] = list(s.missing), list(s.extra)
    data["pairs"] = [list(p) for p in s.pairs]
    return data


def _post_to_dict(p: PostScore) -> dict[str, Any]:
    return {
        "post": p.post,
        "error": p.error,
        "valid": p.valid,
        "grounding": asdict(p.grounding),
        "cost": asdict(p.cost),
        "names": {k: _list_to_dict(v) for k, v in p.names.items()},
        "tags": _list_to_dict(p.tags) if p.tags is not None else None,
        "enums": {k: asdict(v) for k, v in p.enums.items()},
        "texts": {k: asdict(v) for k, v in p.texts.items()},
        "drafted": p.drafted,
        "approved": p.approved,
    }


def to_dict(run: Run) -> dict[str, Any]:
    """The JSON document of a run, as plain data."""
    summary = summarize(run)
    plan = asdict(run.plan)
    return {
        "format": FORMAT,
        "version": VERSION,
        "run": asdict(run.info),
        "plan": plan,
        "summary": {
            "posts": summary.posts,
            "failed": summary.failed,
            "metrics": metrics(summary),
            "components": summary.components,
            "confusions": {k: [list(c) for c in e.confusions] for k, e in summary.enums.items()},
        },
        "posts": [_post_to_dict(p) for p in run.posts],
    }


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


def to_json(run: Run) -> str:
    """Stable JSON: keys in a fixed order, Chinese written as-is, one post per line (diffs read per post)."""
    data = to_dict(run)
    posts = data.pop("posts")
    head = ",\n".join(f"  {_dumps(k)}: {_dumps(v)}" for k, v in data.items())
    body = ",\n".join(f"    {_dumps(p)}" for p in posts)
    return "{\n" + head + ',\n  "posts": [' + (f"\n{body}\n  " if posts else "") + "]\n}\n"


def _counts(data: Any) -> Counts:
    return Counts(int(data.get("tp", 0)), int(data.get("fp", 0)), int(data.get("fn", 0)))


def _list_from_dict(data: dict[str, Any]) -> ListScore:
    return ListScore(
        exact=_counts(data["exact"]),
        matched=_counts(data["matched"]),
        missing=tuple(data.get("missing", ())),
        extra=tuple(data.get("extra", ())),
        pairs=tuple((str(d), str(a)) for d, a in data.get("pairs", ())),
        known=data.get("known"),
        drafted=int(data.get("drafted", 0)),
    )


def _post_from_dict(data: dict[str, Any]) -> PostScore:
    tags = data.get("tags")
    return PostScore(
        post=str(data["post"]),
        names={k: _list_from_dict(v) for k, v in data.get("names", {}).items()},
        tags=_list_from_dict(tags) if tags is not None else None,
        enums={k: EnumScore(v.get("approved"), v.get("drafted")) for k, v in data.get("enums", {}).items()},
        texts={k: TextScore(**v) for k, v in data.get("texts", {}).items()},
        valid=data.get("valid"),
        grounding=Grounding(**data.get("grounding", {})),
        cost=Cost(**data.get("cost", {})),
        drafted=dict(data.get("drafted", {})),
        approved=dict(data.get("approved", {})),
        error=data.get("error"),
    )


def _plan_from_dict(data: dict[str, Any]) -> FieldPlan:
    return FieldPlan(
        language=str(data.get("language", "zh-Hans")),
        name_fields=tuple(data.get("name_fields", ())),
        tag_field=data.get("tag_field"),
        enum_fields=tuple(data.get("enum_fields", ())),
        texts=tuple(TextLimits(**t) for t in data.get("texts", ())),
        model_fields=tuple(data.get("model_fields", ())),
        key_order=tuple(data.get("key_order", ())),
    )


def from_dict(data: Any, *, where: str | None = None) -> Run:
    """A run from its JSON document; InputError when it is not one or is from a newer enrich."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise InputError('not an enrich eval run (no "format": "enrich-eval")', path=where)
    version = data.get("version")
    if version != VERSION:
        raise InputError(f"enrich eval format version {version!r}; this enrich reads version {VERSION}", path=where)
    try:
        info = dict(data.get("run", {}))
        return Run(
            info=RunInfo(**{**info, "extra": dict(info.get("extra", {}))}),
            plan=_plan_from_dict(data.get("plan", {})),
            posts=[_post_from_dict(p) for p in data.get("posts", [])],
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise InputError(f"malformed enrich eval run: {type(exc).__name__}: {exc}", path=where) from None


def from_json(text: str, *, where: str | None = None) -> Run:
    """A run from `to_json` output (for `enrich eval --compare a.json b.json`)."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise InputError(f"not JSON: {exc}", path=where) from None
    return from_dict(data, where=where)
