"""One input, start to finish: skip it, take its draft from the cache, or draft it; then write and record.

Order of writes per file: cache entry (the model's work, paid once), then the draft (atomic), then a
manifest line saying which bytes batch wrote. A `kill -9` between any two leaves a state the next
run completes without a model call. A draft whose bytes are not ones batch wrote was edited by a
person and is never replaced.
"""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

from enrich.batch.cache import CacheEntry, now_iso
from enrich.batch.plan import skip_reason
from enrich.batch.prices import Budget
from enrich.batch.report import FileResult, Outcome, failed_result, not_started_result
from enrich.batch.state import SiteState, path_key, read_existing, sha256_text
from enrich.batch.stop import Stop
from enrich.errors import EndpointError, EnrichError, ExistsError, HaltedError, RateLimitedError, WriteError
from enrich.fsutil import atomic_write
from enrich.model.policy import RetryPolicy

if TYPE_CHECKING:
    from enrich.draft.drafter import Drafter
    from enrich.draft.prepare import Prepared

STOPPED_EARLY = "the batch stopped early"


LONGEST_PARK = 60.0  # seconds: a Retry-After longer than this and the file's deadline fails the file at once


class FileProcessor:
    """Drafts single inputs for the run's workers, sharing one Drafter, site state, budget and stop signal.

    A file rate limited past its deadline comes back PARKED; its prepared text is kept here so the
    next round sends it without reading and cleaning it again.
    """

    def __init__(
        self, drafter: Drafter, site: SiteState, budget: Budget, stop: Stop, *, out: Path, move_done: Path | None
    ) -> None:
        self.drafter = drafter
        self.site = site
        self.budget = budget
        self.stop = stop
        self.out = out
        self.move_done = move_done
        self.parked: dict[str, Prepared] = {}

    def process(self, path: Path, started: float) -> FileResult:
        """The file's result; raises EnrichError when it fails (the caller records it)."""
        from enrich.draft.output import output_path

        prepared = self.parked.pop(path_key(path), None) or self.drafter.prepare(path)
        key = self.drafter.cache_key(prepared)
        target = output_path(path, self.out)
        result = FileResult(input=str(path), outcome=Outcome.CACHED, draft=str(target), key=key)
        entry = self.site.cache.get(key)
        work = self.drafter.work_key(prepared)
        skip = skip_reason(self.site, path, prepared, entry, read_existing(target), target, work)
        if skip is not None:
            result.outcome = skip
            if skip == Outcome.UNCHANGED and entry is not None:
                result.flags = list(entry.flags)
                self.site.record_written(path, target, key, entry.text, work)
                self._move_done(path, result)
            elif skip == Outcome.UNCHANGED:  # drafted for the same work with an earlier vocabulary
                self._move_done(path, result)
            result.seconds = time.perf_counter() - started
            return result
        if entry is None:
            drafted = self._draft(path, prepared, key, result)
            if isinstance(drafted, FileResult):
                return drafted  # parked or not started
            entry = drafted
            result.outcome = Outcome.DRAFTED
        else:
            result.flags = list(entry.flags)
        try:
            written = self._write(target, entry.text)
        except WriteError as exc:
            if result.outcome != Outcome.DRAFTED:
                raise
            self.stop.halt(str(exc), exc)  # a full disk: the files after this one would fail the same way
            result.outcome, result.error = Outcome.FAILED, f"{exc} (the answer is counted: {result.calls} call(s))"
            result.seconds = time.perf_counter() - started
            return result  # the answer is paid for: its tokens and cost stay in the summary
        if not written:
            result.outcome = Outcome.KEPT
        else:
            self.site.record_written(path, target, key, entry.text, work)
            self._move_done(path, result)
        result.seconds = time.perf_counter() - started
        return result

    def failed(self, path: Path, exc: EnrichError, started: float) -> FileResult:
        """The failed file's row; tokens already paid for (a failure after some calls) are counted."""
        result = failed_result(path, exc, started)
        if exc.usage is not None:
            result.tokens_in, result.tokens_out = exc.usage.prompt_tokens, exc.usage.completion_tokens
            result.calls = exc.usage.calls
            result.cost = self.budget.cost(self.budget.model, result.tokens_in, result.tokens_out)
            self.budget.spend(result.cost)
        return result

    def not_started(self, path: Path) -> FileResult:
        return not_started_result(path, self.stop.reason)

    def _draft(self, path: Path, prepared: Prepared, key: str, result: FileResult) -> CacheEntry | FileResult:
        """Ask the model (within the budget) and store the draft in the cache; the result itself when parked."""
        policy = RetryPolicy.from_settings(self.drafter.settings)
        estimate = 0.0  # reserved for this file: it fits the budget, so a budget stop does not hold it back
        if self.budget.limited and self.budget.price is not None:
            estimate = self.budget.price.cost(*self.drafter.estimate_tokens(prepared))
            over = self.budget.reserve(estimate, wait=True)
            if over is not None:
                self.stop.halt(over, gate=False)  # files already reserved and in flight fit: they go on
                estimate = 0.0  # nothing was reserved
        try:
            if self.stop.is_set() and not estimate:  # a fatal error or Ctrl-C also halts the gate
                return self._stopped(path, result)
            draft = self.drafter.draft_prepared(prepared, policy.new_deadline())
        except HaltedError:
            return self._stopped(path, result)
        except RateLimitedError as exc:
            if exc.retry_after is not None and exc.retry_after > max(policy.deadline, LONGEST_PARK):
                raise EndpointError(f"{exc.message}; run the batch again then") from None  # never sleep that long
            self.parked[path_key(path)] = prepared
            result.outcome, result.retry_after = Outcome.PARKED, exc.retry_after
            result.error = f"{path}: {exc.message}"
            return result
        except EndpointError as exc:
            if exc.fatal:
                self.stop.halt(exc.message, exc)
            elif policy.parks_file(exc):  # retries ran out on 429s: the endpoint is busy, not this file bad
                self.parked[path_key(path)] = prepared
                result.outcome, result.error = Outcome.PARKED, f"{path}: {exc.message}"
                return result
            raise
        finally:
            self.budget.release(estimate)
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
        result.tokens_in, result.tokens_out, result.calls = prov.tokens_in, prov.tokens_out, prov.calls
        result.model_seconds = draft.model_seconds
        result.flags = flags
        result.cost = self.budget.cost(self.budget.model, prov.tokens_in, prov.tokens_out)
        self.budget.spend(result.cost)
        try:
            self.site.cache.put(entry)
        except WriteError as exc:  # the answer is paid for: counted above, and the draft is still written
            result.error = f"not cached: {exc}"
        return entry

    @staticmethod
    def _stopped(path: Path, result: FileResult) -> FileResult:
        result.outcome, result.error = Outcome.NOT_STARTED, f"{path}: not started ({STOPPED_EARLY})"
        return result

    def _write(self, target: Path, text: str) -> bool:
        """Write the draft unless a person's file is there; False when kept."""
        existing = read_existing(target)
        if existing is not None:
            digest = sha256_text(existing)
            if digest == sha256_text(text):
                return True
            if not self.site.batch_wrote(target, digest):
                return False  # edited by a person since batch wrote it (or never written by batch)
        try:
            atomic_write(target, text, exclusive=existing is None)
        except ExistsError:
            return False  # someone created it a moment ago
        return True

    def _move_done(self, path: Path, result: FileResult) -> None:
        if self.move_done is None:
            return
        from enrich.ingest.read import find_sidecar

        sidecar = find_sidecar(path)
        try:
            result.moved_to = str(move_no_clobber(path, self.move_done))
            if sidecar is not None:
                move_no_clobber(sidecar, self.move_done)
        except (OSError, EnrichError) as exc:
            result.error = f"{path}: drafted, but not moved: {getattr(exc, 'message', None) or exc}"


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
