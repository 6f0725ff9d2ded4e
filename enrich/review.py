"""The human review: look at a draft with where each value came from, then accept, edit, reject or approve.

Nothing is published unreviewed: approval refuses a draft `enrich check` fails, applies the profile's
approval changes (e.g. `draft = false`), strips the provenance comment and moves the file atomically,
never replacing a post already there. Every decision and every edit a person makes is appended to
`.enrich/review-log.jsonl` with a diff of the front matter: what the model proposed against what a
person kept is the ground truth for measuring drafts later. `inbox_status` sums it all up.

Never imports click: the CLI drives the loop and prints.
"""

from __future__ import annotations

import datetime as dt
import getpass
import hashlib
import json
import os
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from enrich.batch import _key, draft_cache, list_inbox, manifest_log, review_log
from enrich.cache import enrich_dir, now_iso
from enrich.errors import ConfigError, EnrichError, ExistsError, InputError
from enrich.fsutil import atomic_write
from enrich.provenance import MARKER, Flag, Provenance, find_provenance, replace_provenance, strip_provenance
from enrich.yamlio import split_front_matter

if TYPE_CHECKING:
    from enrich.check import Finding
    from enrich.profile import Profile

STATES = ("new", "drafted", "flagged", "approved", "rejected", "failed")
REJECTED_DIR = "rejected"
_MISSING = object()


class ApprovalRefused(EnrichError):
    """The draft fails `enrich check`: a person must fix it before it is published."""


