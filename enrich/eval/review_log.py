"""What people did to drafts, from `.enrich/review-log.jsonl`: per field, how often they kept, edited,
filled or cleared what the draft said, and the edits they keep making, with what a site owner can do
about each (add an alias, accept a merge, stop offering a tag).

The log is written by review: one JSON object per line, each with `action` (accept | edit | approve |
reject), `time`, `by`, `draft` (path), `input`, `input_sha256`, `model`, `prompt_version`, `flags`
(the draft's live flags: {kind, field, message, value}) and `fields` (key -> where its value came
from). `edit` adds `changes` (what that edit changed) and `body_changed`; `approve` adds `target`,
`approval`, `values` (the published front matter) and `changes`; `reject` adds `target`, `reason` and
`changes`. On approve and reject, `changes` is everything a person changed since batch wrote the
draft, or null when batch did not write it. A change is {key, change: added | removed | changed,
before?, after?}. A draft's records run from its first decision to its approval or rejection.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import Any

from enrich.eval.score import FieldPlan, Grounding, fold_name, items, ngram_f1
from enrich.frontmatter.provenance import left_out_unmentioned

_MISSING: Any = object()
TERMINAL = ("approve", "reject")


def read_review_log(path: Path) -> list[dict[str, Any]]:
    """Every whole record, oldest first; a torn last line (a crash mid-write) and foreign lines are skipped."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return []
    records = []
    for line in raw.split(b"\n")[:-1]:  # the last piece is empty, or a torn line
        try:
            record = json.loads(line)
        except (ValueError, UnicodeDecodeError):
            continue
        if isinstance(record, dict):
            records.append(record)
    return records


# -- sessions -------------------------------------------------------------------------------------------


@dataclass
class Session:
    """One draft's records, from its first decision to its approval or rejection (or still open)."""

    draft: str
    records: list[dict[str, Any]] = field(default_factory=list)

    @property
    def post(self) -> str:
        return PurePath(self.draft).stem

    @property
    def last(self) -> dict[str, Any]:
        return self.records[-1]

    @property
    def outcome(self) -> str:
        """approved, rejected or open."""
        action = self.last.get("action")
        return "approved" if action == "approve" else "rejected" if action == "reject" else "open"

    @property
    def complete(self) -> bool:
        """True when the log knows every change since the draft was written, not only the logged edits."""
        return self.last.get("action") in TERMINAL and isinstance(self.last.get("changes"), list)

    def changes(self) -> list[dict[str, Any]]:
        """Net changes since drafted: the decision's own diff when it has one, else the logged edits composed."""
        if self.complete:
            return [c for c in self.last["changes"] if isinstance(c, dict) and "key" in c]
        return compose([r.get("changes") or [] for r in self.records if r.get("action") == "edit"])

    def drafted_keys(self) -> set[str]:
        """Keys the draft had: those its provenance lists and those the published post kept unchanged."""
        keys: set[str] = set()
        for r in self.records:
            keys.update(str(k) for k in (r.get("fields") or {}))
        values = self.last.get("values")
        if isinstance(values, dict):
            keys.update(str(k) for k in values)
        changes = self.changes()
        keys.update(str(c["key"]) for c in changes)
        keys.difference_update(str(c["key"]) for c in changes if c.get("change") == "added")
        return keys


def sessions(records: Iterable[dict[str, Any]]) -> list[Session]:
    """The log's records grouped by draft (by input digest, else path); an approval or rejection closes a session."""
    open_: dict[str, Session] = {}
    done: list[Session] = []
    for record in records:
        draft = record.get("draft")
        if not isinstance(draft, str) or record.get("action") not in ("accept", "edit", *TERMINAL):
            continue
        # the input's digest names a draft however its path was typed (relative, absolute)
        key = str(record.get("input_sha256") or PurePath(draft).as_posix())
        session = open_.setdefault(key, Session(draft))
        session.records.append(record)
        if record["action"] in TERMINAL:
            done.append(open_.pop(key))
    return done + list(open_.values())


