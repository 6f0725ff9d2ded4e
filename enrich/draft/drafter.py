"""The Drafter: what every file of a run shares (settings, profile, prompts, vocabulary, one backend),
and the steps of drafting one file around the backend: prepare, cache key, estimate, draft, assemble.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from enrich.draft.backend import Backend
from enrich.draft.output import Draft
from enrich.draft.prepare import Prepared, prepare
from enrich.draft.prompt import PromptSet
from enrich.errors import EnrichError
from enrich.frontmatter.provenance import Flag, Provenance
from enrich.profile import Profile
from enrich.settings import Settings
from enrich.validate import validate_front_matter

if TYPE_CHECKING:
    from enrich.model.gate import RateGate
    from enrich.model.policy import Deadline


class Drafter:
    """Drafts files one at a time (or from many threads: batch shares one Drafter between workers)."""

    def __init__(self, settings: Settings, profile: Profile, prompts: PromptSet, backend: Backend, *, vocab: Any = None) -> None:
        self.settings = settings
        self.profile = profile
        self.prompts = prompts
        self.backend = backend
        self.vocab = vocab

    @property
    def rate_gate(self) -> RateGate | None:
        return self.backend.rate_gate

    def warm_up(self) -> None:
        """Load what the first draft would wait for, before batch workers start."""
        self.backend.warm_up()

    def input_budget(self, overhead: int) -> int:
        return self.backend.input_budget(overhead)

    # -- stage 1: read, clean, decide what to ask; key and price ----------------------------------
    def prepare(self, path: Path) -> Prepared:
        return prepare(path, self.profile)

    def cache_key(self, prepared: Prepared) -> str:
        """Content address of a draft: same cleaned input, profile, prompts, backend, parameters and
        vocabulary -> same draft."""
        return _digest({**self._work_parts(prepared), "vocab": getattr(self.vocab, "fingerprint", None)})

    def work_key(self, prepared: Prepared) -> str:
        """The cache key without the vocabulary: the same input, profile, prompts and model, whatever the
        site's vocabulary of the day. A draft batch wrote for it is not paid for again when only the
        vocabulary changed (every approved post changes it)."""
        return _digest(self._work_parts(prepared))

    def _work_parts(self, prepared: Prepared) -> dict[str, Any]:
        return {
            "input": prepared.cleaned_sha256,
            "known": prepared.known,
            "profile": self._profile_json,
            "prompts": self.prompts.version,
            **self.backend.cache_identity(),
        }

    @functools.cached_property
    def _profile_json(self) -> str:
        """The profile as the keys hold it, serialised once per run (not twice per file)."""
        return json.dumps(self.profile.raw, sort_keys=True, default=str)

    def estimate_tokens(self, prepared: Prepared) -> tuple[int, int]:
        """Prompt and completion tokens one draft will likely cost, counted offline (for --dry-run and budgets)."""
        return self.backend.estimate_tokens(prepared) if prepared.ask else (0, 0)

    # -- stage 2: draft ---------------------------------------------------------------------------
    def draft(self, path: Path, deadline: Deadline | None = None) -> Draft:
        started = time.perf_counter()
        try:
            prepared = self.prepare(path)
        except EnrichError as exc:
            exc.path = exc.path or str(path)  # every message names the file
            raise
        return self.draft_prepared(prepared, deadline, started=started)

    def draft_prepared(self, prepared: Prepared, deadline: Deadline | None = None, *, started: float | None = None) -> Draft:
        try:
            return self._draft_prepared(prepared, deadline, started if started is not None else time.perf_counter())
        except EnrichError as exc:
            exc.path = exc.path or str(prepared.source.path)
            raise

    def _draft_prepared(self, prepared: Prepared, deadline: Deadline | None, started: float) -> Draft:
        source = prepared.source
        prov = Provenance(
            input=source.path.name,
            input_sha256=source.sha256,
            backend=self.backend.name,
            prompt_version=self.backend.prompt_version,
            created=dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
            removed=prepared.cleaned.summary(),
        )
        prov.fields.update(prepared.known_sources)
        drafted: dict[str, Any] = {}
        model_seconds = 0.0
        if prepared.ask:
            result = self.backend.draft(prepared, deadline)
            result.record(prov)
            drafted, model_seconds = result.values, result.seconds
        values = self._assemble(prepared, drafted, prov)
        if self.vocab is not None:
            from enrich.vocab import apply_vocabulary

            mapped, vflags = apply_vocabulary({k: values[k] for k in drafted if k in values}, self.vocab, self.profile)
            values.update(mapped)
            prov.flags.extend(vflags)
        for problem in validate_front_matter(values, self.profile):
            prov.flags.append(Flag("warning", problem.key, problem.message + f" ({problem.rule})"))
        unique = {(f.kind, f.field, f.message): f for f in prov.flags}
        prov.flags = list(unique.values())
        total = time.perf_counter() - started
        return Draft(source.path, values, prepared.cleaned.text, prov, model_seconds=model_seconds, total_seconds=total)

    # -- stage 3: assemble in the profile's order -------------------------------------------------
    def _assemble(self, prepared: Prepared, drafted: dict[str, Any], prov: Provenance) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for name, spec in self.profile.fields.items():
            if name in prepared.known:
                values[name] = prepared.known[name]
            elif name in drafted:
                values[name] = drafted[name]
            elif spec.fallback == "today":
                # the profile's intended default: recorded as such, not a flag (a flag means "look at this")
                values[name] = dt.date.today().isoformat()
                prov.fields[name] = "default"
            elif spec.optional:
                continue
            else:
                # the profile's initial value; an empty required value is flagged by validation below
                values[name] = spec.initial()
                prov.fields.setdefault(name, "default")
        for key, value in prepared.known.items():
            values.setdefault(key, value)  # keys a person wrote that the profile does not know are kept
        for key, origin in prepared.source.metadata.origins.items():
            if key in prov.fields and origin.startswith("file name"):
                prov.fields[key] = "default"  # the source URL a YouTube id names: intended, not a flag
        return values


def _digest(parts: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()
