"""Grounding: every named entity a model drafts must be found in the transcript, or it is flagged."""

from __future__ import annotations

from typing import Any

from enrich.frontmatter.provenance import Flag
from enrich.text import fold

MENTIONS = "_mentions:"  # answer values keep each entity's quoted words under this prefix until grounded


def ground(values: dict[str, Any], folded: str, vocab: Any = None) -> tuple[dict[str, Any], list[Flag]]:
    """The values without their mentions, and a flag for each entity that no words of the transcript support.

    An entity counts as mentioned when its quoted words, its name or one of its vocabulary aliases
    appear in the folded transcript.
    """
    out: dict[str, Any] = {}
    flags: list[Flag] = []
    for key, value in values.items():
        if key.startswith(MENTIONS):
            continue
        out[key] = value
        mentions = values.get(f"{MENTIONS}{key}")
        if mentions is None:
            continue
        for name, mention in zip(value, mentions, strict=True):
            candidates = [mention, name, *(vocab.aliases(key, name) if vocab is not None else [])]
            if not any(c and fold(c) and fold(c) in folded for c in candidates):
                quoted = f" (quoted as {mention!r})" if mention else ""
                flags.append(Flag("ungrounded", key, f"{name!r} is not mentioned in the transcript{quoted}", name))
    return out, flags
