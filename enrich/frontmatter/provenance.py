"""Provenance: where every field of a draft came from, and what a reviewer must look at.

It travels inside the draft as one YAML comment line at the end of the front matter:

    # enrich-provenance: {"version": 1, "model": ..., "fields": {...}, "flags": [...]}

A YAML comment, because the site's build (Eleventy, Hugo, Jekyll) ignores comments, while `enrich
check` and `enrich review` read it from the raw text, and it moves with the file through edits and
review. Approval strips it. Stdlib only: `enrich check` reads it.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from typing import Any

MARKER = "# enrich-provenance: "
VERSION = 1

# Where a field's value came from.
SOURCES = ("metadata", "model", "offline", "default", "person", "vocabulary")


# Escaped in the comment: line breaks JSON leaves alone (U+2028, U+2029; U+0085 and the rest of C1 below)
# and every character YAML 1.1 readers refuse even in a comment (DEL, C1 controls, U+FFFE, lone surrogates).
_UNSAFE_IN_A_LINE = re.compile("[\u2028\u2029]|[^\t\x20-\x7e\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


NOT_MENTIONED = "not mentioned in the transcript"  # in the message of every `ungrounded` or `dropped` flag for it


def left_out_unmentioned(flag: dict[str, Any]) -> bool:
    """Whether a flag (as provenance JSON) records a name drafting left out because the transcript does not
    mention it: eval counts those as names not found."""
    return flag.get("kind") == "dropped" and NOT_MENTIONED in str(flag.get("message"))


@dataclass
class Flag:
    """Something a reviewer should look at before approving."""

    # ungrounded | dropped | vocab-found | new-tag | vocab-mapped | entity-kind | defaulted | offline | warning | ...
    kind: str
    field: str
    message: str
    value: str | None = None

    def describe(self) -> str:
        return f"{self.field}: {self.message}"


@dataclass
class Provenance:
    """Everything recorded about how a draft was made."""

    input: str
    input_sha256: str
    model: str | None = None  # the model that drafted the fields, None when no model did
    backend: str | None = None  # how the fields were drafted: "model" or "offline" (None in older drafts)
    endpoint: str | None = None  # host only, never a URL with credentials
    prompt_version: str | None = None
    response_format: str | None = None
    tokens_in: int = 0
    tokens_out: int = 0
    calls: int = 0
    chunks: int = 1
    fields: dict[str, str] = field(default_factory=dict)
    flags: list[Flag] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    created: str | None = None
    reviewed: bool = False
    version: int = VERSION

    def to_json(self) -> str:
        """One line whatever the values hold, readable by YAML 1.1 and 1.2 and valid UTF-8 (see _UNSAFE_IN_A_LINE)."""
        text = json.dumps(asdict(self), ensure_ascii=False, separators=(",", ":"))
        return _UNSAFE_IN_A_LINE.sub(lambda m: f"\\u{ord(m.group(0)):04x}", text)

    def to_comment(self) -> str:
        return MARKER + self.to_json()

    @property
    def made_by(self) -> str | None:
        """What drafted it, for people and the review log: the model's name, or "offline"."""
        return "offline" if self.backend == "offline" else self.model

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Provenance:
        flags = [Flag(**f) for f in data.get("flags", []) if isinstance(f, dict)]
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__ and k != "flags"}
        if "backend" not in known and known.get("model") == "offline":  # older drafts said model "offline"
            known["backend"], known["model"] = "offline", None
        return cls(**known, flags=flags)


def find_provenance(front_matter: str) -> Provenance | None:
    """The provenance recorded in a front matter block's text, if any (None when absent or unreadable)."""
    for line in front_matter.splitlines():
        if line.startswith(MARKER):
            try:
                data = json.loads(line[len(MARKER) :])
                return Provenance.from_dict(data) if isinstance(data, dict) else None
            except (ValueError, TypeError):
                return None
    return None


def strip_provenance(text: str) -> str:
    """The file text without its provenance line (for approval and publishing)."""
    return "".join(line for line in text.splitlines(keepends=True) if not line.startswith(MARKER))


def replace_provenance(text: str, provenance: Provenance) -> str:
    """The file text with its provenance line replaced (review marks flags as seen)."""
    out = []
    for line in text.splitlines(keepends=True):
        if line.startswith(MARKER):
            ending = "\n" if line.endswith("\n") else ""
            out.append(provenance.to_comment() + ending)
        else:
            out.append(line)
    return "".join(out)
