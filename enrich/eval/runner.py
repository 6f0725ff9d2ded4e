"""`enrich eval INPUTS --gold POSTS`: draft a sample of transcripts exactly as `enrich batch` would, then score.

inputs + gold -> pairs (a transcript and the approved post of the same name) -> a seeded sample ->
a run folder of its own, `.enrich/eval/<run-id>/` with `inbox/` (links to the sampled transcripts and
their sidecars) and `drafts/` -> `BatchRun` (the site's cache, limits, pacing and --max-cost; a re-run of
the same eval is all cache hits) -> one `PostScore` per pair (`enrich.eval.wire`) -> a `Run`, also saved
as `run.json` in the run folder.

The run folder is the only place written besides the cache: never the user's drafts, posts or
manifest (the run keeps its own), and a transcript a person already reviewed is drafted anyway (batch
would skip it; eval needs its draft).
"""

from __future__ import annotations

import datetime as dt
import os
import random
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from enrich.batch.cache import JsonlLog
from enrich.batch.files import FileProcessor
from enrich.batch.plan import skip_reason
from enrich.batch.prices import Budget, price_for
from enrich.batch.progress import ProgressCallback
from enrich.batch.report import BatchResult, FileResult, Outcome, failed_result
from enrich.batch.run import BatchOptions, BatchRun
from enrich.batch.state import SIDECAR_SUFFIX, SiteState, enrich_dir, list_inbox, read_existing
from enrich.errors import EnrichError, InputError
from enrich.eval.aggregate import Run, RunInfo
from enrich.eval.report import to_json
from enrich.fsutil import atomic_write

if TYPE_CHECKING:
    from enrich.draft.drafter import Drafter

GOLD_SUFFIXES = (".md", ".markdown")
RUN_FILE = "run.json"


@dataclass(frozen=True)
class Pair:
    """A transcript and the post a person approved for it (same file name, without the suffix)."""

    name: str
    transcript: Path
    gold: Path


@dataclass(frozen=True)
class EvalOptions:
    inputs: Path
    gold: Path
    sample: int | None = None
    seed: int = 0
    jobs: int = 4
    max_cost: float | None = None
    run_id: str | None = None


@dataclass
class EvalResult:
    """What an eval did: the scored run (None for a dry run), the batch behind it, where it lives."""

    folder: Path
    pairs: list[Pair]
    batch: BatchResult
    run: Run | None = None
    unpaired: list[str] = field(default_factory=list)  # transcripts without an approved post
    scoring_seconds: float = 0.0


def find_pairs(inputs: Path, gold: Path) -> tuple[list[Pair], list[str]]:
    """Every transcript of `inputs` with a post of the same name in `gold`; and the names without one."""
    if not gold.is_dir():
        problem = "--gold must be a folder" if gold.exists() else "no such folder of approved posts (--gold)"
        raise InputError(problem, path=str(gold))
    posts: dict[str, Path] = {}
    for post in sorted(gold.iterdir()):
        if post.is_file() and post.suffix in GOLD_SUFFIXES:
            posts.setdefault(post.stem, post)
    pairs: list[Pair] = []
    unpaired: list[str] = []
    for transcript in list_inbox(inputs):
        if transcript.suffix in GOLD_SUFFIXES and transcript.resolve().parent == gold.resolve():
            continue
        found = posts.get(transcript.stem)
        if found is None:
            unpaired.append(transcript.name)
        else:
            pairs.append(Pair(transcript.stem, transcript, found))
    if not pairs:
        raise InputError(f"no transcript has an approved post of the same name in {gold}", path=str(inputs))
    names = [p.name for p in pairs]
    if len(set(names)) != len(names):
        twice = sorted({n for n in names if names.count(n) > 1})
        raise InputError(f"several transcripts pair with the same post: {', '.join(twice)}; keep one of each", path=str(inputs))
    return pairs, unpaired


def sample_pairs(pairs: list[Pair], size: int | None, seed: int) -> list[Pair]:
    """A seeded random sample (the same seed picks the same posts, so a re-run hits the cache), by name."""
    if size is None or size >= len(pairs):
        return list(pairs)
    return sorted(random.Random(seed).sample(pairs, size), key=lambda p: p.name)


def new_run_folder(site_root: Path, run_id: str | None = None) -> Path:
    """`.enrich/eval/<run-id>/`, created empty; the id defaults to the time, made unique."""
    base = enrich_dir(site_root) / "eval"
    stem = run_id or dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    if "/" in stem or stem in ("", ".", ".."):
        raise InputError(f"not a usable run id: {stem!r}")
    base.mkdir(parents=True, exist_ok=True)
    if not (base / ".gitignore").exists():
        atomic_write(base / ".gitignore", "# enrich eval runs: drafts made to be scored, never posts\n*\n")
    for n in range(1, 1000):
        folder = base / (stem if n == 1 else f"{stem}-{n}")
        try:
            folder.mkdir(parents=True)
        except FileExistsError:
            continue
        return folder
    raise InputError("too many runs with this id", path=str(base / stem))


def link_inputs(pairs: list[Pair], inbox: Path) -> None:
    """The run's inbox: a link to each sampled transcript (a copy where links fail), with its sidecar."""
    inbox.mkdir(parents=True, exist_ok=True)
    for pair in pairs:
        sidecar = pair.transcript.with_name(pair.transcript.stem + SIDECAR_SUFFIX)
        for source in (pair.transcript, sidecar):
            if not source.is_file():
                continue
            target = inbox / source.name
            try:
                os.symlink(source.resolve(), target)
            except OSError:
                shutil.copyfile(source, target)


