"""The storage under the site's `.enrich/`: a content-addressed draft cache and append-only logs.

Where each file lives is `enrich.batch.state`'s business; this module only stores:

* `cache/ab/<key>.json`: one finished draft per cache key (the key is `Drafter.cache_key`, a hash of
  the cleaned input, known fields, profile, prompts, model and parameters). Written atomically and
  only after the model answered, so a crash leaves either a whole entry or none: never pay twice.
* `manifest.jsonl`: one line per draft batch wrote (or failed to write). It is what tells a draft
  a person edited (its hash is not one batch wrote) from one batch may replace.
* `review-log.jsonl`: every decision and edit a person made (written by `enrich.review`).

Append-only JSONL can end in a torn last line after `kill -9`; readers skip it and writers start
a fresh line after it. No secret ever reaches these files: they hold drafts, hashes and counts.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from enrich.fsutil import atomic_write, write_error

CACHE_VERSION = 1


@dataclass
class CacheEntry:
    """A finished draft and what it cost, stored under its cache key."""

    key: str
    text: str
    input: str
    input_sha256: str
    model: str | None = None
    tokens_in: int = 0
    tokens_out: int = 0
    calls: int = 0
    seconds: float = 0.0
    model_seconds: float = 0.0
    flags: list[dict[str, Any]] = field(default_factory=list)
    created: str = ""
    version: int = CACHE_VERSION

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, separators=(",", ":"))


class DraftCache:
    """Drafts by content address. A missing, torn or foreign entry is a miss, never an error."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.json"

    def get(self, key: str) -> CacheEntry | None:
        try:
            data = json.loads(self.path(key).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(data, dict) or data.get("version") != CACHE_VERSION or data.get("key") != key:
            return None
        try:
            return CacheEntry(**{k: v for k, v in data.items() if k in CacheEntry.__dataclass_fields__})
        except TypeError:
            return None

    def put(self, entry: CacheEntry) -> None:
        atomic_write(self.path(entry.key), entry.to_json() + "\n")

    def __contains__(self, key: str) -> bool:
        return self.get(key) is not None


class JsonlLog:
    """An append-only JSON-lines file, safe across threads and crashes.

    Each record is one `write` of a whole line with O_APPEND, fsynced before `append` returns. A torn
    last line (a crash in the middle of a write) is skipped by `read` and closed off by the next
    `append`; a refused write (a full disk, a size limit) is cut back off, so no torn line is left, and
    is one line naming the log. The fsync is shared (group commit): lines are written one at a time,
    and one fsync after them makes every line written before it durable, so sixteen workers finishing
    files together wait for one or two fsyncs, not sixteen in a row.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()  # one writer at a time
        self._sync_lock = threading.Lock()  # one fsync at a time
        self._written = 0  # lines written by this object
        self._synced = 0  # lines known durable

    def append(self, record: dict[str, Any]) -> None:
        line = json.dumps(record, ensure_ascii=False, separators=(",", ":"), default=str) + "\n"
        try:
            fd, mine = self._write(line.encode("utf-8"))
        except OSError as exc:  # the old lines kept
            raise write_error(exc, self.path) from None
        try:
            with self._sync_lock:
                if self._synced < mine:  # no fsync since this line was written: one for every line so far
                    with self._lock:
                        upto = self._written
                    os.fsync(fd)
                    self._synced = upto
        except OSError as exc:
            raise write_error(exc, self.path) from None
        finally:
            os.close(fd)

    def _write(self, payload: bytes) -> tuple[int, int]:
        """Write one line; the open descriptor (for the shared fsync) and the line's number."""
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                size = os.fstat(fd).st_size
                if size and os.pread(fd, 1, size - 1) != b"\n":
                    payload = b"\n" + payload  # the previous writer died mid-line
                try:
                    os.write(fd, payload)
                except OSError:
                    with contextlib.suppress(OSError):
                        os.ftruncate(fd, size)  # no torn line left by a refused write
                    raise
            except BaseException:
                os.close(fd)
                raise
            self._written += 1
            return fd, self._written

    def read(self) -> Iterator[dict[str, Any]]:
        """Every whole record, oldest first; torn or foreign lines are skipped."""
        try:
            handle = self.path.open("rb")
        except FileNotFoundError:
            return
        with handle:
            for raw in handle:
                if not raw.endswith(b"\n"):
                    continue  # torn last line
                with contextlib.suppress(ValueError, UnicodeDecodeError):
                    record = json.loads(raw)
                    if isinstance(record, dict):
                        yield record


def now_iso() -> str:
    """Local time with its offset, as every log record and report stamps it."""
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")