# -- reading a draft ----------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """Values as JSON can hold them (dates as ISO text), for diffs and the log."""
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def parse_values(text: str) -> dict[str, Any]:
    """The front matter values of a document; InputError when there are none or they do not parse."""
    parts = split_front_matter(text)
    if parts is None:
        raise InputError("no front matter (the file must start with a '---' block)")
    try:
        data = yaml.safe_load(parts[0]) or {}
    except (yaml.YAMLError, ValueError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputError(f"front matter is not valid YAML: {first}") from None
    if not isinstance(data, dict):
        raise InputError("front matter is not a mapping of keys to values")
    plain: dict[str, Any] = _plain(data)
    return plain


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
        return self.provenance.model if self.provenance else None

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
    """Flags still relevant: an ungrounded name a person already removed is no longer flagged."""
    live = []
    for flag in prov.flags:
        if flag.value is not None and flag.kind in ("ungrounded", "new-tag", "vocab-mapped"):
            current = values.get(flag.field)
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
                head = _head(candidate)
                prov = find_provenance(head) if MARKER in head else None
                if prov is not None and (include_reviewed or not prov.reviewed):
                    out.append(candidate)
        elif path.exists():
            out.append(path)
        else:
            raise InputError("no such file or folder", path=str(path))
    return out


def _head(path: Path, limit: int = 65536) -> str:
    """The start of a file (front matter lives there), without reading a long body."""
    try:
        with path.open("rb") as handle:
            return handle.read(limit).decode("utf-8", "replace")
    except OSError:
        return ""


# -- approval -----------------------------------------------------------------------------------------


def apply_approval(text: str, approval: dict[str, Any], profile: Profile) -> str:
    """The document with each approval key set (replaced in place, or inserted in the profile's order).

    Works line by line so a person's formatting of every other key is kept as they wrote it.
    """
    if not approval:
        return text
    parts = split_front_matter(text)
    if parts is None:
        raise InputError("no front matter to approve")
    from enrich.yamlio import dump_value

    block, _ = parts
    lines = block.splitlines(keepends=True)
    for key, value in approval.items():
        entry = dump_value(key, value).splitlines(keepends=True)
        start = next((i for i, line in enumerate(lines) if re.match(rf"{re.escape(key)}\s*:", line)), None)
        if start is not None:
            end = start + 1
            while end < len(lines) and (lines[end].startswith((" ", "\t", "- ")) or lines[end].rstrip("\r\n") == "-"):
                end += 1
            lines[start:end] = entry
            continue
        order = profile.ordered_keys([*_top_keys(lines), key])
        later = order[order.index(key) + 1 :]
        position = next(
            (i for i, line in enumerate(lines) if any(re.match(rf"{re.escape(k)}\s*:", line) for k in later)), None
        )
        if position is None:  # after the last key, before trailing comments (the provenance line)
            position = len(lines)
            while position > 0 and lines[position - 1].startswith("#"):
                position -= 1
        lines[position:position] = entry
    new_block = "".join(lines)
    head = text[: text.index(block)] if block else "---\n"
    return head + new_block + text[len(head) + len(block) :]


def _top_keys(lines: list[str]) -> list[str]:
    keys = []
    for line in lines:
        match = re.match(r"([^\s#:'\"-][^:]*?)\s*:", line)
        if match:
            keys.append(match.group(1))
    return keys


def check_text(path: str, data: bytes, profile: Profile) -> list[Finding]:
    """Adapter onto `enrich check` (issue 4): every finding for a document held in memory."""
    from enrich.check import Checker
    from enrich.vocab.index import VocabFinder

    return Checker(profile, VocabFinder()).check_bytes(path, data)


@dataclass
class Approved:
    source: Path
    target: Path
    warnings: list[str]
    changes: list[dict[str, Any]] | None


class Reviewer:
    """Decisions on drafts, each one recorded in the review log."""

    def __init__(self, site_root: Path, profile: Profile) -> None:
        self.site_root = site_root
        self.profile = profile
        self.log = review_log(site_root)

    def view(self, path: Path) -> DraftView:
        return read_draft(path, self.profile)

    # -- decisions ------------------------------------------------------------------------------------
    def accept(self, path: Path) -> None:
        """Flags seen, draft good: mark it reviewed (it still needs `approve` to be published)."""
        view = self.view(path)
        if view.provenance is not None and not view.provenance.reviewed:
            view.provenance.reviewed = True
            atomic_write(path, replace_provenance(view.text, view.provenance))
        self._log("accept", view)

    def record_edit(self, path: Path, before: DraftView) -> list[dict[str, Any]]:
        """After a person edited the draft: log what changed and mark those fields as theirs."""
        after = self.view(path)
        if after.error:
            raise InputError(f"after the edit: {after.error}; edit again or reject", path=str(path))
        changes = diff_values(before.values, after.values)
        body_changed = before.body != after.body
        if not changes and not body_changed:
            return []
        prov = after.provenance
        if prov is not None and changes:
            for change in changes:
                if change["change"] == "removed":
                    prov.fields.pop(change["key"], None)
                else:
                    prov.fields[change["key"]] = "person"
            atomic_write(path, replace_provenance(after.text, prov))
        self._log("edit", after, changes=changes, body_changed=body_changed)
        return changes

    def approve(self, path: Path, to_dir: Path) -> Approved:
        """Check, apply approval changes, strip provenance, move into `to_dir` without replacing anything."""
        view = self.view(path)
        if view.error:
            raise ApprovalRefused(f"not approved: {view.error}", path=str(path))
        final = strip_provenance(apply_approval(view.text, self.profile.approval, self.profile))
        findings = check_text(str(path), final.encode("utf-8"), self.profile)
        errors = [f for f in findings if f.severity == "error"]
        if errors:
            shown = "; ".join(f"line {f.line}: {f.rule} {f.message}" for f in errors[:3])
            more = f" (and {len(errors) - 3} more)" if len(errors) > 3 else ""
            raise ApprovalRefused(f"not approved: enrich check finds {len(errors)} error(s): {shown}{more}", path=str(path))
        target = to_dir / path.name
        in_place = target.exists() and target.resolve() == path.resolve()
        if in_place:
            atomic_write(path, final)
        else:
            try:
                atomic_write(target, final, exclusive=True)
            except ExistsError:
                if target.read_text(encoding="utf-8", errors="replace") != final:
                    raise ExistsError(f"{target} already exists; not replaced", path=str(path)) from None
                # the same post is there already: a crash after writing it; finish the move
        changes = self._changes_since_drafted(path, view)
        self._log(
            "approve",
            view,
            target=str(target),
            changes=changes,
            approval=self.profile.approval,
            values=parse_values(final),
        )
        if not in_place:
            path.unlink(missing_ok=True)
        warnings = [f"line {f.line}: {f.rule} {f.message}" for f in findings if f.severity == "warning"]
        return Approved(source=path, target=target, warnings=warnings, changes=changes)

    def reject(self, path: Path, *, reason: str | None = None) -> Path:
        """Set the draft aside in .enrich/rejected/ (never deleted); batch will not draft its input again."""
        view = self.view(path)
        folder = enrich_dir(self.site_root) / REJECTED_DIR
        folder.mkdir(parents=True, exist_ok=True)
        target = _free_name(folder, path.name)
        try:
            os.link(path, target)
        except FileExistsError:
            raise ExistsError(f"{target} appeared meanwhile; try again", path=str(path)) from None
        except OSError:  # another file system
            atomic_write(target, path.read_bytes(), exclusive=True)
        self._log("reject", view, target=str(target), reason=reason, changes=self._changes_since_drafted(path, view))
        path.unlink()
        return target

    # -- helpers --------------------------------------------------------------------------------------
    def _changes_since_drafted(self, path: Path, view: DraftView) -> list[dict[str, Any]] | None:
        """Every change a person made since batch wrote this draft (None when batch did not write it)."""
        key = None
        for record in manifest_log(self.site_root).read():
            if record.get("event") == "wrote" and record.get("draft") == _key(path):
                key = record.get("key")
        entry = draft_cache(self.site_root).get(str(key)) if key else None
        if entry is None:
            return None
        try:
            drafted = parse_values(entry.text)
        except InputError:
            return None
        return diff_values(drafted, view.values)

    def _log(self, action: str, view: DraftView, **extra: Any) -> None:
        prov = view.provenance
        record: dict[str, Any] = {
            "action": action,
            "time": now_iso(),
            "by": _who(),
            "draft": str(view.path),
            "input": prov.input if prov else None,
            "input_sha256": prov.input_sha256 if prov else None,
            "model": prov.model if prov else None,
            "prompt_version": prov.prompt_version if prov else None,
            "flags": [asdict(f) for f in view.flags],
            "fields": dict(prov.fields) if prov else {},
        }
        record.update(extra)
        self.log.append(record)


def _free_name(folder: Path, name: str) -> Path:
    """`name` in `folder`, or `stem.2.md`, `stem.3.md`... when taken: a rejection never replaces another."""
    candidate = folder / name
    stem, suffix = os.path.splitext(name)
    n = 2
    while candidate.exists():
        candidate = folder / f"{stem}.{n}{suffix}"
        n += 1
    return candidate


def _who() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


# -- status -------------------------------------------------------------------------------------------


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
    head = _head(path)
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
            items.append(StatusItem(path.name, "approved" if decision["action"] == "approve" else "rejected",
                                    str(decision.get("target") or "")))
        elif draft.is_file():
            state, detail = _draft_state(draft)
            items.append(StatusItem(path.name, state, detail))
        elif failures.get(_key(path)):
            items.append(StatusItem(path.name, "failed", str(failures[_key(path)])))
        else:
            items.append(StatusItem(path.name, "new"))
    if out.is_dir():
        for draft in sorted(out.glob("*.md")):
            if draft.name not in seen_drafts and MARKER in _head(draft):
                state, detail = _draft_state(draft)
                items.append(StatusItem(draft.name, state, detail))
    for name, decision in sorted(decisions.items()):
        if name not in seen_inputs:
            items.append(StatusItem(name, "approved" if decision["action"] == "approve" else "rejected",
                                    str(decision.get("target") or "")))
    return StatusReport(inbox=str(inbox), out=str(out), items=items)


def _sha256(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None
