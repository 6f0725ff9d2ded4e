"""`enrich eval --from-review-log`: every draft a person approved, scored as drafted against as published,
and what people did per field (kept, edited, cleared, filled) with the edits they keep making.

No model call and no drafting: the log (`.enrich/review-log.jsonl`, written by `enrich review`) holds both
sides. Validity is not measured here (the draft file may be gone); grounding comes from the flags the
first logged decision saw.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

from enrich.batch.state import review_log
from enrich.errors import InputError
from enrich.eval.aggregate import Run, RunInfo
from enrich.eval.review_log import ReviewAnalysis, analyse, read_review_log, review_pairs
from enrich.eval.score import FieldPlan, score_post
from enrich.eval.wire import vocabulary_matcher
from enrich.profile import load_profile


def default_log(site_root: Path) -> Path:
    return review_log(site_root).path


def review_run(site_root: Path, log: Path | None = None, profile_file: Path | None = None) -> tuple[Run, ReviewAnalysis]:
    """The scored run and the analysis of one review log (the site's own by default)."""
    from enrich.vocab import load_vocabulary

    path = log or default_log(site_root)
    if not path.is_file():
        raise InputError("no review log here (`enrich review` writes it as people approve drafts)", path=str(path))
    records = read_review_log(path)
    profile = load_profile(site_root, profile_file)
    plan = FieldPlan.from_profile(profile)
    vocab = load_vocabulary(site_root)
    matcher = vocabulary_matcher(vocab)
    pairs = review_pairs(records)
    posts = [score_post(p.post, p.drafted, p.approved, plan, matcher, grounding=p.grounding(plan)) for p in pairs]
    models = Counter(p.model for p in pairs if p.model)
    prompts = Counter(p.prompt_version for p in pairs if p.prompt_version)
    info = RunInfo(
        model=models.most_common(1)[0][0] if models else None,
        profile=profile.name,
        prompt_version=prompts.most_common(1)[0][0] if prompts else None,
        date=dt.datetime.now().astimezone().replace(microsecond=0).isoformat(),
        source="review-log",
        extra={
            "log": str(path),
            "approved drafts": str(len(pairs)),
            "edited outside review": str(sum(not p.complete for p in pairs)),
            **({"models": ", ".join(sorted(models))} if len(models) > 1 else {}),
        },
    )
    return Run(info=info, plan=plan, posts=posts), analyse(records, plan)
