"""Every raw transcript of the shared corpus drafts without a crash (skipped when the corpus is absent)."""

from __future__ import annotations

from pathlib import Path

import pytest

from enrich.testing.fakeserver import FakeLLM
from enrich.validate import validate_front_matter
from tests.conftest import SHARED

RAW = SHARED / "corpus" / "raw"


@pytest.mark.skipif(not RAW.is_dir(), reason="shared corpus absent")
def test_every_corpus_transcript_drafts(fake_llm: FakeLLM, isolated: Path) -> None:
    from enrich.draft.build import build_drafter
    from enrich.draft.output import write_draft
    from enrich.settings import load_settings

    drafter, _ = build_drafter(load_settings())
    files = sorted(RAW.glob("*.txt"))
    assert len(files) >= 300
    for path in files:
        draft = drafter.draft(path)
        errors = [p for p in validate_front_matter(draft.values, drafter.profile) if p.severity == "error"]
        assert errors == [], (path.name, errors)
        assert draft.values["source"] == f"https://www.youtube.com/watch?v={path.stem}"
        write_draft(draft, drafter.profile, isolated / "drafts")
    assert len(list((isolated / "drafts").glob("*.md"))) == len(files)
