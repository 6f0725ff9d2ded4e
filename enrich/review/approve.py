"""Accept, edit, reject or approve a draft: the decisions of a person, each appended to the review log.

Nothing is published unreviewed: approval refuses a draft `enrich check` fails, applies the profile's
approval changes (e.g. `draft = false`) through the one verified line-edit engine, strips the provenance
comment and moves the file atomically, never replacing a post already there. Every decision and every
edit a person makes is appended to `.enrich/review-log.jsonl` with a diff of the front matter: what the
model proposed against what a person kept is the ground truth `enrich eval` measures drafts with.
"""

from __future__ import annotations

import getpass
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from enrich.batch.cache import now_iso
from enrich.batch.state import draft_cache, enrich_dir, manifest_log, review_log
from enrich.batch.state import path_key as _key
from enrich.errors import EnrichError, ExistsError, InputError, WriteError
from enrich.frontmatter.edit import Edits, apply, set_entry, verify
from enrich.frontmatter.provenance import replace_provenance, strip_provenance
from enrich.frontmatter.split import BlockError, parse_block
from enrich.frontmatter.yaml12 import load_yaml
from enrich.fsutil import atomic_write
from enrich.review.views import DraftView, diff_values, parse_values, read_draft

if TYPE_CHECKING:
    from enrich.check.checker import Finding
    from enrich.profile import Profile

REJECTED_DIR = "rejected"


class ApprovalRefused(EnrichError):
    """The draft fails `enrich check`: a person must fix it before it is published."""


# -- reading a draft ----------------------------------------------------------------------------------


def apply_approval(text: str, approval: dict[str, Any], profile: Profile) -> str:
    """The document with each approval key set, through the one line-edit engine: a value replaced where
    it stands, or the entry inserted in the profile's order. Every other line stays as the person wrote
    it, and the result is read back: ApprovalRefused unless only the approval keys changed, as asked."""
    if not approval:
        return text
    data = text.encode("utf-8")
    try:
        block = parse_block(data)
        loaded = load_yaml(block.text) if block is not None and block.closed else None
    except (BlockError, yaml.YAMLError, ValueError, TypeError, OverflowError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputError(f"front matter cannot be read: {first}") from None
    if block is None or loaded is None:
        raise InputError("no front matter to approve")
    if not isinstance(loaded.data, dict | None):
        raise InputError("front matter is not a mapping of keys to values")
    edits = Edits(block)
    for key in profile.ordered_keys(list(approval)):
        if not set_entry(edits, loaded, key, approval[key], profile):
            raise ApprovalRefused(f"not approved: {key!r} cannot be set by a line edit (repeated, an alias?)")
    final = apply(data, edits)
    reason = verify(data, loaded, final, set(approval), approval)
    if reason is not None:
        raise ApprovalRefused(f"not approved: {reason}")
    return final.decode("utf-8")


def check_text(path: str, data: bytes, profile: Profile) -> list[Finding]:
    """Adapter onto `enrich check` (issue 4): every finding for a document held in memory."""
    from enrich.check.checker import Checker
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
        published = False
        if in_place:
            atomic_write(path, final)
        else:
            try:
                atomic_write(target, final, exclusive=True)
                published = True
            except ExistsError:
                if target.read_text(encoding="utf-8", errors="replace") != final:
                    raise ExistsError(f"{target} already exists; not replaced", path=str(path)) from None
                # the same post is there already: a crash after writing it; finish the move
        changes = self._changes_since_drafted(path, view)
        try:
            self._log(
                "approve",
                view,
                target=str(target),
                changes=changes,
                approval=self.profile.approval,
                values=parse_values(final),
            )
        except WriteError:  # the decision cannot be recorded (a full disk): publish nothing, keep the draft
            if published:
                target.unlink(missing_ok=True)
            raise
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
        try:
            self._log("reject", view, target=str(target), reason=reason, changes=self._changes_since_drafted(path, view))
        except WriteError:  # the decision cannot be recorded (a full disk): set nothing aside, keep the draft
            target.unlink(missing_ok=True)
            raise
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
            "model": prov.made_by if prov else None,
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
