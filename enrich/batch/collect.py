"""Batch answers -> drafts, through the same cache, writer and manifest as a live run (`FileProcessor`).

Each input is matched to its answer by custom_id (its cache key), in whatever order the answers
came. The answer replaces the draft's first request (`replay.ReplayClient`); validation, repairs
(live), grounding, the vocabulary and the writer are the live path's own. A transcript that needs
chunks is drafted live. An input the batch did not answer (an expired batch, a failed line) is left
for the next run, which asks for it again; cached work is never paid for twice.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from enrich.batch.files import FileProcessor
from enrich.batch.jsonl import LineResult, custom_id_for
from enrich.batch.plan import draft_name_clashes, skip_reason
from enrich.batch.prices import Budget
from enrich.batch.report import BatchResult, FileResult, Outcome
from enrich.batch.state import SiteState, path_key
from enrich.batch.stop import Stop
from enrich.errors import EnrichError

if TYPE_CHECKING:
    from enrich.batch.replay import ReplayClient
    from enrich.draft.drafter import Drafter
    from enrich.draft.prepare import Prepared

WRITERS = 16
BATCH_DISCOUNT = 0.5  # the Batch API's price is half the live one


@dataclass
class Collection:
    """What the collection is given: the answers, what was asked, and why unanswered inputs were not."""

    answers: dict[str, LineResult]
    asked: set[str] | None = None  # custom_ids sent (None: any input without an answer was not asked)
    live: set[str] = field(default_factory=set)  # path_keys to draft live (transcripts needing chunks)
    unanswered: dict[str, str] = field(default_factory=dict)  # custom_id -> why the batch did not answer it
    not_asked: str = "not in this batch"
    prepared: dict[str, Prepared] = field(default_factory=dict)


def collect(
    replay: Drafter, client: ReplayClient, inputs: list[Path], out: Path, site: SiteState, given: Collection, *, jobs: int = 4
) -> BatchResult:
    """Drafts for every input of the run; a row each, in inbox order."""
    budget = Budget.for_drafter(replay)
    files = FileProcessor(replay, site, budget, Stop(), out=out, move_done=None)
    files.parked.update(given.prepared)  # read and cleaned once per run
    started = time.monotonic()
    clashes = draft_name_clashes(inputs, out, site)

    def one(path: Path) -> FileResult:
        if path_key(path) in clashes:
            return clashes[path_key(path)]
        begun = time.perf_counter()
        try:
            return _one(replay, client, files, budget, path, given, begun)
        except EnrichError as exc:
            return files.failed(path, exc, begun)
        except Exception as exc:  # a bug must cost one file, not the collection
            return files.failed(path, EnrichError(f"internal error: {type(exc).__name__}: {exc}"), begun)

    # Writing drafts mostly waits on fsync: more workers than requests in flight (the gate holds those to `jobs`).
    with ThreadPoolExecutor(max_workers=max(jobs, WRITERS), thread_name_prefix="enrich-collect") as pool:
        results = list(pool.map(one, inputs))
    for res in results:
        if res.outcome == Outcome.FAILED:
            site.record_failed(Path(res.input), res.error)
    return BatchResult(
        inbox=str(inputs[0].parent) if inputs else "",
        out=str(out),
        model=budget.model,
        backend="model",
        files=results,
        wall_seconds=time.monotonic() - started,
    )


def _one(
    replay: Drafter, client: ReplayClient, files: FileProcessor, budget: Budget, path: Path, given: Collection, begun: float
) -> FileResult:
    prepared = files.parked.get(path_key(path))
    if prepared is None:
        prepared = files.parked[path_key(path)] = replay.prepare(path)
    custom_id = custom_id_for(replay.cache_key(prepared))
    line = given.answers.get(custom_id)
    if line is None or line.body is None:
        if not needs_model(files, replay, path, prepared) or path_key(path) in given.live:
            client.expect(None)  # from the cache, or drafted live
            return _priced(files.process(path, begun), budget, client)
        files.parked.pop(path_key(path), None)
        part_reason = given.unanswered.get(custom_id)
        if line is not None:
            why = f"{part_reason} ({line.error})" if part_reason else f"its batch line failed ({line.error})"
        elif given.asked is not None and custom_id in given.asked:
            why = part_reason or "the batch did not answer it"
        else:
            why = given.not_asked
        return FileResult(
            input=str(path), outcome=Outcome.NOT_STARTED, key=custom_id, error=f"{path}: left for the next run: {why}"
        )
    client.expect(line.body)
    return _priced(files.process(path, begun), budget, client)


def needs_model(files: FileProcessor, replay: Drafter, path: Path, prepared: Prepared) -> bool:
    """Whether drafting this input would call the model (no cache entry, no draft to keep, not reviewed)."""
    from enrich.batch.state import read_existing
    from enrich.draft.output import output_path

    if not prepared.ask:
        return False
    entry = files.site.cache.get(replay.cache_key(prepared))
    target = output_path(path, files.out)
    return (
        entry is None
        and skip_reason(files.site, path, prepared, entry, read_existing(target), target, replay.work_key(prepared)) is None
    )


def _priced(result: FileResult, budget: Budget, client: ReplayClient) -> FileResult:
    """The batch's part of the tokens at the batch price, live calls (repairs, chunks) at the live price."""
    if result.outcome != Outcome.DRAFTED:
        return result
    batch = client.batch_usage
    live_in, live_out = result.tokens_in - batch.prompt_tokens, result.tokens_out - batch.completion_tokens
    batch_cost = budget.cost(budget.model, batch.prompt_tokens, batch.completion_tokens)
    live_cost = budget.cost(budget.model, live_in, live_out)
    result.cost = None if batch_cost is None or live_cost is None else batch_cost * BATCH_DISCOUNT + live_cost
    return result
