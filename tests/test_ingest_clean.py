"""Cleaning removes noise, never content, and records what it removed."""

from __future__ import annotations

from enrich.ingest.clean import clean_text
from enrich.ingest.read import read_source
from tests.conftest import FIXTURES


def test_sample_article_loses_placeholders_and_platform_notices_only() -> None:
    raw = read_source(FIXTURES / "zh-trade-article.txt").text
    result = clean_text(raw)
    assert "![]()" not in result.text
    assert "特別聲明" not in result.text and "Notice: The content above" not in result.text
    kinds = [r.kind for r in result.removed]
    assert kinds.count("platform notice") == 2 and "empty image placeholder" in kinds
    # every line of real content survives
    for line in raw.splitlines():
        if line.strip() and "![]()" not in line and not line.startswith(("特別聲明", "Notice:")):
            assert line.strip() in result.text


def test_notice_inside_the_text_is_kept() -> None:
    text = "特別聲明:以上內容為用戶上傳,本平台僅提供信息存儲服務。\n" + "正文內容。\n" * 10
    assert "特別聲明" in clean_text(text).text


def test_blank_line_runs_collapse() -> None:
    assert clean_text("a\n\n\n\n\nb\n").text == "a\n\nb\n"


def test_one_word_per_line_captions_are_reflowed() -> None:
    words = "So today we talk about small robots in big factories and why they fail. " * 10
    raw = "\n".join(f" {w}" if i % 7 else f"\n\n{w}" for i, w in enumerate(words.split()))
    result = clean_text("[music]\n" + raw)
    assert "[music]" not in result.text
    assert result.text.split() == words.split()
    assert any("reflowed" in r.kind for r in result.removed)
