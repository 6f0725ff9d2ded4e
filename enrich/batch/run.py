"""`enrich batch INBOX`: the scheduling. Workers, rounds for parked files, the warm-up, Ctrl-C.

inbox -> jobs (one per file; its cache key is also the custom_id of a future OpenAI batch request)
-> workers sharing one Drafter (so one client and one RateGate: a 429 seen by one worker holds all)
-> `FileProcessor` (cache entry, draft, manifest line) -> `BatchResult`.

Throughput comes from keeping `jobs` requests on the wire: the request slots are held only while a
request is sent (in `enrich.model.client`), the first `jobs` files are handed out alone and the extra workers
(which clean and render files meanwhile) start only once those requests are sent, openai is imported
before the workers start (and only when some file will need the model), and the interpreter lock
changes hands every millisecond. Never imports click: progress goes to a callback, results come
back as values.
"""

from __future__ import annotations

import gc
import sys
import time
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from enrich.batch.files import STOPPED_EARLY, FileProcessor
from enrich.batch.lock import InboxLock, lock_path
from enrich.batch.plan import draft_name_clashes, will_call_model
from enrich.batch.prices import Budget
from enrich.batch.progress import ProgressCallback, ProgressTracker
from enrich.batch.report import BatchResult, FileResult, Outcome
from enrich.batch.state import SiteState, list_inbox, path_key
from enrich.batch.stop import Stop
from enrich.errors import ConfigError, EnrichError, WriteError
from enrich.model.policy import RetryPolicy
from enrich.temps import remove_leftovers

if TYPE_CHECKING:
    from enrich.draft.drafter import Drafter

EXTRA_WORKERS = 16
FIRST_REQUESTS_WAIT = 3.0  # seconds the extra workers wait for the first requests to be sent
# Workers mostly wait on sockets; when an answer arrives while others clean or render files, the
# interpreter lock should change hands within 1 ms, not the default 5 ms (about 1% of a 0.5 s call).
SWITCH_INTERVAL = 0.001
BYTES_PER_TOKEN = 3  # a rough floor over English and Chinese text, for planning only


@dataclass
class BatchOptions:
    inbox: Path
    out: Path
    jobs: int = 4
    max_cost: float | None = None
    move_done: Path | None = None


