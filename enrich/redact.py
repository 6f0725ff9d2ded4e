"""Keeping secrets out of everything enrich prints or writes.

Every line the CLI prints and every error message passes through `redact`, which removes the
configured API key and anything shaped like a provider key.
"""

from __future__ import annotations

import os
import re

_KEY_SHAPES = re.compile(r"\b(sk-[A-Za-z0-9_\-]{8,}|sk_[A-Za-z0-9]{16,}|[A-Za-z0-9]{32,}(?=\b))")
_known: set[str] = set()


def register_secret(value: str | None) -> None:
    """Remember a secret so that it is masked wherever it would appear."""
    if value and len(value) >= 4:
        _known.add(value)


def redact(text: str) -> str:
    """The text with every known secret and key-shaped token replaced by '***'."""
    for env_name in ("OPENAI_API_KEY", "ENRICH_API_KEY", "AZURE_OPENAI_API_KEY"):
        register_secret(os.environ.get(env_name))
    for secret in sorted(_known, key=len, reverse=True):
        text = text.replace(secret, "***")
    return _KEY_SHAPES.sub("***", text)
