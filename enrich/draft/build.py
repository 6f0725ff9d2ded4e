"""Wiring a run: settings + profile + prompts + vocabulary + the one backend -> a Drafter.

The backend is chosen here and only here. Kept apart from the CLI so that batch, review and tests
build drafters exactly as `enrich FILE` does.
"""

from __future__ import annotations

import importlib.util
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from enrich.draft.backend import Backend
from enrich.draft.drafter import Drafter
from enrich.draft.output import Draft, probe_out_dir, refuse_existing, write_draft
from enrich.draft.prompt import PromptSet, load_prompts
from enrich.errors import ConfigError
from enrich.profile import Profile, load_profile
from enrich.settings import NO_ENDPOINT_HELP, Settings

# "auto": the model when an endpoint is configured, else offline (with a notice); "offline": --offline
BackendChoice = Literal["auto", "offline"]


def offline_available() -> bool:
    return importlib.util.find_spec("enrich.offline") is not None


def load_site_vocabulary(settings: Settings) -> Any:
    """The site's vocabulary if one was built (enrich vocab build), else None."""
    if importlib.util.find_spec("enrich.vocab") is None:
        return None
    from enrich.vocab import load_vocabulary

    return load_vocabulary(settings.site_root)


def choose_backend(
    settings: Settings,
    profile: Profile,
    prompts: PromptSet,
    *,
    choice: BackendChoice = "auto",
    vocab: Any = None,
    planning: bool = False,
    max_in_flight: int | None = None,
) -> tuple[Backend, str | None]:
    """The backend for this run, and a one-line notice when it drafts offline.

    `planning`: only prepare, price and key files (batch --dry-run): the model backend needs no
    endpoint for that. `max_in_flight`: at most this many requests on the wire at once (batch --jobs).
    """
    from enrich.draft.model import ModelBackend
    from enrich.draft.offline import OfflineBackend

    if choice == "offline":
        return OfflineBackend(profile, vocab=vocab), None if planning else "drafting offline, without a model (--offline)"
    if planning:
        return ModelBackend(settings, profile, prompts, vocab=vocab), None
    if not settings.has_endpoint:
        if not offline_available():
            raise ConfigError(NO_ENDPOINT_HELP)
        return OfflineBackend(profile, vocab=vocab), NO_ENDPOINT_HELP + "; drafting offline, without a model"
    gate = None
    if max_in_flight:
        from enrich.model.gate import RateGate  # light: openai itself is imported only with the first request

        gate = RateGate(max_in_flight=max_in_flight)
    return ModelBackend(settings, profile, prompts, vocab=vocab, gate=gate), None


def build_drafter(
    settings: Settings,
    *,
    profile_file: Path | None = None,
    backend: BackendChoice = "auto",
    planning: bool = False,
    max_in_flight: int | None = None,
) -> tuple[Drafter, str | None]:
    """A Drafter for this site, and a one-line notice when drafting is offline (see choose_backend)."""
    profile = load_profile(settings.site_root, profile_file)
    prompts = load_prompts(settings.prompt_overrides)
    vocab = load_site_vocabulary(settings)
    chosen, notice = choose_backend(
        settings, profile, prompts, choice=backend, vocab=vocab, planning=planning, max_in_flight=max_in_flight
    )
    return Drafter(settings, profile, prompts, chosen, vocab=vocab), notice


@dataclass
class Outcome:
    draft: Draft
    path: Path | None
    text: str
    summary: str


def summarise(draft: Draft, target: Path | None) -> str:
    prov = draft.provenance
    kinds = Counter(f.kind for f in prov.flags)
    flags = ", ".join(f"{n} {k}" for k, n in sorted(kinds.items())) or "no flags"
    how = "offline" if prov.backend == "offline" else f"{prov.model}, {prov.tokens_in}+{prov.tokens_out} tokens"
    where = f"wrote {target}" if target else f"drafted {draft.path}"
    return f"{where} ({how}; {flags})"


def draft_one(drafter: Drafter, path: Path, out_dir: Path, *, force: bool = False, to_stdout: bool = False) -> Outcome:
    if not force and not to_stdout:
        refuse_existing(path, out_dir)  # before the model is paid or offline drafting runs
    if not to_stdout:
        probe_out_dir(out_dir)
    draft = drafter.draft(path)
    text = draft.render(drafter.profile)
    target = None if to_stdout else write_draft(draft, drafter.profile, out_dir, force=force)
    return Outcome(draft=draft, path=target, text=text, summary=summarise(draft, target))