class BatchRun:
    """One batch over one inbox with one shared Drafter (a dry run is `enrich.batch.plan.plan_batch`).

    What the workers share is grouped by what it is: the site's state, the budget, the stop signal,
    the progress counts, and the per-file work (`FileProcessor`).
    """

    def __init__(self, drafter: Drafter, options: BatchOptions, *, on_progress: ProgressCallback | None = None) -> None:
        self.drafter = drafter
        self.options = options
        self.site = SiteState(drafter.settings.site_root)
        self.budget = Budget.for_drafter(drafter, options.max_cost)
        self.stop = Stop(on_halt=self._halt_gate)
        self.tracker = ProgressTracker(on_progress)
        self.files = FileProcessor(drafter, self.site, self.budget, self.stop, out=options.out, move_done=options.move_done)

    # -- public ---------------------------------------------------------------------------------
    def run(self) -> BatchResult:
        opts = self.options
        if opts.max_cost is not None and self.budget.price is None:
            raise ConfigError(f"--max-cost needs a price for model {self.budget.model}: add it to [prices] in enrich.toml")
        inputs = list_inbox(opts.inbox)
        if opts.out.resolve() == opts.inbox.resolve():
            raise ConfigError("--out is the inbox itself: drafts would become inputs; choose another folder", path=str(opts.out))
        started = time.monotonic()
        with InboxLock(lock_path(self.site.root, opts.inbox), opts.inbox, out=opts.out):
            from enrich.draft.output import output_path

            remove_leftovers(opts.out, names={output_path(p, opts.out).name for p in inputs})
            remove_leftovers(self.site.cache.root, recursive=True)
            self.site.load()
            self.tracker.start(len(inputs))
            self._warm_up(inputs)
            previous = sys.getswitchinterval()
            sys.setswitchinterval(SWITCH_INTERVAL)
            try:
                results = self._run_all(inputs)
            finally:
                sys.setswitchinterval(previous)
                self.stop.release()
        return BatchResult(
            inbox=str(opts.inbox),
            out=str(opts.out),
            model=self.budget.model,
            backend=self.drafter.backend.name,
            files=results,
            wall_seconds=time.monotonic() - started,
            stopped=self.stop.reason,
            stop_error=self.stop.error,
            interrupted=self.stop.interrupted,
        )

    # -- before the workers start ---------------------------------------------------------------
    def _warm_up(self, inputs: list[Path]) -> None:
        """Load what the first files need once, before the workers compete for the interpreter."""
        if will_call_model(inputs, self.options.out, self.site):
            # Import openai (or load jieba) before the workers start, not while they all clean
            # files: the first requests then leave as soon as their own file is ready. Without the
            # cyclic collector meanwhile (an import allocates much and frees nothing), and what it
            # loaded is frozen out of every later collection's scan.
            enabled = gc.isenabled()
            gc.disable()
            try:
                self.drafter.warm_up()
            finally:
                gc.freeze()
                if enabled:
                    gc.enable()

    # -- rounds -----------------------------------------------------------------------------------
    def _run_all(self, inputs: list[Path]) -> list[FileResult]:
        results: dict[str, FileResult] = dict(draft_name_clashes(inputs, self.options.out, self.site))
        for clash in results.values():
            self._record(clash)
        todo = [p for p in inputs if path_key(p) not in results]
        # Transcripts long enough to need several calls start first, biggest first, so they do not
        # finish last; the others keep the inbox order, so small files get the first requests out fast.
        several_calls = self.drafter.input_budget(overhead=2000) * BYTES_PER_TOKEN
        todo.sort(key=lambda p: -_size(p) if _size(p) > several_calls else 0)
        jobs = max(1, self.options.jobs)
        workers = jobs + min(jobs, EXTRA_WORKERS)  # extra workers do CPU work while `jobs` requests are in flight
        policy = RetryPolicy.from_settings(self.drafter.settings)
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="enrich-batch") as pool:
            try:
                for round_number in range(policy.park_rounds + 1):
                    parked = self._run_round(pool, todo, results)
                    if not parked or self.stop.is_set():
                        break
                    if round_number == policy.park_rounds:
                        for path in parked:
                            res = results[path_key(path)]
                            res.outcome = Outcome.FAILED
                            res.error = f"{path}: still rate limited after {policy.park_rounds} waits; run the batch again later"
                            self._record(res)
                        break
                    self._wait_for_gate(parked, results)
                    todo = parked
            except KeyboardInterrupt:  # while parked files wait for the endpoint
                self.stop.interrupt()
        for path in inputs:
            if path_key(path) not in results:  # a second Ctrl-C cut the bookkeeping short
                results[path_key(path)] = self._record(self.files.not_started(path))
            left = results.get(path_key(path))
            if left is not None and left.outcome == Outcome.PARKED:  # stopped while parked
                left.outcome = Outcome.NOT_STARTED
                left.error = f"{path}: not started ({STOPPED_EARLY})"
                self._record(left)
        return [results[path_key(p)] for p in inputs]

    def _run_round(self, pool: ThreadPoolExecutor, todo: list[Path], results: dict[str, FileResult]) -> list[Path]:
        jobs = max(1, self.options.jobs)
        futures: dict[Future[FileResult], Path] = {pool.submit(self._process, p): p for p in todo[:jobs]}
        parked: list[Path] = []
        try:
            self._wait_for_first_requests(list(futures), min(jobs, len(todo)))
            futures.update({pool.submit(self._process, p): p for p in todo[jobs:]})
            pending: set[Future[FileResult]] = set(futures)
            while pending:
                finished, pending = wait(pending, timeout=0.5)
                for future in finished:
                    path = futures[future]
                    res = future.result()
                    results[path_key(path)] = res
                    if res.outcome == Outcome.PARKED:
                        parked.append(path)
        except KeyboardInterrupt:
            self.stop.interrupt()
            for future in futures:
                future.cancel()
            wait(futures)  # requests already sent are paid for: let them land (a second Ctrl-C stops at once: stop.py)
            for future, path in futures.items():
                if future.cancelled():
                    results[path_key(path)] = self._record(self.files.not_started(path))
                else:
                    results[path_key(path)] = future.result()
            for path in todo:  # interrupted before every file was handed to a worker
                if path_key(path) not in results:
                    results[path_key(path)] = self._record(self.files.not_started(path))
            return []
        return parked

    def _wait_for_first_requests(self, first: list[Future[FileResult]], count: int) -> None:
        """Start the extra workers once the first `count` requests are on the wire (or a file is done).

        Until then the extra workers would only compete with the first requests for the interpreter,
        cleaning files that cannot be sent yet anyway.
        """
        gate = self.drafter.rate_gate
        if gate is None:
            return
        ends = time.monotonic() + FIRST_REQUESTS_WAIT
        while time.monotonic() < ends and not self.stop.is_set():
            if gate.wait_for_requests(count, timeout=0.01) or any(future.done() for future in first):
                return

    def _wait_for_gate(self, parked: list[Path], results: dict[str, FileResult]) -> None:
        """Sleep until the endpoint's Retry-After has passed, then the parked files are tried again."""
        gate = self.drafter.rate_gate
        hinted = max((results[path_key(p)].retry_after or 0.0) for p in parked)
        delay = RetryPolicy.from_settings(self.drafter.settings).park_wait(gate.wait_time() if gate is not None else 0.0, hinted)
        ends = time.monotonic() + delay
        while (left := ends - time.monotonic()) > 0 and not self.stop.is_set():
            self.tracker.note(f"rate limited: {len(parked)} file(s) parked, retrying in {left:.0f}s")
            time.sleep(min(1.0, left))
        self.tracker.note(None)

    # -- one file, as a worker runs it -----------------------------------------------------------
    def _process(self, path: Path) -> FileResult:
        """One file, start to finish; never raises (a bad file must not stop the batch)."""
        started = time.perf_counter()
        if self.stop.is_set():
            return self._record(self.files.not_started(path))
        try:
            res = self.files.process(path, started)
        except WriteError as exc:  # a full disk or a size limit: the files after this one would fail the same way
            self.stop.halt(str(exc), exc)
            res = self.files.failed(path, exc, started)
        except EnrichError as exc:
            res = self.files.failed(path, exc, started)
        except Exception as exc:  # a bug must cost one file, not the batch
            res = self.files.failed(path, EnrichError(f"internal error: {type(exc).__name__}: {exc}"), started)
        if res.outcome == Outcome.PARKED:
            self.tracker.note(f"rate limited: parked {Path(res.input).name}, will retry after the others")
            return res
        return self._record(res)

    def _record(self, res: FileResult) -> FileResult:
        if res.outcome == Outcome.FAILED:
            self.site.record_failed(Path(res.input), res.error)
        self.tracker.finished(res)
        return res

    def _halt_gate(self, reason: str) -> None:
        gate = self.drafter.rate_gate
        if gate is not None:
            gate.halt(reason)  # workers waiting for a request slot send nothing


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0
