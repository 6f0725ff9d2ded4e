"""What a run would do to each input, and what it would spend: the dry run and the rules a run shares with it.

The same three rules decide for a dry run and a real one: an input whose draft another input takes is
refused (`draft_name_clashes`), an input with nothing left to do is skipped (`skip_reason`), and what is
left is drafted (a dry run counts its tokens offline instead).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

from enrich.batch.cache import CacheEntry
from enrich.batch.prices import Budget, price_for
from enrich.batch.report import BatchResult, FileResult, Outcome, failed_result
from enrich.batch.state import SiteState, list_inbox, path_key, read_existing, sha256_text
from enrich.errors import EnrichError

if TYPE_CHECKING:
    from enrich.batch.run import BatchOptions
    from enrich.draft.drafter import Drafter
    from enrich.draft.prepare import Prepared


def skip_reason(
    state: SiteState,
    path: Path,
    prepared: Prepared,
    entry: CacheEntry | None,
    existing: str | None,
    target: Path,
    work: str | None = None,
) -> Outcome | None:
    """REVIEWED / KEPT / UNCHANGED when nothing needs drafting or writing, else None.

    `work` (`Drafter.work_key`): a draft batch wrote for the same work is kept as it is even when the
    cache has no entry for it, since the vocabulary changed (or the cache was cleared): it is not paid
    for again. Delete the draft to have it drafted again; `enrich fix` applies the vocabulary's certain
    mappings to it.
    """
    if state.was_reviewed(path.name, prepared.source.sha256):
        return Outcome.REVIEWED
    if existing is None:
        return None
    digest = sha256_text(existing)
    if entry is not None and sha256_text(entry.text) == digest:
        return Outcome.UNCHANGED
    if not state.batch_wrote(target, digest):
        return Outcome.KEPT
    if work is not None and entry is None and state.wrote_for(target, digest) == work:
        return Outcome.UNCHANGED
    return None


def draft_name_clashes(inputs: list[Path], out: Path, state: SiteState) -> dict[str, FileResult]:
    """Inputs whose draft another input already takes: failed, not clobbered (by `path_key`).

    Within the inbox (a.txt and a.srt), and across runs: a draft batch wrote for an input that
    still exists elsewhere (another inbox with the same file name, same --out) is not replaced.
    """
    from enrich.draft.output import output_path

    owners: dict[Path, Path] = {}
    clashes: dict[str, FileResult] = {}
    for path in inputs:
        target = output_path(path, out)
        earlier = state.owner(target)
        error = None
        if target in owners:
            error = f"{path}: its draft {target} would be the same as that of {owners[target].name}; rename one"
        elif earlier not in (None, path_key(path)) and target.exists() and Path(str(earlier)).exists():
            error = f"{path}: its draft {target} was written for {earlier}; use another --out or rename one"
        else:
            owners[target] = path
        if error is not None:
            clashes[path_key(path)] = FileResult(input=str(path), outcome=Outcome.FAILED, draft=str(target), error=error)
    return clashes


def will_call_model(inputs: list[Path], out: Path, state: SiteState) -> bool:
    """Some input has no draft and was never reviewed: it will need the model (a cheap look, no reading).

    A re-run on an unchanged inbox finds every draft in place, so it never pays for importing openai.
    """
    from enrich.draft.output import output_path

    reviewed = {name for name, _ in state.reviewed}
    return any(p.name not in reviewed and not output_path(p, out).exists() for p in inputs)


def plan_batch(drafter: Drafter, options: BatchOptions) -> BatchResult:
    """What a run would do and spend, without any model call (for --dry-run)."""
    from enrich.tokens import counting_method

    inputs = list_inbox(options.inbox)
    started = time.monotonic()
    state = SiteState(drafter.settings.site_root)
    state.load()
    budget = Budget.for_drafter(drafter)
    clashes = draft_name_clashes(inputs, options.out, state)
    results = [clashes.get(path_key(path)) or _plan_one(drafter, path, options.out, state, budget) for path in inputs]
    tokens_in = sum(r.estimate_in for r in results)
    tokens_out = sum(r.estimate_out for r in results)
    models = [budget.model, *sorted(m for m in budget.prices if m != budget.model)]
    estimates = [(m, None if (p := price_for(m, budget.prices)) is None else p.cost(tokens_in, tokens_out)) for m in models]
    return BatchResult(
        inbox=str(options.inbox),
        out=str(options.out),
        model=budget.model,
        backend=drafter.backend.name,
        files=results,
        wall_seconds=time.monotonic() - started,
        dry_run=True,
        estimates=estimates,
        counting=counting_method(),
    )


def _plan_one(drafter: Drafter, path: Path, out: Path, state: SiteState, budget: Budget) -> FileResult:
    from enrich.draft.output import output_path

    try:
        prepared = drafter.prepare(path)
    except EnrichError as exc:
        return failed_result(path, exc)
    key = drafter.cache_key(prepared)
    target = output_path(path, out)
    result = FileResult(input=str(path), outcome=Outcome.PLANNED, draft=str(target), key=key)
    entry = state.cache.get(key)
    skip = skip_reason(state, path, prepared, entry, read_existing(target), target, drafter.work_key(prepared))
    if skip is not None:
        result.outcome = skip
        return result
    if entry is not None:
        result.outcome = Outcome.CACHED
        return result
    result.estimate_in, result.estimate_out = drafter.estimate_tokens(prepared)
    result.cost = None if budget.price is None else budget.price.cost(result.estimate_in, result.estimate_out)
    return result
