"""The offline backend: the fields drafted without any model, by `enrich.offline.draft_offline`.

Costs nothing and sends nothing; every field it drafts is recorded as "offline" and flagged for the
reviewer by draft_offline itself.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from enrich.draft.backend import BackendName, Drafted
from enrich.profile import Profile

if TYPE_CHECKING:
    from enrich.draft.prepare import Prepared
    from enrich.model.gate import RateGate
    from enrich.model.policy import Deadline


class OfflineBackend:
    """Drafts from the text alone (jieba and OpenCC for Chinese, capitalised spans for English)."""

    name: BackendName = "offline"
    label = "offline"
    paid = False
    prompt_version = None
    rate_gate: RateGate | None = None

    def __init__(self, profile: Profile, *, vocab: Any = None) -> None:
        self.profile = profile
        self.vocab = vocab

    def cache_identity(self) -> dict[str, Any]:
        return {"backend": self.name}

    def input_budget(self, overhead: int) -> int:
        return sys.maxsize  # the whole text is read at once: nothing is ever split

    def estimate_tokens(self, prepared: Prepared) -> tuple[int, int]:
        return 0, 0

    def warm_up(self) -> None:
        from enrich.offline import warm_up

        warm_up()  # load jieba once, before batch workers start

    def draft(self, prepared: Prepared, deadline: Deadline | None = None) -> Drafted:
        from enrich.offline import draft_offline

        result = draft_offline(
            prepared.cleaned.text, profile=self.profile, vocab=self.vocab, title_hint=prepared.source.metadata.title_hint
        )
        asked = {f.name for f in prepared.ask}
        values = {k: v for k, v in result.values.items() if k in asked}
        return Drafted(values, source="offline", flags=list(result.flags))
