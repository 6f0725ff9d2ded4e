"""`enrich batch INBOX`: a whole inbox drafted concurrently, never paid twice, safe to kill and re-run.

inbox -> jobs (one per file; its cache key is also the custom_id of a future OpenAI batch request)
-> workers sharing one Drafter (so one client and one RateGate: a 429 seen by one worker holds all)
-> cache entry, draft, manifest line -> report.

Order of writes per file: cache entry (the model's work, paid once), then the draft (atomic), then a
manifest line saying which bytes batch wrote. A `kill -9` between any two leaves a state the next
run completes without a model call. A draft whose bytes are not ones batch wrote was edited by a
person and is never replaced; an input whose draft was approved or rejected is not drafted again.
Inputs are only read (moving finished ones is opt-in). Never imports click: progress goes to a
callback and results come back as values.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import shutil
import sys
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from enrich.cache import CacheEntry, DraftCache, JsonlLog, enrich_dir, now_iso, remove_stale_temp_files
from enrich.errors import (
    ConfigError,
    EndpointError,
    EnrichError,
    ExistsError,
    HaltedError,
    InputError,
    LockedError,
    RateLimitedError,
)
from enrich.fsutil import atomic_write
from enrich.model.policy import RetryPolicy

if TYPE_CHECKING:
    from enrich.draft.drafter import Drafter
    from enrich.draft.prepare import Prepared

# USD per million tokens (input, output): OpenAI list prices as of 2025. A site overrides or adds
# models in config: [prices] "my-model" = { input = 0.5, output = 1.5 }.
DEFAULT_PRICES: dict[str, tuple[float, float]] = {
    "gpt-4.1": (2.00, 8.00),
    "gpt-4.1-mini": (0.40, 1.60),
    "gpt-4.1-nano": (0.10, 0.40),
    "gpt-4o": (2.50, 10.00),
    "gpt-4o-mini": (0.15, 0.60),
    "gpt-5": (1.25, 10.00),
    "gpt-5-mini": (0.25, 2.00),
    "gpt-5-nano": (0.05, 0.40),
    "o3": (2.00, 8.00),
    "o4-mini": (1.10, 4.40),
}
SIDECAR_SUFFIX = ".info.json"
EXTRA_WORKERS = 16
FIRST_REQUESTS_WAIT = 3.0  # seconds the extra workers wait for the first requests to be sent
# Workers mostly wait on sockets; when an answer arrives while others clean or render files, the
# interpreter lock should change hands within 1 ms, not the default 5 ms (about 1% of a 0.5 s call).
SWITCH_INTERVAL = 0.001
BYTES_PER_TOKEN = 3  # a rough floor over English and Chinese text, for planning only

# Outcomes. A file "succeeded" when it has a draft (new, from cache, or already there), or when a
# person already dealt with it (edited or reviewed): nothing left for batch to do.
DRAFTED, CACHED, UNCHANGED, KEPT, REVIEWED = "drafted", "cached", "unchanged", "kept", "reviewed"
FAILED, NOT_STARTED, PARKED, PLANNED = "failed", "not-started", "parked", "planned"
OK_OUTCOMES = frozenset({DRAFTED, CACHED, UNCHANGED, KEPT, REVIEWED})


# -- prices ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Price:
    """USD per million tokens."""

    input: float
    output: float

    def cost(self, tokens_in: int, tokens_out: int) -> float:
        return (tokens_in * self.input + tokens_out * self.output) / 1_000_000


def price_table(overrides: Any = None) -> dict[str, Price]:
    """The default price table with the site's `[prices]` table on top."""
    table = {name: Price(*pair) for name, pair in DEFAULT_PRICES.items()}
    if overrides is None:
        return table
    if not isinstance(overrides, dict):
        raise ConfigError("[prices] must be a table of model = { input = USD, output = USD } per million tokens")
    for model, spec in overrides.items():
        try:
            if isinstance(spec, dict):
                table[str(model)] = Price(float(spec["input"]), float(spec["output"]))
            else:
                pin, pout = spec
                table[str(model)] = Price(float(pin), float(pout))
        except (KeyError, TypeError, ValueError):
            raise ConfigError(
                f"[prices] {model}: expected {{ input = USD, output = USD }} per million tokens, got {spec!r}"
            ) from None
    return table


