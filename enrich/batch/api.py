"""`enrich batch INBOX --via batch-api`: the provider's Batch API, at half the price, resumable.

export (request lines, split per model, 50,000 lines and 200 MB) -> state written -> upload
(`files.create(purpose="batch")`) -> create (`batches.create`, tagged with the run in metadata) ->
poll -> download the output and error files -> collect (`enrich.batch.collect`) -> the run's folder
is set aside. Every step is recorded in `.enrich/batches/` before the next starts, and every step
first looks for what an earlier, killed run already did (`remote_state`): one batch per request
file, ever. Never imports click.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from enrich.batch import remote_state as rs
from enrich.batch.collect import Collection, collect
from enrich.batch.export import build_export, drafter_with_client
from enrich.batch.jsonl import ENDPOINT, MAX_BYTES, MAX_LINES, LineResult, read_results, split_requests
from enrich.batch.lock import InboxLock, lock_path, out_lock
from enrich.batch.report import BatchResult
from enrich.batch.state import SiteState, list_inbox, path_key
from enrich.errors import ConfigError, EndpointError
from enrich.fsutil import atomic_write

if TYPE_CHECKING:
    from enrich.batch.replay import ReplayClient
    from enrich.draft.drafter import Drafter

StatusCallback = Callable[[str], None]
API_RETRIES = 3  # the openai client's own retries for files and batches calls (the live path runs with 0)
LIST_SLACK = 300.0  # seconds: batches created this long before the run started cannot be the run's


@dataclass
class RemoteOptions:
    inbox: Path
    out: Path
    jobs: int = 4
    poll: float = 30.0
    max_lines: int = MAX_LINES
    max_bytes: int = MAX_BYTES


@dataclass
class RemoteResult:
    result: BatchResult
    notes: list[str] = field(default_factory=list)
    created: int = 0  # batches this invocation created


class BatchApiRun:
    """One inbox's Batch API run: start it, or resume the one a killed run left."""

    def __init__(self, drafter: Drafter, options: RemoteOptions, *, on_status: StatusCallback | None = None) -> None:
        self.drafter = drafter
        self.options = options
        self.site = SiteState(drafter.settings.site_root)
        self.folder = rs.run_dir(self.site.root, options.inbox)
        self.on_status = on_status or (lambda _line: None)
        self.created = 0
        self._client: ReplayClient | None = None

    # -- public ---------------------------------------------------------------------------------
    def run(self) -> RemoteResult:
        opts = self.options
        inputs = list_inbox(opts.inbox)
        if opts.out.resolve() == opts.inbox.resolve():
            raise ConfigError("--out is the inbox itself: drafts would become inputs; choose another folder", path=str(opts.out))
        started = time.monotonic()
        with InboxLock(lock_path(self.site.root, opts.inbox), opts.inbox):
            self.site.load()
            state = rs.load(self.folder)
            prepared: dict[str, Any] = {}
            if state is None:
                state, prepared = self._start(inputs)
            else:
                self.on_status(f"resuming batch run {state.run} ({len(state.parts)} batch file(s))")
            answers: dict[str, LineResult] = {}
            if state.parts:
                try:
                    self._submit(state)
                    self._poll(state)
                except KeyboardInterrupt:
                    note = "interrupted: the batch keeps running at the provider; run the same command again to collect it"
                    empty = BatchResult(inbox=str(opts.inbox), out=str(opts.out), model=state.model, files=[], interrupted=True)
                    return RemoteResult(empty, [note], self.created)
                answers = self._download(state)
            given = Collection(answers, asked=state.asked, live=set(state.live), unanswered=_reasons(state), prepared=prepared)
            with out_lock(opts.out):  # drafts are written only now: --out is locked only now
                result = collect(self._replay(), self.client, inputs, opts.out, self.site, given, jobs=opts.jobs)
            if self.folder.exists():
                rs.finish(self.folder, state)
        result.inbox, result.wall_seconds = str(opts.inbox), time.monotonic() - started
        return RemoteResult(result, _notes(state, result), self.created)

    def status(self) -> list[str]:
        """One line per batch of the run in progress, as the provider reports it now."""
        state = rs.load(self.folder)
        if state is None:
            return [f"no batch in progress for {self.options.inbox}"]
        for part in state.parts:
            if part.batch_id is not None and not part.finished:
                self._update(part, self.api.batches.retrieve(part.batch_id))
        return [f"batch run {state.run}, started {state.created}", *(_part_line(p) for p in state.parts)]

    def cancel(self) -> list[str]:
        """Cancel the run's batches; what they finished is collected (and paid for) by the next run."""
        with InboxLock(lock_path(self.site.root, self.options.inbox), self.options.inbox):
            state = rs.load(self.folder)
            if state is None:
                return [f"no batch in progress for {self.options.inbox}"]
            state.cancel_requested = True
            lines = []
            for part in state.parts:
                found = self._find_batch(state, part) if part.batch_id is None else None
                if found is not None:
                    part.batch_id = found.id
                if part.batch_id is None:
                    part.status = "cancelled"  # never created: its requests go into the next run's batch
                elif not part.finished:
                    self._update(part, self.api.batches.cancel(part.batch_id))
                lines.append(_part_line(part))
            rs.save(self.folder, state)
        return [*lines, "run the same command without --cancel to collect what was finished; the rest is asked again"]

    # -- the client -----------------------------------------------------------------------------
    @property
    def client(self) -> ReplayClient:
        if self._client is None:
            from enrich.batch.replay import ReplayClient
            from enrich.model.gate import RateGate

            self._client = ReplayClient(self.drafter.settings, gate=RateGate(max_in_flight=max(1, self.options.jobs)))
        return self._client

    @property
    def api(self) -> Any:
        """The openai client for files and batches (needs the endpoint; these calls retry on their own)."""
        from enrich.settings import NO_ENDPOINT_HELP

        if not self.drafter.settings.has_endpoint:
            raise ConfigError(NO_ENDPOINT_HELP)
        return self.client.client.with_options(max_retries=API_RETRIES)

    def _replay(self) -> Drafter:
        from enrich.draft.drafter import Drafter
        from enrich.draft.model import ModelBackend

        d = self.drafter
        backend = ModelBackend(d.settings, d.profile, d.prompts, vocab=d.vocab, client=self.client)
        return Drafter(d.settings, d.profile, d.prompts, backend, vocab=d.vocab)

    # -- steps ----------------------------------------------------------------------------------
    def _start(self, inputs: list[Path]) -> tuple[rs.RunState, dict[str, Any]]:
        from enrich.batch.replay import CaptureClient

        self.api  # noqa: B018 - no endpoint: say so before any work
        export = build_export(drafter_with_client(self.drafter, CaptureClient), inputs, self.options.out, self.site)
        state = rs.started(self.options.inbox, export.model)
        state.live = [path_key(p) for p in export.live]
        lines = ((export.model, cid, line) for cid, line in export.lines.items())
        for index, part in enumerate(split_requests(lines, max_lines=self.options.max_lines, max_bytes=self.options.max_bytes)):
            name = rs.upload_name(state.run, index)
            atomic_write(self.folder / name, part.data())
            state.parts.append(rs.Part(index, name, part.model, part.custom_ids, part.size))
        if state.parts:
            rs.save(self.folder, state)  # before anything is uploaded
            asked, live = len(export.lines), len(export.live)
            self.on_status(f"{asked} request(s) in {len(state.parts)} batch file(s); {live} long transcript(s) drafted live")
        return state, export.prepared

    def _submit(self, state: rs.RunState) -> None:
        for part in state.parts:
            if part.finished:
                continue
            if part.input_file_id is None:
                part.input_file_id = self._find_upload(part) or self._upload(part)
                rs.save(self.folder, state)
            if part.batch_id is None:
                found = self._find_batch(state, part)
                if found is None and state.cancel_requested:
                    part.status = "cancelled"
                    continue
                if found is None:
                    found = self.api.batches.create(
                        input_file_id=part.input_file_id,
                        endpoint=ENDPOINT,
                        completion_window="24h",
                        metadata=state.metadata(part),
                    )
                    self.created += 1
                part.batch_id = found.id
                self._update(part, found)
                rs.save(self.folder, state)
                self.on_status(f"batch {part.batch_id} created for {len(part.custom_ids)} request(s)")

    def _upload(self, part: rs.Part) -> str:
        data = (self.folder / part.file).read_bytes()
        uploaded = self.api.files.create(file=(part.file, data), purpose="batch")
        return str(uploaded.id)

    def _find_upload(self, part: rs.Part) -> str | None:
        for uploaded in self.api.files.list(purpose="batch"):
            if uploaded.filename == part.file:
                return str(uploaded.id)
        return None

    def _find_batch(self, state: rs.RunState, part: rs.Part) -> Any:
        """The batch an earlier, killed run created for this part (tagged in its metadata), if any."""
        for batch in self.api.batches.list(limit=100):
            if (batch.metadata or {}) == state.metadata(part):
                return batch
            if batch.created_at < state.created_epoch - LIST_SLACK:
                return None  # newest first: older batches cannot be this run's
        return None

    def _poll(self, state: rs.RunState) -> None:
        last = ""
        while True:
            for part in state.parts:
                if part.batch_id is not None and not part.finished:
                    self._update(part, self.api.batches.retrieve(part.batch_id))
            rs.save(self.folder, state)
            line = "; ".join(_part_line(p) for p in state.parts)
            if line != last:
                self.on_status(line)
                last = line
            if all(p.finished for p in state.parts):
                return
            time.sleep(self.options.poll)

    @staticmethod
    def _update(part: rs.Part, batch: Any) -> None:
        part.status = str(batch.status)
        counts = batch.request_counts
        if counts is not None:
            part.completed, part.failed = int(counts.completed), int(counts.failed)
        part.output_file_id, part.error_file_id = batch.output_file_id, batch.error_file_id
        errors = getattr(batch.errors, "data", None) or []
        part.errors = [f"line {e.line}: {e.message}" if e.line else str(e.message) for e in errors]

    def _download(self, state: rs.RunState) -> dict[str, LineResult]:
        answers: dict[str, LineResult] = {}
        for part in state.parts:
            for kind, file_id in (("errors", part.error_file_id), ("output", part.output_file_id)):
                if file_id is None:
                    continue
                local = self.folder / f"{kind}-{part.index:03d}.jsonl"
                if not local.exists():
                    try:
                        atomic_write(local, self.api.files.content(file_id).content)
                    except Exception as exc:
                        raise EndpointError(f"cannot download the batch's {kind} file {file_id}: {exc}") from None
                answers.update(read_results(local))  # output last: an answer wins over an error
        return answers


