"""A draft as a reviewer sees it: its values read as the site's build reads them, each with where it came from.

Never imports click: the CLI draws the screen.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from enrich.errors import InputError
from enrich.frontmatter.provenance import MARKER, Flag, Provenance, find_provenance
from enrich.frontmatter.split import split_front_matter
from enrich.frontmatter.yaml12 import read_front_matter

if TYPE_CHECKING:
    from enrich.profile import Profile

STATES = ("new", "drafted", "flagged", "approved", "rejected", "failed")
_MISSING = object()


def parse_values(text: str) -> dict[str, Any]:
    """The front matter values of a document as the site's build reads them (`no` stays text, dates stay
    as written); InputError when there are none, they do not parse or they repeat a key."""
    parts = read_front_matter(text)
    if parts is None:
        raise InputError("no front matter (the file must start with a '---' block)")
    return parts[0]


def diff_values(before: dict[str, Any], after: dict[str, Any]) -> list[dict[str, Any]]:
    """What changed between two sets of front matter values, key by key (the log's edit format)."""
    changes: list[dict[str, Any]] = []
    for key in list(before) + [k for k in after if k not in before]:
        old, new = before.get(key, _MISSING), after.get(key, _MISSING)
        if old == new:
            continue
        change: dict[str, Any] = {"key": key}
        if old is _MISSING:
            change.update(change="added", after=new)
        elif new is _MISSING:
            change.update(change="removed", before=old)
        else:
            change.update(change="changed", before=old, after=new)
        changes.append(change)
    return changes


@dataclass
class Row:
    """One front matter field as the reviewer sees it."""

    key: str
    value: str
    source: str | None
    flags: list[str] = field(default_factory=list)


@dataclass
class DraftView:
    """A draft ready to show: values, where each came from, and what to look at."""

    path: Path
    text: str
    values: dict[str, Any]
    rows: list[Row]
    flags: list[Flag]
    provenance: Provenance | None
    error: str | None = None

    @property
    def input(self) -> str | None:
        return self.provenance.input if self.provenance else None

    @property
    def model(self) -> str | None:
        return self.provenance.made_by if self.provenance else None

    @property
    def reviewed(self) -> bool:
        return bool(self.provenance and self.provenance.reviewed)

    @property
    def body(self) -> str:
        parts = split_front_matter(self.text)
        return parts[1].lstrip("\r\n") if parts else self.text


def _show_value(value: Any) -> str:
    if isinstance(value, str):
        return value.replace("\n", " ⏎ ")
    return json.dumps(value, ensure_ascii=False, default=str)


def _live_flags(prov: Provenance, values: dict[str, Any]) -> list[Flag]:
    """Flags still relevant: an ungrounded name a person already removed is no longer flagged, nor a
    dropped one a person put back."""
    live = []
    for flag in prov.flags:
        current = values.get(flag.field)
        if flag.kind == "dropped" and isinstance(current, list) and flag.value in current:
            continue
        if flag.value is not None and flag.kind in ("ungrounded", "new-tag", "vocab-mapped", "vocab-found"):
            if isinstance(current, list) and flag.value not in current:
                continue
            if isinstance(current, str) and current != flag.value and flag.kind == "ungrounded":
                continue
        live.append(flag)
    return live


def read_draft(path: Path, profile: Profile) -> DraftView:
    """A draft as the reviewer sees it; a draft whose YAML is broken still shows (with the error)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError("no such file", path=str(path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read: {exc}", path=str(path)) from None
    parts = split_front_matter(text)
    prov = find_provenance(parts[0]) if parts else None
    error = None
    try:
        values = parse_values(text)
    except InputError as exc:
        values, error = {}, exc.message
    flags = _live_flags(prov, values) if prov else []
    rows = []
    for key in profile.ordered_keys(list(values)):
        source = prov.fields.get(key) if prov else None
        row_flags = [f"{f.kind}: {f.message}" for f in flags if f.field == key]
        rows.append(Row(key, _show_value(values[key]), source, row_flags))
    return DraftView(path=path, text=text, values=values, rows=rows, flags=flags, provenance=prov, error=error)


def find_drafts(paths: list[Path], *, include_reviewed: bool = False) -> list[Path]:
    """Drafts to review: files named, and every enrich draft (with provenance) in folders named."""
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            for candidate in sorted(path.glob("*.md")):
                head = read_head(candidate)
                prov = find_provenance(head) if MARKER in head else None
                if prov is not None and (include_reviewed or not prov.reviewed):
                    out.append(candidate)
        elif path.exists():
            out.append(path)
        else:
            raise InputError("no such file or folder", path=str(path))
    return out


def read_head(path: Path, limit: int = 65536) -> str:
    """The start of a file (front matter lives there), without reading a long body."""
    try:
        with path.open("rb") as handle:
            return handle.read(limit).decode("utf-8", "replace")
    except OSError:
        return ""
