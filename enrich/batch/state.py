"""The site's `.enrich/` state as batch and review share it: where each log lives, and what they say.

* `manifest.jsonl`: which draft bytes batch wrote, for which input (so a person's edit is told from
  batch's own file), and which inputs failed;
* `review-log.jsonl`: every decision a person made (an approved or rejected input is not drafted again);
* `cache/`: the drafts the model was paid for, by content address.

Paths are recorded under `path_key`: absolute and normalised, so a run from another folder finds them.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import threading
from pathlib import Path

from enrich.batch.cache import DraftCache, JsonlLog, now_iso
from enrich.errors import InputError, WriteError

ENRICH_DIR = ".enrich"
SIDECAR_SUFFIX = ".info.json"


def enrich_dir(site_root: Path) -> Path:
    return site_root / ENRICH_DIR


def manifest_log(site_root: Path) -> JsonlLog:
    return JsonlLog(enrich_dir(site_root) / "manifest.jsonl")


def review_log(site_root: Path) -> JsonlLog:
    return JsonlLog(enrich_dir(site_root) / "review-log.jsonl")


def draft_cache(site_root: Path) -> DraftCache:
    return DraftCache(enrich_dir(site_root) / "cache")


def path_key(path: Path) -> str:
    """The key an input or a draft is recorded under: its absolute, normalised path."""
    return os.path.normpath(os.path.abspath(path))


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def read_existing(path: Path) -> str | None:
    """The text of a file that may not be there (None), bytes kept exactly for hashing."""
    try:
        return path.read_bytes().decode("utf-8", "surrogateescape")
    except OSError:
        return None


def list_inbox(inbox: Path) -> list[Path]:
    """The files batch drafts: every visible file in the folder except yt-dlp sidecars, by name."""
    if not inbox.exists():
        raise InputError("no such folder", path=str(inbox))
    if not inbox.is_dir():
        raise InputError("is a file; `enrich batch` takes a folder (use `enrich FILE` for one file)", path=str(inbox))
    return sorted(
        p for p in inbox.iterdir() if p.is_file() and not p.name.startswith(".") and not p.name.endswith(SIDECAR_SUFFIX)
    )


class SiteState:
    """What earlier runs and reviews left, and the logs this run adds to.

    `load()` reads the manifest and the review log once per run; `record_written` and `record_failed`
    append to the manifest (and keep the in-memory view current) from any worker thread.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self.cache = draft_cache(root)
        self.manifest = manifest_log(root)
        self.written: dict[str, dict[str, str | None]] = {}  # draft path -> sha256 of a text batch wrote -> its work key
        self.owners: dict[str, str] = {}  # draft path -> the input batch last wrote it for
        self.reviewed: set[tuple[str, str]] = set()  # (input name, input sha256) approved or rejected
        self._lock = threading.Lock()

    def load(self) -> None:
        written: dict[str, dict[str, str | None]] = {}
        owners: dict[str, str] = {}
        reviewed: set[tuple[str, str]] = set()
        for record in self.manifest.read():
            if record.get("event") == "wrote" and isinstance(record.get("draft"), str):
                texts, digest, work = written.setdefault(record["draft"], {}), str(record.get("sha256")), record.get("work")
                if isinstance(work, str) or digest not in texts:  # manifests before 2026-12 have no work key
                    texts[digest] = work if isinstance(work, str) else None
                if isinstance(record.get("input"), str):
                    owners[record["draft"]] = record["input"]
        for record in review_log(self.root).read():
            if record.get("action") in ("approve", "reject") and record.get("input"):
                reviewed.add((str(record["input"]), str(record.get("input_sha256"))))
        with self._lock:
            self.written, self.owners, self.reviewed = written, owners, reviewed

    def batch_wrote(self, target: Path, digest: str) -> bool:
        """These draft bytes are ones batch wrote (so no person edited them since)."""
        with self._lock:
            return digest in self.written.get(path_key(target), {})

    def wrote_for(self, target: Path, digest: str) -> str | None:
        """The work key (`Drafter.work_key`) these draft bytes were written for, when batch wrote them."""
        with self._lock:
            return self.written.get(path_key(target), {}).get(digest)

    def owner(self, target: Path) -> str | None:
        """The input batch last wrote this draft for."""
        with self._lock:
            return self.owners.get(path_key(target))

    def was_reviewed(self, name: str, input_sha256: str) -> bool:
        return (name, input_sha256) in self.reviewed

    def record_written(self, path: Path, target: Path, key: str, text: str, work: str | None = None) -> None:
        """A manifest line for draft bytes batch wrote for `path` (none when already recorded), with the
        work key they were drafted for."""
        digest = sha256_text(text)
        draft, source = path_key(target), path_key(path)
        with self._lock:
            known = self.written.setdefault(draft, {})
            if digest in known and self.owners.get(draft) == source and (work is None or known[digest] == work):
                return
            if work is not None or digest not in known:
                known[digest] = work
            self.owners[draft] = source
        record = {"event": "wrote", "time": now_iso(), "input": source, "draft": draft, "key": key, "sha256": digest}
        self.manifest.append(record if work is None else {**record, "work": work})

    def record_failed(self, path: Path, error: str | None) -> None:
        """Best effort: on a full disk the failure is still in the summary and the report."""
        with contextlib.suppress(WriteError):
            self.manifest.append({"event": "failed", "time": now_iso(), "input": path_key(path), "error": error})
