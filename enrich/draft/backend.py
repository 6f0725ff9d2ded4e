"""The one drafting interface: what a backend must do, and what it hands back.

A backend drafts the fields a prepared file still needs. There are two: `model.ModelBackend` (asks
an OpenAI-compatible endpoint) and `offline.OfflineBackend` (no model at all). `build.build_drafter`
chooses one per run from the settings and the flags; everything downstream (the Drafter, batch,
the CLI) only talks to this interface, and the provenance records which one made each draft.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol

from enrich.frontmatter.provenance import Flag, Provenance

if TYPE_CHECKING:
    from enrich.draft.prepare import Prepared
    from enrich.model.gate import RateGate
    from enrich.model.policy import Deadline

BackendName = Literal["model", "offline"]


@dataclass
class Drafted:
    """What a backend made of one file: the values it drafted and how it made them."""

    values: dict[str, Any]
    source: str  # what provenance says each of these fields came from: "model" or "offline"
    flags: list[Flag] = field(default_factory=list)
    model: str | None = None
    endpoint: str | None = None  # host only
    response_format: str | None = None
    tokens_in: int = 0
    tokens_out: int = 0
    calls: int = 0
    chunks: int = 1
    seconds: float = 0.0  # spent waiting on the endpoint

    def record(self, prov: Provenance) -> None:
        """Write how the values were made into the draft's provenance."""
        for key in self.values:
            prov.fields[key] = self.source
        prov.flags.extend(self.flags)
        prov.model, prov.endpoint, prov.response_format = self.model, self.endpoint, self.response_format
        prov.tokens_in, prov.tokens_out, prov.calls, prov.chunks = self.tokens_in, self.tokens_out, self.calls, self.chunks


class Backend(Protocol):
    """How the fields a file still needs get drafted."""

    @property
    def name(self) -> BackendName:
        """How drafts are made, as provenance records it."""

    @property
    def label(self) -> str:
        """The model's name, or "offline": what reports and summaries show and prices are looked up by."""

    @property
    def paid(self) -> bool:
        """Whether drafting costs money (tokens at the model's price); offline drafting costs nothing."""

    @property
    def prompt_version(self) -> str | None:
        """The version of the prompts this backend sends, None when it sends none."""

    @property
    def rate_gate(self) -> RateGate | None:
        """The gate requests wait at (shared by batch workers), None when nothing is sent."""

    def cache_identity(self) -> dict[str, Any]:
        """What, besides the input, profile, prompts and vocabulary, decides the draft (part of the cache key)."""

    def input_budget(self, overhead: int) -> int:
        """Tokens of transcript one request may carry, after `overhead` tokens of instructions."""

    def estimate_tokens(self, prepared: Prepared) -> tuple[int, int]:
        """Prompt and completion tokens drafting this file will likely cost (0, 0 when it costs none)."""

    def warm_up(self) -> None:
        """Load now what the first draft would otherwise wait for (the model client, jieba)."""

    def draft(self, prepared: Prepared, deadline: Deadline | None = None) -> Drafted:
        """Draft `prepared.ask` (never empty); an EnrichError says why not."""
