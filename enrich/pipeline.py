"""Wiring the stages together for a command: settings + profile + prompts + vocabulary -> a Drafter.

Kept apart from the CLI so that batch, review and tests build drafters exactly as `enrich FILE` does.
"""

from __future__ import annotations

import importlib.util
import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from enrich.config import NO_ENDPOINT_HELP, Settings
from enrich.draft import Draft, Drafter, write_draft
from enrich.errors import ConfigError
from enrich.profile import Profile, load_profile
from enrich.prompt import load_prompts


def offline_available() -> bool:
    return importlib.util.find_spec("enrich.offline") is not None


def load_site_vocabulary(settings: Settings) -> Any:
    """The site's vocabulary if one was built (enrich vocab build), else None."""
    if importlib.util.find_spec("enrich.vocab") is None:
        return None
    from enrich.vocab import load_vocabulary

    return load_vocabulary(settings.site_root)


def build_drafter(
    settings: Settings,
    *,
    profile_file: Path | None = None,
    offline: bool = False,
    planning: bool = False,
    max_in_flight: int | None = None,
) -> tuple[Drafter, str | None]:
    """A Drafter for this site, and a one-line notice when drafting falls back to offline.

    `planning`: the drafter only prepares, prices and keys files (batch --dry-run), so it needs no
    endpoint. `max_in_flight`: at most this many requests on the wire at once (batch --jobs).
    """
    profile = load_profile(settings.site_root, profile_file)
    override = Path(settings.prompts_dir) if settings.prompts_dir else settings.site_root / ".enrich" / "prompts"
    prompts = load_prompts(override)
    vocab = load_site_vocabulary(settings)
    if planning:
        return Drafter(settings, profile, prompts, vocab=vocab, offline=offline, planning=True), None
    notice = None
    if not offline and not settings.has_endpoint:
        if not offline_available():
            raise ConfigError(NO_ENDPOINT_HELP)
        offline = True
        notice = NO_ENDPOINT_HELP + "; drafting offline, without a model"
    elif offline:
        notice = "drafting offline, without a model (--offline)"
    gate = None
    if not offline and max_in_flight:
        from enrich.model.gate import RateGate  # light: openai itself is imported only with the first request

        gate = RateGate(max_in_flight=max_in_flight)
    return Drafter(settings, profile, prompts, gate=gate, vocab=vocab, offline=offline), notice


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
    how = "offline" if prov.model == "offline" else f"{prov.model}, {prov.tokens_in}+{prov.tokens_out} tokens"
    where = f"wrote {target}" if target else f"drafted {draft.path}"
    return f"{where} ({how}; {flags})"


def draft_one(drafter: Drafter, path: Path, out_dir: Path, *, force: bool = False, to_stdout: bool = False) -> Outcome:
    draft = drafter.draft(path)
    text = draft.render(drafter.profile)
    target = None if to_stdout else write_draft(draft, drafter.profile, out_dir, force=force)
    return Outcome(draft=draft, path=target, text=text, summary=summarise(draft, target))


def describe_profile(*, profile_file: Path | None = None, as_json: bool = False, start: Path | None = None) -> str:
    """The effective profile, each setting with its origin."""
    profile = load_profile(start, profile_file)
    if as_json:
        return json.dumps({"profile": profile.raw, "origins": profile.origins}, ensure_ascii=False, indent=2, default=str) + "\n"
    return _describe_text(profile)


def _describe_text(profile: Profile) -> str:
    lines = [f"profile: {profile.name}  ({profile.origins.get('name', 'default profile')})"]
    lines.append(f"language: {profile.language} ({profile.language_name})  ({profile.origins.get('language')})")
    lines.append(f"key order: {', '.join(profile.key_order)}  ({profile.origins.get('key_order')})")
    lines.append("fields:")
    for name in profile.ordered_keys(list(profile.fields)):
        spec = profile.fields[name]
        rules = []
        if spec.required:
            rules.append("required")
        if spec.enum:
            rules.append(f"one of {len(spec.enum)} values")
        if spec.pattern:
            rules.append(f"pattern {spec.pattern}")
        if spec.min_length or spec.max_length:
            rules.append(f"length {spec.min_length or 0}-{spec.max_length or '∞'}")
        if spec.min_items or spec.max_items:
            rules.append(f"items {spec.min_items or 0}-{spec.max_items or '∞'}")
        if spec.grounded:
            rules.append("grounded in the transcript")
        if spec.default is not None:
            rules.append(f"default {spec.default!r}")
        origins = sorted({v for k, v in profile.origins.items() if k.startswith(f"fields.{name}.")})
        lines.append(
            f"  {name}: {spec.type}, by {spec.by}" + (f"; {'; '.join(rules)}" if rules else "") + f"  ({', '.join(origins)})"
        )
    lines.append("severity: " + ", ".join(f"{k}={v}" for k, v in sorted(profile.severity.items())))
    if profile.approval:
        lines.append(f"on approval: {profile.approval}")
    return "\n".join(lines) + "\n"
