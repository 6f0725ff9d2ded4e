"""Keeping secrets out of everything enrich prints or writes.

Every line the CLI prints and every error message passes through `redact`, which removes the
configured API key and anything shaped like a provider key. Every span any known secret covers is
masked at once, so two secrets that overlap in the text leave no part of either.
"""

from __future__ import annotations

import os
import re

# ASCII boundaries, not `\b`: a key written right after Chinese text (no space) is still a key.
_KEY_SHAPES = re.compile(r"(?<![A-Za-z0-9_])(sk-[A-Za-z0-9_\-]{8,}|sk_[A-Za-z0-9]{16,}|[A-Za-z0-9]{32,}(?![A-Za-z0-9_]))")
_known: set[str] = set()


def register_secret(value: str | None) -> None:
    """Remember a secret so that it is masked wherever it would appear."""
    if value and len(value) >= 4:
        _known.add(value)


def _mask_known(text: str) -> str:
    """Every span covered by any known secret, overlapping ones included, becomes one '***'."""
    covered = [False] * len(text)
    for secret in _known:
        start = text.find(secret)
        while start != -1:
            covered[start : start + len(secret)] = [True] * len(secret)
            start = text.find(secret, start + 1)
    out: list[str] = []
    for i, ch in enumerate(text):
        if not covered[i]:
            out.append(ch)
        elif i == 0 or not covered[i - 1]:
            out.append("***")
    return "".join(out)


def redact(text: str) -> str:
    """The text with every known secret and key-shaped token replaced by '***'."""
    for env_name in ("OPENAI_API_KEY", "ENRICH_API_KEY", "AZURE_OPENAI_API_KEY"):
        register_secret(os.environ.get(env_name))
    if any(secret in text for secret in _known):
        text = _mask_known(text)
    return _KEY_SHAPES.sub("***", text)
