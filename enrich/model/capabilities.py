"""What each endpoint accepts, remembered on disk so a fallback is paid for once, not on every run.

Per endpoint (host and model): the structured-output format that worked, the schema keywords its strict
mode rejects (dropped from then on, one by one, rather than the whole schema), how many tokens it counts
per cl100k token (its tokenizer), the name of the answer-length
parameter (`max_tokens` or `max_completion_tokens`), whether it takes `temperature`, and the
requests and tokens per minute its rate-limit headers announced (so the next run starts paced). Remembering
is an optimisation: an unreadable or unwritable file never fails a draft.
"""

from __future__ import annotations

import contextlib
import json
import threading
from pathlib import Path
from typing import Any

FILE_NAME = "endpoints.json"  # in the user cache folder
FORMAT_CHAIN = ("json_schema", "json_object", "text")  # strictest first; each step down is a fallback
TOKEN_PARAMS = ("max_tokens", "max_completion_tokens")
LIMIT_KEYS = ("requests", "tokens", "requests_burst", "tokens_burst")  # per minute, and each bucket's size


class Capabilities:
    """What endpoints accept, shared by the workers of a run and kept across runs."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._data: dict[str, dict[str, Any]] = {}
        if path is not None and path.is_file():
            try:
                loaded = json.loads(path.read_text(encoding="utf-8"))
                self._data = loaded if isinstance(loaded, dict) else {}
            except (OSError, ValueError):
                self._data = {}

    @classmethod
    def in_folder(cls, folder: Path) -> Capabilities:
        return cls(folder / FILE_NAME)

    # -- what an endpoint takes ------------------------------------------------------------------
    def response_format(self, endpoint: str) -> str:
        """The structured-output format to start with: the one that last worked, else the strictest."""
        fmt = self._get(endpoint, "response_format")
        return fmt if fmt in FORMAT_CHAIN else FORMAT_CHAIN[0]

    def schema_drops(self, endpoint: str) -> frozenset[str]:
        """The schema keywords the endpoint rejected: sent without them from the start."""
        from enrich.model.schema_keywords import OPTIONAL_KEYWORDS

        value = self._get(endpoint, "schema_drops")
        return frozenset(k for k in value if k in OPTIONAL_KEYWORDS) if isinstance(value, list) else frozenset()

    def token_ratio(self, endpoint: str) -> float | None:
        """Prompt tokens the endpoint counts per cl100k token (learned from usage), None when never learned."""
        value = self._get(endpoint, "token_ratio")
        return float(value) if isinstance(value, int | float) and 0.2 <= value <= 3 else None

    def token_param(self, endpoint: str) -> str:
        param = self._get(endpoint, "token_param")
        return param if param in TOKEN_PARAMS else TOKEN_PARAMS[0]

    def takes_temperature(self, endpoint: str) -> bool:
        return self._get(endpoint, "temperature") is not False

    def limits(self, endpoint: str) -> dict[str, float] | None:
        """The per-minute limits learned for the endpoint (`{}`: it sends none), None when never learned."""
        value = self._get(endpoint, "limits")
        if not isinstance(value, dict):
            return None
        return {k: float(v) for k, v in value.items() if k in LIMIT_KEYS and isinstance(v, int | float) and v > 0}

    # -- learning --------------------------------------------------------------------------------
    def remember_response_format(self, endpoint: str, fmt: str) -> None:
        if fmt != self.response_format(endpoint):
            self._set(endpoint, "response_format", fmt)

    def drop_schema_keywords(self, endpoint: str, keywords: set[str]) -> None:
        dropped = self.schema_drops(endpoint) | keywords
        if dropped != self.schema_drops(endpoint):
            self._set(endpoint, "schema_drops", sorted(dropped))

    def remember_token_ratio(self, endpoint: str, ratio: float) -> None:
        self._set(endpoint, "token_ratio", ratio)

    def switch_token_param(self, endpoint: str, rejected: str) -> None:
        """The endpoint refused `rejected`: use the other name from now on."""
        self._set(endpoint, "token_param", TOKEN_PARAMS[1] if rejected == TOKEN_PARAMS[0] else TOKEN_PARAMS[0])

    def remember_limits(self, endpoint: str, limits: dict[str, float]) -> None:
        if limits != self.limits(endpoint):
            self._set(endpoint, "limits", dict(limits))

    def drop_temperature(self, endpoint: str) -> None:
        self._set(endpoint, "temperature", False)

    # -- storage ---------------------------------------------------------------------------------
    def _get(self, endpoint: str, key: str) -> Any:
        with self._lock:
            entry = self._data.get(endpoint)
            return entry.get(key) if isinstance(entry, dict) else None

    def _set(self, endpoint: str, key: str, value: Any) -> None:
        with self._lock:
            entry = self._data.get(endpoint)
            if not isinstance(entry, dict):
                entry = self._data[endpoint] = {}
            entry[key] = value
            snapshot = json.dumps(self._data, indent=2, sort_keys=True)
        if self.path is not None:
            from enrich.fsutil import atomic_write

            with contextlib.suppress(OSError):  # remembering is an optimisation; never fail a draft over it
                atomic_write(self.path, snapshot + "\n")