def compose(edits: Iterable[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """Successive edits as one diff: each key's first `before` against its last `after`."""
    first: dict[str, Any] = {}
    last: dict[str, Any] = {}
    for changes in edits:
        for c in changes:
            if not isinstance(c, dict) or "key" not in c:
                continue
            key = str(c["key"])
            if key not in first:
                first[key] = c.get("before", _MISSING) if c.get("change") != "added" else _MISSING
            last[key] = c.get("after", _MISSING) if c.get("change") != "removed" else _MISSING
    out = []
    for key, before in first.items():
        after = last[key]
        if (before is _MISSING and after is _MISSING) or before == after:
            continue
        if before is _MISSING:
            out.append({"key": key, "change": "added", "after": after})
        elif after is _MISSING:
            out.append({"key": key, "change": "removed", "before": before})
        else:
            out.append({"key": key, "change": "changed", "before": before, "after": after})
    return out


# -- kept, edited, cleared ------------------------------------------------------------------------------


def _empty(value: Any) -> bool:
    return value is None or value is _MISSING or value in ("", [], {})


@dataclass(frozen=True)
class FieldOutcome:
    """What people did to one field of approved drafts."""

    field: str
    kept: int = 0
    edited: int = 0
    cleared: int = 0  # the draft said something, the person removed it
    filled: int = 0  # the draft said nothing, the person wrote something

    @property
    def total(self) -> int:
        return self.kept + self.edited + self.cleared + self.filled

    def rate(self, what: str) -> float | None:
        """Share of approved drafts where the person did `what` (kept, edited, cleared, filled)."""
        return int(getattr(self, what)) / self.total if self.total else None


def classify(change: dict[str, Any] | None) -> str:
    """kept, edited, cleared or filled, for one key's net change (None: unchanged)."""
    if change is None:
        return "kept"
    before = change.get("before", _MISSING) if change.get("change") != "added" else _MISSING
    after = change.get("after", _MISSING) if change.get("change") != "removed" else _MISSING
    if _empty(before):
        return "kept" if _empty(after) else "filled"
    return "cleared" if _empty(after) else "edited"


# -- edit patterns --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EditPattern:
    """An edit people made, how often, in which posts, and what a site owner can do about it."""

    field: str
    kind: str  # respelt | replaced | removed | added | changed
    before: str | None
    after: str | None
    count: int
    posts: tuple[str, ...]
    suggestion: str


def _similar(a: str, b: str) -> bool:
    """Two spellings of one thing: equal when folded, or sharing most character bigrams."""
    return fold_name(a).replace("-", " ") == fold_name(b).replace("-", " ") or ngram_f1(a, b) >= 0.5


def _has_cjk(text: str) -> bool:
    return any("\u3400" <= ch <= "\u9fff" for ch in text)


def _list_edits(before: Any, after: Any) -> list[tuple[str, str | None, str | None]]:
    """(kind, before, after) for one list change: pairs of removed/added items become replacements."""
    b, a = items(None if before is _MISSING else before), items(None if after is _MISSING else after)
    removed, added = [x for x in b if x not in a], [x for x in a if x not in b]
    out: list[tuple[str, str | None, str | None]] = []
    for r in list(removed):
        match = next((x for x in added if _similar(r, x)), None)
        if match is not None:
            removed.remove(r)
            added.remove(match)
            out.append(("respelt", r, match))
    if len(removed) == 1 and len(added) == 1:
        old, new = removed.pop(), added.pop()
        out.append(("respelt" if _has_cjk(old) != _has_cjk(new) else "replaced", old, new))
    out.extend(("removed", r, None) for r in removed)
    out.extend(("added", None, x) for x in added)
    return out


def suggest(plan: FieldPlan, fld: str, kind: str, before: str | None, after: str | None, count: int) -> str:
    """What a site owner can do about an edit people keep making."""
    times = "once" if count == 1 else f"in {count} drafts"
    is_tag = fld == plan.tag_field
    is_name = fld in plan.name_fields
    if kind in ("respelt", "replaced") and is_tag:
        return f"accept merge {before} -> {after}"
    if kind == "respelt" and is_name:
        return f"add alias {before} -> {after} ({fld})"
    if kind == "replaced" and is_name:
        return f"{fld}: {before} was replaced by {after} {times}; if they are one name, add alias {before} -> {after}"
    if kind == "removed" and is_tag:
        said = f"is often removed ({times})" if count > 1 else "was removed once"
        return f"tag {before} {said}: stop offering it, or merge it into a tag people keep"
    if kind == "removed":
        return f"{fld}: {before} was removed {times}: check why drafts name it"
    if kind == "added" and is_tag:
        return f"tag {after} was added by hand {times}: make sure the vocabulary knows it so drafts can offer it"
    if kind == "added":
        return f"{fld}: {after} was added by hand {times}: drafts miss it"
    if fld in plan.enum_fields:
        return f"{fld}: {before or '(none)'} was corrected to {after or '(none)'} {times}: describe the difference in the profile"
    return f"{fld}: {before or '(none)'} was {kind} to {after or '(none)'} {times}"


def _scalar_text(value: Any) -> str | None:
    if value is _MISSING or value is None:
        return None
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


_KIND_RANK = {"respelt": 0, "replaced": 1, "changed": 2, "removed": 3, "added": 4}


def edit_patterns(
    all_sessions: Iterable[Session], plan: FieldPlan, fields: Collection[str] | None = None, min_count: int = 1
) -> list[EditPattern]:
    """Every repeated edit, most frequent first. Rewritten titles and summaries are counted per field
    (`analyse`), never listed: each rewrite is different."""
    seen: dict[tuple[str, str, str | None, str | None], list[str]] = {}
    for s in all_sessions:
        for c in s.changes():
            key = str(c["key"])
            if key in plan.text_fields or (fields is not None and key not in fields):
                continue
            before = c.get("before", _MISSING) if c.get("change") != "added" else _MISSING
            after = c.get("after", _MISSING) if c.get("change") != "removed" else _MISSING
            if isinstance(before, list) or isinstance(after, list):
                found = _list_edits(before, after)
            else:
                found = [("changed", _scalar_text(before), _scalar_text(after))]
            for kind, b, a in found:
                seen.setdefault((key, kind, b, a), []).append(s.post)
    patterns = [
        EditPattern(f, k, b, a, len(posts), tuple(posts), suggest(plan, f, k, b, a, len(posts)))
        for (f, k, b, a), posts in seen.items()
        if len(posts) >= min_count
    ]
    return sorted(patterns, key=lambda p: (-p.count, _KIND_RANK.get(p.kind, 9), p.field, p.before or "", p.after or ""))


# -- the analysis ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReviewAnalysis:
    sessions: int
    approved: int
    rejected: int
    open: int
    fields: dict[str, FieldOutcome]
    patterns: tuple[EditPattern, ...]
    rejections: tuple[tuple[str, int], ...]  # (reason, count), most common first


def analyse(
    records: Iterable[dict[str, Any]],
    plan: FieldPlan,
    *,
    fields: Collection[str] | None = None,
    min_count: int = 1,
) -> ReviewAnalysis:
    """Per field (default: the fields drafting fills), what people did to approved drafts; the edits
    they made to any draft (approved, rejected or still under review), ranked."""
    all_sessions = sessions(records)
    selected = fields if fields is not None else (plan.model_fields or None)
    tallies: dict[str, Counter[str]] = {}
    for s in all_sessions:
        if s.outcome != "approved":
            continue
        by_key = {str(c["key"]): c for c in s.changes()}
        for key in s.drafted_keys() | set(by_key):
            if selected is not None and key not in selected:
                continue
            tallies.setdefault(key, Counter())[classify(by_key.get(key))] += 1
    order = {k: i for i, k in enumerate(plan.key_order)}
    outcomes = {
        k: FieldOutcome(k, t["kept"], t["edited"], t["cleared"], t["filled"])
        for k, t in sorted(tallies.items(), key=lambda kv: (order.get(kv[0], len(order)), kv[0]))
    }
    reasons = Counter(str(s.last.get("reason") or "(no reason)") for s in all_sessions if s.outcome == "rejected")
    return ReviewAnalysis(
        sessions=len(all_sessions),
        approved=sum(s.outcome == "approved" for s in all_sessions),
        rejected=sum(s.outcome == "rejected" for s in all_sessions),
        open=sum(s.outcome == "open" for s in all_sessions),
        fields=outcomes,
        patterns=tuple(edit_patterns(all_sessions, plan, selected, min_count)),
        rejections=tuple(sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))),
    )


