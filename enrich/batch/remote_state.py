"""A Batch API run's state in the site: `.enrich/batches/<inbox>/`, so a killed run resumes, never resubmits.

`state.json` (written atomically after every step) names the run, its request files and, per file,
the uploaded file's id and the batch's id. The run id is also in each batch's metadata and each
upload's file name: a kill between `batches.create` and writing the id is repaired on resume by
finding the batch in `batches.list` (and the upload in `files.list`), never by creating another.
A finished run's folder is renamed to `done-<run>` beside it, for the record.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path

from enrich.batch.cache import now_iso
from enrich.batch.state import enrich_dir, path_key
from enrich.fsutil import atomic_write

STATE_VERSION = 1
TERMINAL = frozenset({"completed", "failed", "expired", "cancelled"})


@dataclass
class Part:
    """One request file and the batch made from it."""

    index: int
    file: str  # request file name, in the run folder
    model: str
    custom_ids: list[str]
    size: int
    input_file_id: str | None = None
    batch_id: str | None = None
    status: str | None = None
    completed: int = 0
    failed: int = 0
    output_file_id: str | None = None
    error_file_id: str | None = None
    errors: list[str] = field(default_factory=list)  # a failed batch's own errors (errors.data)

    @property
    def finished(self) -> bool:
        return self.status in TERMINAL


@dataclass
class RunState:
    run: str
    inbox: str
    model: str
    created: str
    parts: list[Part] = field(default_factory=list)
    live: list[str] = field(default_factory=list)  # inputs (path_key) that need chunks: drafted live
    cancel_requested: bool = False
    created_epoch: float = 0.0
    version: int = STATE_VERSION

    @property
    def asked(self) -> set[str]:
        return {cid for part in self.parts for cid in part.custom_ids}

    def metadata(self, part: Part) -> dict[str, str]:
        return {"enrich_run": self.run, "enrich_part": str(part.index)}


def runs_dir(site_root: Path) -> Path:
    return enrich_dir(site_root) / "batches"


def run_dir(site_root: Path, inbox: Path) -> Path:
    """The folder of the inbox's run in progress (one at a time per inbox)."""
    digest = hashlib.sha256(path_key(inbox).encode()).hexdigest()[:16]
    return runs_dir(site_root) / digest


def new_run_id() -> str:
    return "r" + uuid.uuid4().hex[:20]


def upload_name(run: str, index: int) -> str:
    return f"enrich-{run}-{index:03d}.jsonl"


def load(folder: Path) -> RunState | None:
    """The run in progress in `folder`, None when there is none (or only a torn write)."""
    try:
        data = json.loads((folder / "state.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("version") != STATE_VERSION:
        return None
    parts = [Part(**p) for p in data.pop("parts", [])]
    return RunState(**{k: v for k, v in data.items() if k in RunState.__dataclass_fields__}, parts=parts)


def save(folder: Path, state: RunState) -> None:
    atomic_write(folder / "state.json", json.dumps(asdict(state), ensure_ascii=False, indent=1) + "\n")


def finish(folder: Path, state: RunState) -> Path:
    """Move a collected run out of the way: the next run of this inbox starts afresh."""
    done = folder.with_name(f"{folder.name}-done-{state.run}")
    os.replace(folder, done)
    return done


def started(inbox: Path, model: str) -> RunState:
    import time

    return RunState(run=new_run_id(), inbox=path_key(inbox), model=model, created=now_iso(), created_epoch=time.time())