def price_for(model: str | None, table: dict[str, Price]) -> Price | None:
    """The price of a model: exact name, else the longest known prefix (dated snapshots), else None."""
    if not model:
        return None
    name = model.split("/")[-1]
    if name in table:
        return table[name]
    for known in sorted(table, key=len, reverse=True):
        if name.startswith(known + "-"):
            return table[known]
    return None


# -- results --------------------------------------------------------------------------------------


@dataclass
class FileResult:
    """What happened to one input: the row of the report."""

    input: str
    outcome: str
    draft: str | None = None
    key: str | None = None
    tokens_in: int = 0
    tokens_out: int = 0
    calls: int = 0
    cost: float | None = 0.0
    seconds: float = 0.0
    model_seconds: float = 0.0
    flags: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None
    fatal: bool = False
    estimate_in: int = 0
    estimate_out: int = 0
    moved_to: str | None = None
    retry_after: float | None = None

    @property
    def ok(self) -> bool:
        return self.outcome in OK_OUTCOMES

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for name in ("retry_after", "fatal"):
            data.pop(name)
        if self.outcome != PLANNED:
            data.pop("estimate_in")
            data.pop("estimate_out")
        return data


@dataclass
class Progress:
    """A snapshot for the progress bar, handed to the callback after every file."""

    total: int
    done: int = 0
    failed: int = 0
    tokens: int = 0
    cost: float = 0.0
    started: float = field(default_factory=time.monotonic)
    last: FileResult | None = None
    note: str | None = None

    @property
    def finished(self) -> int:
        return self.done + self.failed

    def eta(self) -> float | None:
        """Seconds left at the pace so far; None until a file finished."""
        if not self.finished or self.finished >= self.total:
            return None if not self.finished else 0.0
        elapsed = time.monotonic() - self.started
        return elapsed / self.finished * (self.total - self.finished)


@dataclass
class BatchResult:
    """The outcome of a batch run (or, with `dry_run`, of planning one)."""

    inbox: str
    out: str
    model: str
    files: list[FileResult]
    backend: str = "model"  # how files are drafted: "model" or "offline"
    wall_seconds: float = 0.0
    stopped: str | None = None  # why the batch stopped starting files (fatal error, budget)
    stop_error: EnrichError | None = None
    interrupted: bool = False  # by Ctrl-C: the CLI exits 130 after the summary and report
    dry_run: bool = False
    estimates: list[tuple[str, float | None]] = field(default_factory=list)  # (model, USD) for a dry run
    counting: str = ""
    started: str = field(default_factory=now_iso)

    @property
    def ok(self) -> bool:
        return all(f.ok or (self.dry_run and f.outcome == PLANNED) for f in self.files) and self.stopped is None

    def count(self, outcome: str) -> int:
        return sum(1 for f in self.files if f.outcome == outcome)

    @property
    def tokens_in(self) -> int:
        return sum(f.tokens_in for f in self.files)

    @property
    def tokens_out(self) -> int:
        return sum(f.tokens_out for f in self.files)

    @property
    def calls(self) -> int:
        return sum(f.calls for f in self.files)

    @property
    def cost(self) -> float | None:
        costs = [f.cost for f in self.files if f.calls]
        return None if any(c is None for c in costs) else sum(c for c in costs if c is not None)

    def to_report(self) -> dict[str, Any]:
        totals: dict[str, Any] = {
            "files": len(self.files),
            "ok": sum(1 for f in self.files if f.ok),
            "failed": self.count(FAILED),
            "not_started": self.count(NOT_STARTED),
            "calls": self.calls,
            "tokens_in": self.tokens_in,
            "tokens_out": self.tokens_out,
            "cost": None if self.cost is None else round(self.cost, 6),
        }
        for outcome in (DRAFTED, CACHED, UNCHANGED, KEPT, REVIEWED, PLANNED):
            totals[outcome] = self.count(outcome)
        report: dict[str, Any] = {
            "version": 1,
            "inbox": self.inbox,
            "out": self.out,
            "model": self.model,
            "started": self.started,
            "wall_seconds": round(self.wall_seconds, 3),
            "dry_run": self.dry_run,
            "stopped": self.stopped,
            "ok": self.ok,
            "totals": totals,
            "files": [f.to_dict() for f in self.files],
        }
        if self.dry_run:
            report["estimates"] = [{"model": m, "cost": c} for m, c in self.estimates]
            report["counting"] = self.counting
        return report