# -- draft vs final, for `enrich eval --from-review-log` -----------------------------------------------


@dataclass(frozen=True)
class ReviewPair:
    """An approved draft as the model wrote it and as a person published it."""

    post: str
    drafted: dict[str, Any]
    approved: dict[str, Any]
    model: str | None
    prompt_version: str | None
    ungrounded: int  # names flagged as not found in the transcript, at the first logged decision
    complete: bool  # False: only logged edits are known, edits made outside review are not
    dropped: int = 0  # of them, names drafting left out (`dropped`): not in `drafted`

    def grounding(self, plan: FieldPlan) -> Grounding:
        total = sum(len(items(self.drafted.get(f))) for f in plan.name_fields) + self.dropped
        return Grounding(found=total - min(self.ungrounded, total), total=total)


def review_pairs(records: Iterable[dict[str, Any]]) -> list[ReviewPair]:
    """Every approved draft with the published values; the draft is the published values with each
    change undone (approval's own changes, such as `draft: false`, are left as published)."""
    out = []
    for s in sessions(records):
        values = s.last.get("values")
        if s.outcome != "approved" or not isinstance(values, dict):
            continue
        drafted = dict(values)
        for c in s.changes():
            key = str(c["key"])
            if c.get("change") == "added":
                drafted.pop(key, None)
            else:
                drafted[key] = c.get("before")
        first = s.records[0]
        flags = [f for f in first.get("flags") or [] if isinstance(f, dict) and f.get("kind") == "ungrounded"]
        dropped = [f for f in first.get("flags") or [] if isinstance(f, dict) and left_out_unmentioned(f)]
        out.append(
            ReviewPair(
                post=s.post,
                drafted=drafted,
                approved=dict(values),
                model=s.last.get("model"),
                prompt_version=s.last.get("prompt_version"),
                ungrounded=len(flags) + len(dropped),
                dropped=len(dropped),
                complete=s.complete,
            )
        )
    return out
