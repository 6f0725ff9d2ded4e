"""Offline drafting: Traditional Chinese in, Simplified out, names through the vocabulary, valid drafts."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from enrich.offline import draft_offline, warm_up
from enrich.profile import Profile, load_profile
from enrich.validate import validate_front_matter
from enrich.vocab.build import build_vocabulary
from enrich.vocab.model import Vocabulary

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "vocab"


@pytest.fixture(scope="session")
def jieba_ready() -> None:
    warm_up()  # one jieba load for the whole session


@pytest.fixture(scope="module")
def vocab(tmp_path_factory: pytest.TempPathFactory) -> Vocabulary:
    site = tmp_path_factory.mktemp("site")
    shutil.copytree(FIXTURES / "posts", site / "posts")
    return build_vocabulary(site / "posts", site / ".enrich" / "vocab.yaml").vocab


@pytest.fixture(scope="module")
def profile() -> Profile:
    return load_profile(FIXTURES)


def _assert_valid(values: dict[str, object], profile: Profile) -> None:
    # offline drafting cannot know the speaker without metadata: it stays '' for the reviewer to fill in
    problems = [
        p.describe()
        for p in validate_front_matter(values, profile, only=set(values))
        if p.severity == "error" and not (p.key == "speaker" and p.rule == "missing-key" and values.get("speaker") == "")
    ]
    assert problems == []


def test_chinese_traditional_to_simplified(jieba_ready: None, vocab: Vocabulary, profile: Profile) -> None:
    text = (FIXTURES / "transcript-zh-hant.txt").read_text(encoding="utf-8")
    draft = draft_offline(text, profile=profile, vocab=vocab)
    v = draft.values
    assert list(v) == [f.name for f in profile.model_fields()]
    assert v["title"] == "晶片与关税：华盛顿和北京的新一轮较量"  # the first heading, in Simplified
    assert "贸易战" in v["summary"] and "貿易" not in v["summary"]
    assert "Donald Trump" in v["people"] and "Xi Jinping" in v["people"]
    assert "Nvidia" in v["companies_orgs"]
    assert "特朗普" in draft.mentions["people"]["Donald Trump"]
    assert "trade-war" in v["tags"]
    assert v["area"] in profile.fields["area"].enum  # type: ignore[operator]
    assert v["speaker"] == "科技观察"
    assert {f.field for f in draft.flags if f.kind == "offline"} >= set(v)
    _assert_valid(v, profile)


def test_english_with_title_hint(jieba_ready: None, vocab: Vocabulary, profile: Profile) -> None:
    text = (FIXTURES / "transcript-en.txt").read_text(encoding="utf-8")
    draft = draft_offline(text, profile=profile, vocab=vocab, title_hint="Coding agents at work")
    v = draft.values
    assert v["title"] == "Coding agents at work"
    assert "Sam Altman" in v["people"]
    assert {"OpenAI", "Anthropic"} <= set(v["companies_orgs"])
    assert {"Claude Code", "ChatGPT"} <= set(v["products_models"])
    assert "ai-agent" in v["tags"]
    assert "Priya Raman" in v["people"]  # unresolved, kept as written and flagged
    assert any(f.kind == "offline" and f.value == "Priya Raman" and "unresolved" in f.message for f in draft.flags)
    assert v["speaker"] == "Builder Notes"
    _assert_valid(v, profile)


def test_without_vocabulary_still_valid(jieba_ready: None, profile: Profile) -> None:
    for name in ("transcript-zh-hant.txt", "transcript-en.txt"):
        text = (FIXTURES / name).read_text(encoding="utf-8")
        draft = draft_offline(text, profile=profile, vocab=None)
        _assert_valid(draft.values, profile)
        assert any(f.kind == "new-tag" for f in draft.flags)


def test_tiny_input_is_still_valid(jieba_ready: None, vocab: Vocabulary, profile: Profile) -> None:
    draft = draft_offline("短。", profile=profile, vocab=vocab)
    _assert_valid(draft.values, profile)