def write_report(result: BatchResult, path: Path) -> None:
    """The report as JSON, written atomically (errors in it are already redacted)."""
    import json

    atomic_write(path, json.dumps(result.to_report(), ensure_ascii=False, indent=2) + "\n")


# -- inbox, lock, state ---------------------------------------------------------------------------


def list_inbox(inbox: Path) -> list[Path]:
    """The files batch drafts: every visible file in the folder except yt-dlp sidecars, by name."""
    if not inbox.exists():
        raise InputError("no such folder", path=str(inbox))
    if not inbox.is_dir():
        raise InputError("is a file; `enrich batch` takes a folder (use `enrich FILE` for one file)", path=str(inbox))
    return sorted(
        p for p in inbox.iterdir() if p.is_file() and not p.name.startswith(".") and not p.name.endswith(SIDECAR_SUFFIX)
    )


def lock_path(site_root: Path, inbox: Path) -> Path:
    digest = hashlib.sha1(str(inbox.resolve()).encode()).hexdigest()[:16]
    return enrich_dir(site_root) / "locks" / f"batch-{digest}.lock"


class InboxLock:
    """An flock on a per-inbox lock file: refused while another run holds it, released when its process dies."""

    def __init__(self, path: Path, inbox: Path) -> None:
        self.path = path
        self.inbox = inbox
        self._fd: int | None = None

    def __enter__(self) -> InboxLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 200, 0).decode("utf-8", "replace").strip()
            os.close(fd)
            who = f" ({holder})" if holder else ""
            raise LockedError(
                f"another enrich batch is running on this inbox{who}; wait for it to finish or stop it",
                path=str(self.inbox),
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()}, started {now_iso()}\n".encode(), 0)
        self._fd = fd
        return self

    def __exit__(self, *exc: object) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, 0)
            os.close(self._fd)  # closing releases the flock
            self._fd = None


def manifest_log(site_root: Path) -> JsonlLog:
    return JsonlLog(enrich_dir(site_root) / "manifest.jsonl")


def review_log(site_root: Path) -> JsonlLog:
    return JsonlLog(enrich_dir(site_root) / "review-log.jsonl")


def draft_cache(site_root: Path) -> DraftCache:
    return DraftCache(enrich_dir(site_root) / "cache")


def _key(path: Path) -> str:
    return os.path.normpath(os.path.abspath(path))


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass
class SiteState:
    """What earlier runs and reviews left: draft bytes batch wrote, inputs a person already decided on."""

    written: dict[str, set[str]] = field(default_factory=dict)  # draft path -> sha256 of texts batch wrote
    owners: dict[str, str] = field(default_factory=dict)  # draft path -> the input batch last wrote it for
    reviewed: set[tuple[str, str]] = field(default_factory=set)  # (input name, input sha256) approved or rejected

    @classmethod
    def load(cls, site_root: Path) -> SiteState:
        state = cls()
        for record in manifest_log(site_root).read():
            if record.get("event") == "wrote" and isinstance(record.get("draft"), str):
                state.written.setdefault(record["draft"], set()).add(str(record.get("sha256")))
                if isinstance(record.get("input"), str):
                    state.owners[record["draft"]] = record["input"]
        for record in review_log(site_root).read():
            if record.get("action") in ("approve", "reject") and record.get("input"):
                state.reviewed.add((str(record["input"]), str(record.get("input_sha256"))))
        return state