def _reasons(state: rs.RunState) -> dict[str, str]:
    why = {
        "expired": "the batch expired before answering it",
        "cancelled": "the batch was cancelled before answering it",
    }
    reasons: dict[str, str] = {}
    for part in state.parts:
        reason = why.get(str(part.status)) or (
            f"the batch failed: {'; '.join(part.errors[:3]) or 'no reason given'}" if part.status == "failed" else None
        )
        if reason:
            reasons.update(dict.fromkeys(part.custom_ids, reason))
    return reasons


def _part_line(part: rs.Part) -> str:
    if part.batch_id is None:
        return f"batch file {part.index}: {part.status or 'not submitted yet'} ({len(part.custom_ids)} requests)"
    done = f"{part.completed}/{len(part.custom_ids)} answered, {part.failed} failed"
    extra = f": {'; '.join(part.errors[:3])}" if part.errors else ""
    return f"batch {part.batch_id}: {part.status} ({done}){extra}"


def _notes(state: rs.RunState, result: BatchResult) -> list[str]:
    from enrich.batch.report import Outcome

    notes = [_part_line(p) for p in state.parts]
    left = result.count(Outcome.NOT_STARTED)
    if left:
        notes.append(f"{left} file(s) left for the next run (not answered by this batch): run the same command again")
    notes.append("costs at the batch price (half the live price); repairs and long transcripts went live, at the live price")
    return notes
