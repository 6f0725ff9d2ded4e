"""Drafting with no model at all: a real, checkable draft from the transcript and the site vocabulary.

`draft_offline` (in `drafter`) is the entry; `keywords` (jieba, English keywords), `gazetteer` (names
through the vocabulary), `tags` and `summary` (sentences, summary, title, speaker) do the work.
Every field carries an "offline" flag: a reviewer must check all of it.
"""

from __future__ import annotations

from enrich.offline.drafter import OfflineDraft, draft_offline
from enrich.offline.keywords import warm_up

__all__ = ["OfflineDraft", "draft_offline", "warm_up"]
