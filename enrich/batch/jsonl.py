"""Batch request and result lines, in the format OpenAI's Batch API and `vllm run-batch` share.

A request line: `{"custom_id", "method": "POST", "url": "/v1/chat/completions", "body": {...}}`,
the body being exactly the request the live path would send (see `enrich.batch.replay`). The
`custom_id` is derived from the file's cache key (at most 64 ASCII characters: Together, Anthropic
and others cap it there), so answers are matched to inputs by content, in any order. A result
line: `{"id", "custom_id", "response": {"status_code", "request_id", "body"}, "error"}`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from enrich.errors import InputError

ENDPOINT = "/v1/chat/completions"
MAX_LINES = 50_000  # per batch file (OpenAI's limit)
MAX_BYTES = 200 * 1024 * 1024
CUSTOM_ID_MAX = 64
CUSTOM_ID_PREFIX = "enrich-"


def custom_id_for(key: str) -> str:
    """The batch line's id for a cache key: ASCII, at most 64 characters."""
    return (CUSTOM_ID_PREFIX + key)[:CUSTOM_ID_MAX]


def request_line(custom_id: str, body: dict[str, Any]) -> bytes:
    record = {"custom_id": custom_id, "method": "POST", "url": ENDPOINT, "body": body}
    return (json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")


@dataclass
class RequestFile:
    """One batch file's worth of request lines: one model, within the line and byte limits."""

    model: str
    lines: list[bytes] = field(default_factory=list)
    custom_ids: list[str] = field(default_factory=list)
    size: int = 0

    def data(self) -> bytes:
        return b"".join(self.lines)


def split_requests(
    requests: Iterable[tuple[str, str, bytes]], *, max_lines: int = MAX_LINES, max_bytes: int = MAX_BYTES
) -> list[RequestFile]:
    """(model, custom_id, line) -> files of one model each, at most `max_lines` lines and `max_bytes` bytes."""
    files: list[RequestFile] = []
    open_by_model: dict[str, RequestFile] = {}
    for model, custom_id, line in requests:
        current = open_by_model.get(model)
        if current is None or len(current.lines) >= max_lines or (current.lines and current.size + len(line) > max_bytes):
            current = open_by_model[model] = RequestFile(model)
            files.append(current)
        current.lines.append(line)
        current.custom_ids.append(custom_id)
        current.size += len(line)
    return files


def files_needed(requests: int, size: int, *, max_lines: int = MAX_LINES, max_bytes: int = MAX_BYTES) -> int:
    """How many batch files `requests` lines of `size` bytes in all need (for one model)."""
    if requests <= 0:
        return 0
    return max(-(-requests // max_lines), -(-size // max_bytes))


@dataclass
class LineResult:
    """One answered or failed batch line."""

    body: dict[str, Any] | None  # the chat completion when the line succeeded
    error: str | None = None


def parse_results(data: bytes, *, source: str) -> dict[str, LineResult]:
    """The lines of an output or error file by custom_id; a torn or foreign line is one clear error."""
    results: dict[str, LineResult] = {}
    for number, raw in enumerate(data.decode("utf-8", "replace").splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            record = json.loads(raw)
            custom_id = str(record["custom_id"])
        except (ValueError, KeyError, TypeError):
            raise InputError(f"line {number} is not a batch result line (custom_id, response, error)", path=source) from None
        results[custom_id] = _line_result(record)
    return results


def _line_result(record: dict[str, Any]) -> LineResult:
    response = record.get("response") if isinstance(record.get("response"), dict) else None
    error = record.get("error")
    if response is not None and response.get("status_code") == 200 and isinstance(response.get("body"), dict):
        return LineResult(body=response["body"])
    if response is not None and isinstance(response.get("body"), dict):
        inner = response["body"].get("error")
        message = inner.get("message") if isinstance(inner, dict) else None
        return LineResult(None, f"HTTP {response.get('status_code')}: {message or 'no message'}")
    if isinstance(error, dict):
        return LineResult(None, f"{error.get('code') or 'error'}: {error.get('message') or 'no message'}")
    return LineResult(None, "no answer in the result line")


def read_results(path: Path) -> dict[str, LineResult]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read the results: {exc.strerror or exc}", path=str(path)) from None
    return parse_results(data, source=str(path))
