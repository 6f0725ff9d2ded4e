"""What scoring needs from the rest of enrich, wired once per run: the site's vocabulary as a `Matcher`,
validity from `enrich check`, grounding from the draft's provenance flags, cost from the draft cache.

- canonical(kind, name): the vocabulary's canonical name (aliases, script variants), else the name;
- twin(tag): `enrich.text.twin_key`, the key twin tags share; known_tag: the site already uses it;
- valid: the draft as written passes `enrich check` (the site's profile and vocabulary) with no error;
- grounding: the draft's names minus those flagged `ungrounded`, and those drafting left out as
  `dropped`, both not found in the transcript;
- cost: tokens, calls and seconds of the cache entry (what the draft cost when it was made, so a
  re-run from the cache reports the same cost per post), money from `enrich.batch.prices`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from enrich.batch.prices import Budget
from enrich.batch.report import FileResult
from enrich.batch.state import draft_cache
from enrich.errors import InputError
from enrich.eval.score import Cost, FieldPlan, Grounding, Matcher, PostScore, items, score_post
from enrich.frontmatter.provenance import left_out_unmentioned
from enrich.frontmatter.yaml12 import read_front_matter

if TYPE_CHECKING:
    from enrich.check.checker import Checker
    from enrich.draft.drafter import Drafter
    from enrich.eval.runner import Pair
    from enrich.vocab.model import Vocabulary


def vocabulary_matcher(vocab: Vocabulary | None) -> Matcher:
    """A Matcher through the site's vocabulary; without one, names match as written and tags by twin key."""
    from enrich.text import twin_key

    if vocab is None:
        return Matcher(twin=twin_key)

    def canonical(kind: str, name: str) -> str:
        found = vocab.canonical_name(kind, name)
        if found is None:
            hit = vocab.find_name(name, prefer=kind)
            found = hit[1] if hit else name
        return found

    tags = vocab.tags
    return Matcher(canonical=canonical, twin=twin_key, known_tag=lambda tag: tag in tags)


def read_values(path: Path) -> dict[str, Any]:
    """A post's front matter as plain values; InputError naming the file when it has none or cannot be read."""
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read: {exc}", path=str(path)) from None
    found = read_front_matter(text, path=str(path))
    if found is None:
        raise InputError("no front matter", path=str(path))
    return found[0]


def grounding_of(drafted: dict[str, Any], flags: list[dict[str, Any]], plan: FieldPlan) -> Grounding:
    """Of the names the model drafted, how many the transcript mentions: those in the draft minus the
    ones flagged `ungrounded`, plus the ones drafting left out for it (`dropped`), which count as not found."""
    names = {f: set(items(drafted.get(f))) for f in plan.name_fields}
    missing = {(f.get("field"), f.get("value")) for f in flags if f.get("kind") == "ungrounded"}
    unfound = sum(1 for field, value in missing if field in names and (value is None or value in names[field]))
    dropped = {(f.get("field"), f.get("value")) for f in flags if f.get("field") in names and left_out_unmentioned(f)}
    total = sum(len(v) for v in names.values()) + len(dropped)
    unfound += len(dropped)
    return Grounding(found=total - min(unfound, total), total=total)


@dataclass
class Scorer:
    """Scores drafts of one run: the plan, matcher and checker are made once, not per post."""

    plan: FieldPlan
    matcher: Matcher
    checker: Checker
    budget: Budget
    cache_root: Path
    vocab_digest: str | None = None

    @classmethod
    def for_drafter(cls, drafter: Drafter) -> Scorer:
        from enrich.check.checker import Checker
        from enrich.vocab.index import VocabFinder

        vocab = drafter.vocab
        path = getattr(vocab, "path", None)
        finder = VocabFinder(explicit=path) if path is not None else VocabFinder(enabled=False)
        return cls(
            plan=FieldPlan.from_profile(drafter.profile),
            matcher=vocabulary_matcher(vocab),
            checker=Checker(drafter.profile, finder),
            budget=Budget.for_drafter(drafter),
            cache_root=drafter.settings.site_root,
            vocab_digest=getattr(vocab, "fingerprint", None),
        )

    def cost(self, result: FileResult) -> Cost:
        entry = draft_cache(self.cache_root).get(result.key) if result.key else None
        if entry is None:  # failed (tokens already paid are counted) or not drafted
            tokens = (result.tokens_in, result.tokens_out)
            return Cost(*tokens, self.budget.cost(self.budget.model, *tokens), round(result.seconds, 3), result.calls)
        money = self.budget.cost(entry.model or self.budget.model, entry.tokens_in, entry.tokens_out)
        # time on the model when there was one: a file's total also holds its wait for a request slot
        seconds = entry.model_seconds or entry.seconds
        return Cost(entry.tokens_in, entry.tokens_out, money, seconds, entry.calls)

    def score(self, pair: Pair, approved: dict[str, Any], result: FileResult) -> PostScore:
        """One pair: the approved post against the draft the run wrote (an empty draft when it failed)."""
        cost = self.cost(result)
        draft = Path(result.draft) if result.draft else None
        if not result.ok or draft is None or not draft.is_file():
            error = result.error or f"{pair.transcript.name}: no draft ({result.outcome})"
            return score_post(pair.name, {}, approved, self.plan, self.matcher, valid=False, cost=cost, error=error)
        try:
            drafted = read_values(draft)
        except InputError as exc:
            return score_post(pair.name, {}, approved, self.plan, self.matcher, valid=False, cost=cost, error=str(exc))
        from enrich.check.checker import has_errors

        valid = not has_errors(self.checker.check_file(str(draft)))
        grounding = grounding_of(drafted, result.flags, self.plan)
        return score_post(pair.name, drafted, approved, self.plan, self.matcher, valid=valid, grounding=grounding, cost=cost)
