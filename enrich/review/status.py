"""`enrich status`: an inbox at a glance (new, drafted, flagged, approved, rejected, failed)."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from enrich.batch.state import list_inbox, manifest_log, review_log
from enrich.batch.state import path_key as _key
from enrich.errors import ConfigError
from enrich.frontmatter.provenance import MARKER, find_provenance
from enrich.frontmatter.split import split_front_matter
from enrich.review.views import STATES, read_head


@dataclass
class StatusItem:
    name: str
    state: str
    detail: str = ""


@dataclass
class StatusReport:
    inbox: str
    out: str
    items: list[StatusItem]

    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(STATES, 0)
        for item in self.items:
            counts[item.state] = counts.get(item.state, 0) + 1
        return counts

    def to_dict(self) -> dict[str, Any]:
        return {"inbox": self.inbox, "out": self.out, "counts": self.counts(), "items": [asdict(i) for i in self.items]}


def _draft_state(path: Path) -> tuple[str, str]:
    head = read_head(path)
    parts = split_front_matter(head)
    prov = find_provenance(parts[0] if parts else head)
    if prov is None:
        return "drafted", "no provenance"
    if prov.flags and not prov.reviewed:
        kinds: dict[str, int] = {}
        for flag in prov.flags:
            kinds[flag.kind] = kinds.get(flag.kind, 0) + 1
        return "flagged", ", ".join(f"{n} {k}" for k, n in sorted(kinds.items()))
    return "drafted", "reviewed" if prov.reviewed else ""


def inbox_status(site_root: Path, inbox: Path, out: Path) -> StatusReport:
    """Every input (and every draft or decision whose input has left the inbox) with its state."""
    decisions: dict[str, dict[str, Any]] = {}
    for record in review_log(site_root).read():
        if record.get("action") in ("approve", "reject") and record.get("input"):
            decisions[str(record["input"])] = record
    failures: dict[str, str | None] = {}
    for record in manifest_log(site_root).read():
        where = str(record.get("input"))
        failures[where] = record.get("error") if record.get("event") == "failed" else None
    items: list[StatusItem] = []
    seen_drafts: set[str] = set()
    seen_inputs: set[str] = set()
    inputs = list_inbox(inbox) if inbox.is_dir() else []
    if not inbox.is_dir() and not out.is_dir():
        raise ConfigError(f"no inbox folder {inbox} and no drafts folder {out}: pass INBOX (or set `inbox` in [batch])")
    for path in inputs:
        seen_inputs.add(path.name)
        draft = out / f"{path.stem}.md"
        seen_drafts.add(draft.name)
        decision = decisions.get(path.name)
        if decision is not None and decision.get("input_sha256") == _sha256(path):
            items.append(
                StatusItem(
                    path.name, "approved" if decision["action"] == "approve" else "rejected", str(decision.get("target") or "")
                )
            )
        elif draft.is_file():
            state, detail = _draft_state(draft)
            items.append(StatusItem(path.name, state, detail))
        elif failures.get(_key(path)):
            items.append(StatusItem(path.name, "failed", str(failures[_key(path)])))
        else:
            items.append(StatusItem(path.name, "new"))
    if out.is_dir():
        for draft in sorted(out.glob("*.md")):
            if draft.name not in seen_drafts and MARKER in read_head(draft):
                state, detail = _draft_state(draft)
                items.append(StatusItem(draft.name, state, detail))
    for name, decision in sorted(decisions.items()):
        if name not in seen_inputs:
            items.append(
                StatusItem(name, "approved" if decision["action"] == "approve" else "rejected", str(decision.get("target") or ""))
            )
    return StatusReport(inbox=str(inbox), out=str(out), items=items)


def _sha256(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None