def move_no_clobber(src: Path, folder: Path) -> Path:
    """Move a file into `folder` atomically, never replacing what is there (same bytes: just finish the move)."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / src.name
    try:
        os.link(src, target)
    except FileExistsError:
        if not (target.samefile(src) or target.read_bytes() == src.read_bytes()):
            raise ExistsError(f"{target} already exists; not replaced", path=str(src)) from None
    except OSError:  # another file system: copy beside the target, then link it into place
        tmp = folder / f".{src.name}.move.tmp"
        shutil.copy2(src, tmp)
        try:
            os.link(tmp, target)
        except FileExistsError:
            raise ExistsError(f"{target} already exists; not replaced", path=str(src)) from None
        finally:
            tmp.unlink(missing_ok=True)
    src.unlink()
    return target


# -- the run ----------------------------------------------------------------------------------------


@dataclass
class BatchOptions:
    inbox: Path
    out: Path
    jobs: int = 4
    max_cost: float | None = None
    move_done: Path | None = None


ProgressCallback = Callable[[Progress], None]


class BatchRun:
    """One batch over one inbox with one shared Drafter. `run()` drafts; `plan()` only counts (dry run)."""

    def __init__(self, drafter: Drafter, options: BatchOptions, *, on_progress: ProgressCallback | None = None) -> None:
        self.drafter = drafter
        self.options = options
        self.on_progress = on_progress
        self.site_root: Path = drafter.settings.site_root
        self.cache = draft_cache(self.site_root)
        self.manifest = manifest_log(self.site_root)
        self.prices = price_table(drafter.settings.prices)
        self.model = drafter.backend.label
        if not drafter.backend.paid:
            self.prices[self.model] = Price(0.0, 0.0)
        self.price = price_for(self.model, self.prices)
        self.state = SiteState()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._stopped: str | None = None
        self._stop_error: EnrichError | None = None
        self._spent = 0.0
        self._reserved = 0.0
        self._parked: dict[str, Prepared] = {}
        self.interrupted = False
        self.progress = Progress(total=0)

    # -- public ---------------------------------------------------------------------------------
    def run(self) -> BatchResult:
        opts = self.options
        if opts.max_cost is not None and self.price is None:
            raise ConfigError(f"--max-cost needs a price for model {self.model}: add it to [prices] in enrich.toml")
        inputs = list_inbox(opts.inbox)
        if opts.out.resolve() == opts.inbox.resolve():
            raise ConfigError("--out is the inbox itself: drafts would become inputs; choose another folder", path=str(opts.out))
        started = time.monotonic()
        with InboxLock(lock_path(self.site_root, opts.inbox), opts.inbox):
            from enrich.draft.output import output_path

            remove_stale_temp_files(opts.out, names={output_path(p, opts.out).name for p in inputs})
            remove_stale_temp_files(self.cache.root)
            self.state = SiteState.load(self.site_root)
            self.progress = Progress(total=len(inputs))
            if self._will_call_model(inputs):
                # Import openai (or load jieba) before the workers start, not while they all clean
                # files: the first requests then leave as soon as their own file is ready.
                self.drafter.warm_up()
            previous = sys.getswitchinterval()
            sys.setswitchinterval(SWITCH_INTERVAL)
            try:
                results = self._run_all(inputs)
            finally:
                sys.setswitchinterval(previous)
        return BatchResult(
            inbox=str(opts.inbox),
            out=str(opts.out),
            model=self.model,
            backend=self.drafter.backend.name,
            files=results,
            wall_seconds=time.monotonic() - started,
            stopped=self._stopped,
            stop_error=self._stop_error,
            interrupted=self.interrupted,
        )

    def plan(self) -> BatchResult:
        """What a run would do and spend, without any model call (for --dry-run)."""
        from enrich.tokens import counting_method

        opts = self.options
        inputs = list_inbox(opts.inbox)
        started = time.monotonic()
        self.state = SiteState.load(self.site_root)
        results: list[FileResult] = []
        names = self._draft_names(inputs)
        for path in inputs:
            clash = names.get(_key(path))
            results.append(clash if clash is not None else self._plan_one(path))
        tin = sum(r.estimate_in for r in results)
        tout = sum(r.estimate_out for r in results)
        models = [self.model, *sorted(m for m in self.prices if m != self.model)]
        estimates = [(m, None if (p := price_for(m, self.prices)) is None else p.cost(tin, tout)) for m in models]
        return BatchResult(
            inbox=str(opts.inbox),
            out=str(opts.out),
            model=self.model,
            backend=self.drafter.backend.name,
            files=results,
            wall_seconds=time.monotonic() - started,
            dry_run=True,
            estimates=estimates,
            counting=counting_method(),
        )

    def _will_call_model(self, inputs: list[Path]) -> bool:
        """Some input has no draft and was never reviewed: it will need drafting (a cheap look, no reading).

        A re-run on an unchanged inbox finds every draft in place, so it never pays for importing openai.
        """
        from enrich.draft.output import output_path

        reviewed = {name for name, _ in self.state.reviewed}
        return any(p.name not in reviewed and not output_path(p, self.options.out).exists() for p in inputs)

    # -- planning ----------------------------------------------------------------------------------
    def _draft_names(self, inputs: list[Path]) -> dict[str, FileResult]:
        """Inputs whose draft another input already takes: failed, not clobbered.

        Within the inbox (a.txt and a.srt), and across runs: a draft batch wrote for an input that
        still exists elsewhere (another inbox with the same file name, same --out) is not replaced.
        """
        from enrich.draft.output import output_path

        owners: dict[Path, Path] = {}
        clashes: dict[str, FileResult] = {}
        for path in inputs:
            target = output_path(path, self.options.out)
            earlier = self.state.owners.get(_key(target))
            error = None
            if target in owners:
                error = f"{path}: its draft {target} would be the same as that of {owners[target].name}; rename one"
            elif earlier not in (None, _key(path)) and target.exists() and Path(str(earlier)).exists():
                error = f"{path}: its draft {target} was written for {earlier}; use another --out or rename one"
            else:
                owners[target] = path
            if error is not None:
                clashes[_key(path)] = FileResult(input=str(path), outcome=FAILED, draft=str(target), error=error)
        return clashes

    def _plan_one(self, path: Path) -> FileResult:
        from enrich.draft.output import output_path

        try:
            prepared = self.drafter.prepare(path)
        except EnrichError as exc:
            return self._failed(path, exc, 0.0)
        key = self.drafter.cache_key(prepared)
        target = output_path(path, self.options.out)
        result = FileResult(input=str(path), outcome=PLANNED, draft=str(target), key=key)
        entry = self.cache.get(key)
        skip = self._skip_reason(path, prepared, entry, _read_text(target), target)
        if skip is not None:
            result.outcome = skip
            return result
        if entry is not None:
            result.outcome = CACHED
            return result
        result.estimate_in, result.estimate_out = self.drafter.estimate_tokens(prepared)
        result.cost = None if self.price is None else self.price.cost(result.estimate_in, result.estimate_out)
        return result

    def _skip_reason(
        self, path: Path, prepared: Prepared, entry: CacheEntry | None, existing: str | None, target: Path
    ) -> str | None:
        """REVIEWED / KEPT / UNCHANGED when nothing needs drafting or writing, else None."""
        if (path.name, prepared.source.sha256) in self.state.reviewed:
            return REVIEWED
        if existing is None:
            return None
        digest = sha256_text(existing)
        if entry is not None and sha256_text(entry.text) == digest:
            return UNCHANGED
        if digest not in self.state.written.get(_key(target), set()):
            return KEPT
        return None

    # -- running -----------------------------------------------------------------------------------
    def _run_all(self, inputs: list[Path]) -> list[FileResult]:
        results: dict[str, FileResult] = dict(self._draft_names(inputs))
        for clash in results.values():
            self._record(clash)
        todo = [p for p in inputs if _key(p) not in results]
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
                    if not parked or self._stop.is_set():
                        break
                    if round_number == policy.park_rounds:
                        for path in parked:
                            res = results[_key(path)]
                            res.outcome = FAILED
                            res.error = f"{path}: still rate limited after {policy.park_rounds} waits; run the batch again later"
                            self._record(res)
                        break
                    self._wait_for_gate(parked, results)
                    todo = parked
            except KeyboardInterrupt:  # while parked files wait for the endpoint
                self._interrupt()
        for path in inputs:
            left = results.get(_key(path))
            if left is not None and left.outcome == PARKED:  # stopped while parked
                left.outcome = NOT_STARTED
                left.error = f"{path}: not started (the batch stopped early)"
                self._record(left)
        return [results[_key(p)] for p in inputs]

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
                    results[_key(path)] = res
                    if res.outcome == PARKED:
                        parked.append(path)
        except KeyboardInterrupt:
            self._interrupt()
            for future in futures:
                future.cancel()
            wait(futures)  # requests already sent are paid for: let them land (a second Ctrl-C stops at once)
            for future, path in futures.items():
                if future.cancelled():
                    results[_key(path)] = self._record(self._not_started(path))
                else:
                    results[_key(path)] = future.result()
            for path in todo:  # interrupted before every file was handed to a worker
                if _key(path) not in results:
                    results[_key(path)] = self._record(self._not_started(path))
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
        while time.monotonic() < ends and not self._stop.is_set():
            if gate.wait_for_requests(count, timeout=0.01) or any(future.done() for future in first):
                return

    def _wait_for_gate(self, parked: list[Path], results: dict[str, FileResult]) -> None:
        """Sleep until the endpoint's Retry-After has passed, then the parked files are tried again."""
        gate = self.drafter.rate_gate
        hinted = max((results[_key(p)].retry_after or 0.0) for p in parked)
        delay = RetryPolicy.from_settings(self.drafter.settings).park_wait(gate.wait_time() if gate is not None else 0.0, hinted)
        ends = time.monotonic() + delay
        while (left := ends - time.monotonic()) > 0 and not self._stop.is_set():
            with self._lock:
                self.progress.note = f"rate limited: {len(parked)} file(s) parked, retrying in {left:.0f}s"
                self._notify()
            time.sleep(min(1.0, left))
        with self._lock:
            self.progress.note = None

    def _process(self, path: Path) -> FileResult:
        """One file, start to finish; never raises (a bad file must not stop the batch)."""
        started = time.perf_counter()
        if self._stop.is_set():
            return self._record(self._not_started(path))
        try:
            res = self._process_inner(path, started)
        except EnrichError as exc:
            res = self._failed(path, exc, started)
        except Exception as exc:  # a bug must cost one file, not the batch
            res = self._failed(path, EnrichError(f"internal error: {type(exc).__name__}: {exc}"), started)
        if res.outcome == PARKED:
            with self._lock:
                self.progress.note = f"rate limited: parked {Path(res.input).name}, will retry after the others"
                self._notify()
            return res
        return self._record(res)

    def _process_inner(self, path: Path, started: float) -> FileResult:
        from enrich.draft.output import output_path

        prepared = self._parked.pop(_key(path), None) or self.drafter.prepare(path)
        key = self.drafter.cache_key(prepared)
        target = output_path(path, self.options.out)
        result = FileResult(input=str(path), outcome=CACHED, draft=str(target), key=key)
        existing = _read_text(target)
        entry = self.cache.get(key)
        skip = self._skip_reason(path, prepared, entry, existing, target)
        if skip is not None:
            result.outcome = skip
            if skip == UNCHANGED and entry is not None:
                result.flags = list(entry.flags)
                self._note_written(path, target, key, entry.text)
                self._move_done(path, result)
            result.seconds = time.perf_counter() - started
            return result
        if entry is None:
            drafted = self._draft(path, prepared, key, result)
            if isinstance(drafted, FileResult):
                return drafted  # parked or not started
            entry = drafted
            result.outcome = DRAFTED
        else:
            result.flags = list(entry.flags)
        if not self._write(target, entry.text):
            result.outcome = KEPT
        else:
            self._note_written(path, target, key, entry.text)
            self._move_done(path, result)
        result.seconds = time.perf_counter() - started
        return result

    def _draft(self, path: Path, prepared: Prepared, key: str, result: FileResult) -> CacheEntry | FileResult:
        """Ask the model (within the budget) and store the draft in the cache; the result itself when parked."""
        policy = RetryPolicy.from_settings(self.drafter.settings)
        estimate = 0.0
        if self.options.max_cost is not None and self.price is not None:
            estimate = self.price.cost(*self.drafter.estimate_tokens(prepared))
            with self._lock:
                if self._spent + self._reserved + estimate > self.options.max_cost:
                    self._halt(
                        f"--max-cost ${self.options.max_cost:.2f} reached (spent ${self._spent:.4f}; "
                        f"the next file would cost about ${estimate:.4f})"
                    )
                if self._stop.is_set():
                    result.outcome, result.error = NOT_STARTED, f"{path}: not started (the batch stopped early)"
                    return result
                self._reserved += estimate
        try:
            if self._stop.is_set():
                result.outcome, result.error = NOT_STARTED, f"{path}: not started (the batch stopped early)"
                return result
            draft = self.drafter.draft_prepared(prepared, policy.new_deadline())
        except HaltedError:
            result.outcome, result.error = NOT_STARTED, f"{path}: not started (the batch stopped early)"
            return result
        except RateLimitedError as exc:
            self._parked[_key(path)] = prepared
            result.outcome, result.retry_after = PARKED, exc.retry_after
            result.error = f"{path}: {exc.message}"
            return result
        except EndpointError as exc:
            if exc.fatal:
                self._halt(exc.message, exc)
            elif policy.parks_file(exc):  # retries ran out on 429s: the endpoint is busy, not this file bad
                self._parked[_key(path)] = prepared
                result.outcome, result.error = PARKED, f"{path}: {exc.message}"
                return result
            raise
        finally:
            with self._lock:
                self._reserved -= estimate
        prov = draft.provenance
        flags = [asdict(f) for f in prov.flags]
        entry = CacheEntry(
            key=key,
            text=draft.render(self.drafter.profile),
            input=path.name,
            input_sha256=prepared.source.sha256,
            model=prov.model,
            tokens_in=prov.tokens_in,
            tokens_out=prov.tokens_out,
            calls=prov.calls,
            seconds=round(draft.total_seconds, 3),
            model_seconds=round(draft.model_seconds, 3),
            flags=flags,
            created=now_iso(),
        )
        self.cache.put(entry)
        result.tokens_in, result.tokens_out, result.calls = prov.tokens_in, prov.tokens_out, prov.calls
        result.model_seconds = draft.model_seconds
        result.flags = flags
        price = price_for(self.model, self.prices)
        result.cost = None if price is None else price.cost(prov.tokens_in, prov.tokens_out)
        with self._lock:
            self._spent += result.cost or 0.0
        return entry

    def _write(self, target: Path, text: str) -> bool:
        """Write the draft unless a person's file is there; False when kept."""
        existing = _read_text(target)
        if existing is not None:
            digest = sha256_text(existing)
            if digest == sha256_text(text):
                return True
            if digest not in self.state.written.get(_key(target), set()):
                return False  # edited by a person since batch wrote it (or never written by batch)
        try:
            atomic_write(target, text, exclusive=existing is None)
        except ExistsError:
            return False  # someone created it a moment ago
        return True

    def _note_written(self, path: Path, target: Path, key: str, text: str) -> None:
        digest = sha256_text(text)
        with self._lock:
            known = self.state.written.setdefault(_key(target), set())
            if digest in known and self.state.owners.get(_key(target)) == _key(path):
                return
            known.add(digest)
            self.state.owners[_key(target)] = _key(path)
        self.manifest.append(
            {"event": "wrote", "time": now_iso(), "input": _key(path), "draft": _key(target), "key": key, "sha256": digest}
        )

    def _move_done(self, path: Path, result: FileResult) -> None:
        if self.options.move_done is None:
            return
        from enrich.sources import find_sidecar

        sidecar = find_sidecar(path)
        try:
            result.moved_to = str(move_no_clobber(path, self.options.move_done))
            if sidecar is not None:
                move_no_clobber(sidecar, self.options.move_done)
        except (OSError, EnrichError) as exc:
            result.error = f"{path}: drafted, but not moved: {getattr(exc, 'message', None) or exc}"

    # -- bookkeeping ---------------------------------------------------------------------------------
    def _failed(self, path: Path, exc: EnrichError, started: float) -> FileResult:
        from enrich.redact import redact

        message = str(exc) if exc.path else f"{path}: {exc.message}"
        result = FileResult(
            input=str(path),
            outcome=FAILED,
            error=redact(message),
            fatal=isinstance(exc, EndpointError) and exc.fatal,
            seconds=time.perf_counter() - started if started else 0.0,
        )
        if exc.usage is not None:  # a failure after some calls still cost something
            result.tokens_in, result.tokens_out = exc.usage.prompt_tokens, exc.usage.completion_tokens
            result.calls = exc.usage.calls
            price = price_for(self.model, self.prices)
            result.cost = None if price is None else price.cost(result.tokens_in, result.tokens_out)
            with self._lock:
                self._spent += result.cost or 0.0
        return result

    def _interrupt(self) -> None:
        """Ctrl-C: start nothing more, let requests already sent land, then report as usual."""
        self.interrupted = True
        self._halt("interrupted (Ctrl-C); run the same command again to go on")

    def _not_started(self, path: Path) -> FileResult:
        return FileResult(input=str(path), outcome=NOT_STARTED, error=f"{path}: not started ({self._stopped})")

    def _halt(self, reason: str, error: EnrichError | None = None) -> None:
        """Stop starting files (fatal error, budget, interrupt); the first reason wins."""
        from enrich.redact import redact

        if not self._stop.is_set():
            self._stopped = redact(reason)
            self._stop_error = error
            self._stop.set()
            gate = self.drafter.rate_gate
            if gate is not None:
                gate.halt(self._stopped)  # workers waiting for a request slot send nothing

    def _record(self, res: FileResult) -> FileResult:
        if res.outcome == FAILED:
            self.manifest.append({"event": "failed", "time": now_iso(), "input": _key(Path(res.input)), "error": res.error})
        with self._lock:
            if res.ok:
                self.progress.done += 1
            else:
                self.progress.failed += 1
            self.progress.tokens += res.tokens_in + res.tokens_out
            self.progress.cost += res.cost or 0.0
            self.progress.last = res
            self._notify()
        return res

    def _notify(self) -> None:
        if self.on_progress is not None:
            with contextlib.suppress(Exception):
                self.on_progress(self.progress)


def _read_text(path: Path) -> str | None:
    try:
        return path.read_bytes().decode("utf-8", "surrogateescape")
    except FileNotFoundError:
        return None
    except OSError:
        return None


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def summarize_outcomes(files: Iterable[FileResult]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for f in files:
        counts[f.outcome] = counts.get(f.outcome, 0) + 1
    return counts
