"""Which inputs a batch must ask for, and their request lines (`--via batch-api`, `--via jsonl`).

The same rules as a live run decide what needs drafting (`enrich.batch.plan`): a name clash, a
person's draft, a review or a cache entry means no request. What is left is asked in one line per
distinct cache key; a transcript that needs chunks is left to the live path.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from enrich.batch.jsonl import custom_id_for, request_line
from enrich.batch.plan import draft_name_clashes, skip_reason
from enrich.batch.state import SiteState, path_key, read_existing
from enrich.errors import EnrichError

if TYPE_CHECKING:
    from enrich.draft.drafter import Drafter
    from enrich.draft.prepare import Prepared
    from enrich.model.gate import RateGate


def drafter_with_client(drafter: Drafter, client_class: type, *, gate: RateGate | None = None) -> Drafter:
    """The same drafter (settings, profile, prompts, vocabulary, cache identity) over another client."""
    from enrich.draft.drafter import Drafter
    from enrich.draft.model import ModelBackend

    client = client_class(drafter.settings, gate=gate)
    backend = ModelBackend(drafter.settings, drafter.profile, drafter.prompts, vocab=drafter.vocab, client=client)
    return Drafter(drafter.settings, drafter.profile, drafter.prompts, backend, vocab=drafter.vocab)


@dataclass
class Export:
    """What a batch would ask: request lines by custom_id, and the inputs it leaves to the live path."""

    model: str
    lines: dict[str, bytes] = field(default_factory=dict)  # custom_id -> request line
    live: list[Path] = field(default_factory=list)  # need chunks (notes, then a merge): drafted live
    done: int = 0  # nothing to ask: cached, drafted, kept, reviewed or refused
    prepared: dict[str, Prepared] = field(default_factory=dict)  # by path_key, for the collection in this run

    @property
    def size(self) -> int:
        return sum(len(line) for line in self.lines.values())


def build_export(drafter: Drafter, inputs: list[Path], out: Path, site: SiteState) -> Export:
    """Request lines for every input that needs the model (`drafter` must capture, see `replay`)."""
    from enrich.batch.replay import DRAFT_REQUEST, capture
    from enrich.draft.output import output_path

    export = Export(model=drafter.settings.model)
    clashes = draft_name_clashes(inputs, out, site)
    for path in inputs:
        if path_key(path) in clashes:
            export.done += 1
            continue
        try:
            prepared = drafter.prepare(path)
        except EnrichError:
            export.done += 1  # the collection reports it, as a live run would
            continue
        export.prepared[path_key(path)] = prepared
        key = drafter.cache_key(prepared)
        target = output_path(path, out)
        entry = site.cache.get(key)
        if (
            not prepared.ask
            or entry is not None
            or skip_reason(site, path, prepared, entry, read_existing(target), target, drafter.work_key(prepared))
        ):
            export.done += 1
            continue
        got = capture(drafter, prepared)
        if got.name != DRAFT_REQUEST:
            export.live.append(path)
            continue
        custom_id = custom_id_for(key)
        export.lines.setdefault(custom_id, request_line(custom_id, got.request))
    return export