class EvalSite(SiteState):
    """The site's cache, but the run's own manifest, and no input counts as reviewed."""

    def __init__(self, root: Path, folder: Path) -> None:
        super().__init__(root)
        self.manifest = JsonlLog(folder / "manifest.jsonl")

    def load(self) -> None:
        super().load()
        self.reviewed = set()

    def was_reviewed(self, name: str, input_sha256: str) -> bool:
        return False


class EvalBatchRun(BatchRun):
    """`BatchRun` into a run folder: the same scheduling, cache, budget and pacing, the run's own state."""

    def __init__(
        self, drafter: Drafter, options: BatchOptions, folder: Path, *, on_progress: ProgressCallback | None = None
    ) -> None:
        super().__init__(drafter, options, on_progress=on_progress)
        self.site = EvalSite(self.site.root, folder)
        self.files = FileProcessor(drafter, self.site, self.budget, self.stop, out=options.out, move_done=None)


def plan_eval(drafter: Drafter, inbox: Path, out: Path, folder: Path) -> BatchResult:
    """What drafting the sample would spend (no model call): `enrich batch --dry-run` for the run folder."""
    from enrich.draft.output import output_path
    from enrich.tokens import counting_method

    started = time.monotonic()
    state = EvalSite(drafter.settings.site_root, folder)
    state.load()
    budget = Budget.for_drafter(drafter)
    results: list[FileResult] = []
    for path in list_inbox(inbox):
        try:
            prepared = drafter.prepare(path)
        except EnrichError as exc:
            results.append(failed_result(path, exc))
            continue
        key = drafter.cache_key(prepared)
        target = output_path(path, out)
        row = FileResult(input=str(path), outcome=Outcome.PLANNED, draft=str(target), key=key)
        entry = state.cache.get(key)
        skip = skip_reason(state, path, prepared, entry, read_existing(target), target)
        if skip is not None or entry is not None:
            row.outcome = skip or Outcome.CACHED
        else:
            row.estimate_in, row.estimate_out = drafter.estimate_tokens(prepared)
            row.cost = None if budget.price is None else budget.price.cost(row.estimate_in, row.estimate_out)
        results.append(row)
    tokens = sum(r.estimate_in for r in results), sum(r.estimate_out for r in results)
    models = [budget.model, *sorted(m for m in budget.prices if m != budget.model)]
    return BatchResult(
        inbox=str(inbox),
        out=str(out),
        model=budget.model,
        backend=drafter.backend.name,
        files=results,
        wall_seconds=time.monotonic() - started,
        dry_run=True,
        estimates=[(m, None if (p := price_for(m, budget.prices)) is None else p.cost(*tokens)) for m in models],
        counting=counting_method(),
    )


def run_eval(
    drafter: Drafter,
    options: EvalOptions,
    *,
    dry_run: bool = False,
    on_progress: ProgressCallback | None = None,
) -> EvalResult:
    """Pair, sample, draft into a run folder and score (a dry run plans and prices, then removes its folder)."""
    from enrich.eval.wire import Scorer, read_values

    all_pairs, unpaired = find_pairs(options.inputs, options.gold)
    approved: dict[str, dict[str, Any]] = {}
    for pair in all_pairs:
        try:
            approved[pair.name] = read_values(pair.gold)
        except InputError as exc:
            unpaired.append(f"{pair.transcript.name} (its approved post cannot be used: {exc})")
    pairs = sample_pairs([p for p in all_pairs if p.name in approved], options.sample, options.seed)
    if not pairs:
        raise InputError("no approved post with usable front matter", path=str(options.gold))
    folder = new_run_folder(drafter.settings.site_root, options.run_id)
    inbox, out = folder / "inbox", folder / "drafts"
    link_inputs(pairs, inbox)
    out.mkdir()
    if dry_run:
        try:
            return EvalResult(folder, pairs, plan_eval(drafter, inbox, out, folder), unpaired=unpaired)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    batch_options = BatchOptions(inbox=inbox, out=out, jobs=options.jobs, max_cost=options.max_cost)
    batch = EvalBatchRun(drafter, batch_options, folder, on_progress=on_progress).run()
    started = time.perf_counter()
    scorer = Scorer.for_drafter(drafter)
    by_input = {Path(r.input).name: r for r in batch.files}
    posts = [scorer.score(p, approved[p.name], by_input[p.transcript.name]) for p in pairs if p.transcript.name in by_input]
    scoring = time.perf_counter() - started
    info = RunInfo(
        model=None if drafter.backend.name == "offline" else batch.model,
        profile=drafter.profile.name,
        prompt_version=drafter.backend.prompt_version,
        date=dt.datetime.now().astimezone().replace(microsecond=0).isoformat(),
        sample_size=options.sample,
        source="offline" if drafter.backend.name == "offline" else "pairs",
        extra={**run_extra(batch, folder, options, scorer.vocab_digest), "scoring seconds": f"{scoring:.2f}"},
    )
    run = Run(info=info, plan=scorer.plan, posts=posts)
    atomic_write(folder / RUN_FILE, to_json(run))
    return EvalResult(folder, pairs, batch, run, unpaired, scoring_seconds=scoring)


def run_extra(batch: BatchResult, folder: Path, options: EvalOptions, vocab: str | None) -> dict[str, str]:
    """What tells this run apart and what it spent itself (a re-run from the cache calls nothing)."""
    extra = {
        "run": folder.name,
        "seed": str(options.seed),
        "requests this run": str(batch.calls),
        "drafted this run": str(batch.count(Outcome.DRAFTED)),
        "from the cache": str(batch.count(Outcome.CACHED) + batch.count(Outcome.UNCHANGED)),
        "wall seconds": f"{batch.wall_seconds:.1f}",
    }
    if vocab:
        extra["vocabulary"] = vocab[:12]
    if batch.stopped:
        extra["stopped"] = batch.stopped
    return extra
