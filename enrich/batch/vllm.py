"""`--via jsonl` and `--import`: the same request lines for engines without a Batch API (`vllm run-batch`).

    enrich batch INBOX --via jsonl --requests requests.jsonl
    vllm run-batch -i requests.jsonl -o results.jsonl --model MODEL
    enrich batch INBOX --import results.jsonl

The import matches result lines to inputs by custom_id (the cache key), so it needs no state: an
input whose line is missing or failed is left for the next export; repairs and long transcripts
are drafted live when an endpoint is configured, and fail with that said when none is.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from enrich.batch.collect import Collection, collect
from enrich.batch.export import Export, build_export, drafter_with_client
from enrich.batch.jsonl import read_results
from enrich.batch.lock import InboxLock, lock_path
from enrich.batch.report import BatchResult
from enrich.batch.state import SiteState, list_inbox, path_key
from enrich.errors import ExistsError
from enrich.fsutil import atomic_write

if TYPE_CHECKING:
    from enrich.draft.drafter import Drafter


@dataclass
class Exported:
    path: Path
    export: Export


def export_requests(drafter: Drafter, inbox: Path, out: Path, requests: Path) -> Exported:
    """Write the request lines of every input that needs the model to `requests` (never over another file)."""
    from enrich.batch.replay import CaptureClient

    site = SiteState(drafter.settings.site_root)
    site.load()
    export = build_export(drafter_with_client(drafter, CaptureClient), list_inbox(inbox), out, site)
    if requests.exists():
        raise ExistsError(f"{requests} already exists; not replaced (remove it or choose another --requests)", path=str(requests))
    atomic_write(requests, b"".join(export.lines.values()), exclusive=True)
    return Exported(requests, export)


def import_results(drafter: Drafter, inbox: Path, out: Path, results: Path, *, jobs: int = 4) -> BatchResult:
    """Drafts from `vllm run-batch` output (or any Batch API output file), as a batch run makes them."""
    from enrich.batch.replay import CaptureClient, ReplayClient
    from enrich.model.gate import RateGate

    answers = read_results(results)
    inputs = list_inbox(inbox)
    site = SiteState(drafter.settings.site_root)
    started = time.monotonic()
    with InboxLock(lock_path(site.root, inbox), inbox, out=out):
        site.load()
        export = build_export(drafter_with_client(drafter, CaptureClient), inputs, out, site)  # which need chunks
        client = ReplayClient(drafter.settings, gate=RateGate(max_in_flight=max(1, jobs)))
        replay = _over(drafter, client)
        given = Collection(
            answers,
            asked=None,
            live={path_key(p) for p in export.live},
            not_asked=f"no line for it in {results.name}",
            prepared=export.prepared,
        )
        result = collect(replay, client, inputs, out, site, given, jobs=jobs)
    result.inbox, result.wall_seconds = str(inbox), time.monotonic() - started
    return result


def _over(drafter: Drafter, client: object) -> Drafter:
    from enrich.draft.drafter import Drafter
    from enrich.draft.model import ModelBackend

    backend = ModelBackend(drafter.settings, drafter.profile, drafter.prompts, vocab=drafter.vocab, client=client)  # type: ignore[arg-type]
    return Drafter(drafter.settings, drafter.profile, drafter.prompts, backend, vocab=drafter.vocab)
