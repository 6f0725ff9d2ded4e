"""Stage 1 of drafting: read and clean a file, and decide which fields must still be drafted."""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from enrich.ingest.clean import CleanResult, clean_text
from enrich.ingest.read import Source, read_source
from enrich.profile import FieldSpec, Profile
from enrich.text import fold


@dataclass
class Prepared:
    """A file read and cleaned, with what a backend will draft: enough to plan, cache and price."""

    source: Source
    cleaned: CleanResult
    known: dict[str, Any]  # values from a person or metadata, never drafted
    known_sources: dict[str, str]
    ask: list[FieldSpec]  # fields the backend drafts for this file
    cleaned_sha256: str
    site_names: dict[str, dict[str, list[str]]] | None = field(default=None, repr=False)  # see draft.ground
    context: str | None = field(default=None, repr=False)  # the request's context lines (draft.model), made once

    @functools.cached_property
    def folded(self) -> str:
        """The cleaned text in grounding's comparison form, computed once per file."""
        return fold(self.cleaned.text)


def prepare(path: Path, profile: Profile) -> Prepared:
    """Read and clean `path`; a person's values win over metadata, and neither is asked again."""
    source = read_source(path)
    cleaned = clean_text(source.text)
    known: dict[str, Any] = {}
    known_sources: dict[str, str] = {}
    for key, value in source.metadata.values.items():
        if key in profile.fields:
            known[key], known_sources[key] = value, "metadata"
    for key, value in source.person_fields.items():
        known[key], known_sources[key] = value, "person"  # a person's value always wins
    ask = [f for f in profile.model_fields() if f.name not in known]
    digest = hashlib.sha256(cleaned.text.encode("utf-8")).hexdigest()
    return Prepared(source, cleaned, known, known_sources, ask, digest)
