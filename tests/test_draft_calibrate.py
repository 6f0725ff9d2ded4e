"""Budgets in the server's own tokens: a thriftier tokenizer is learned, a cut prompt is still told."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from enrich.draft.calibrate import TokenScale
from enrich.model.capabilities import Capabilities
from enrich.testing.fakeserver import FakeLLM, Reply, answer, valid_answer
from enrich.tokens import count_tokens
from tests.conftest import run_cli

ENDPOINT = "127.0.0.1|local"


def test_the_ratio_is_learned_remembered_and_used(tmp_path: Path) -> None:
    caps = Capabilities.in_folder(tmp_path)
    scale = TokenScale(ENDPOINT, lambda: caps)
    assert scale.ratio() is None and scale.to_local(5000) == 5000  # nothing known: as before
    scale.observe(sent=3000, told=1500)  # Qwen counts Chinese in about half the tokens of cl100k
    assert scale.ratio() == 0.5
    assert scale.to_local(5000) == int(5000 / 0.55)  # with a tenth of margin
    again = TokenScale(ENDPOINT, lambda: Capabilities.in_folder(tmp_path))
    assert again.ratio() == 0.5  # remembered per endpoint


def test_a_cut_prompt_is_not_learned_and_is_still_told() -> None:
    scale = TokenScale(ENDPOINT, lambda: None)
    assert not scale.truncated(sent=4000, told=2000)  # a thriftier tokenizer, not a cut (0.6 flagged it)
    assert scale.truncated(sent=10000, told=2048)  # Ollama's num_ctx cut it
    scale.observe(sent=10000, told=2048)
    assert scale.ratio() is None  # a cut prompt says nothing about the tokenizer
    scale.observe(sent=4000, told=2000)
    assert scale.truncated(sent=10000, told=2048) and not scale.truncated(sent=10000, told=4900)


def _half_counting(request: dict[str, Any]) -> Reply:
    """A server whose tokenizer needs half as many tokens as cl100k (Qwen on Chinese text)."""
    sent = [m.get("content") or "" for m in request.get("messages", [])]
    sent.append(json.dumps(request.get("response_format", {}), ensure_ascii=False))
    return answer(valid_answer(request), prompt_tokens=sum(count_tokens(part) for part in sent) // 2)


def test_a_transcript_that_fits_the_server_is_drafted_whole_once_the_ratio_is_known(fake_llm: FakeLLM, isolated: Path) -> None:
    fake_llm.responder = _half_counting
    inbox = isolated / "inbox"
    inbox.mkdir()
    sentence = "这次讨论的是半导体产业的供应链，以及台积电和英伟达在人工智能芯片上的合作与竞争。"
    (inbox / "a-short.txt").write_text(sentence * 60, encoding="utf-8")  # about 2,900 cl100k tokens: learns
    args = ("batch", "inbox", "--jobs", "1", "--no-progress", "--max-input-tokens", "8192")
    assert run_cli(*args).exit_code == 0
    assert "truncated" not in (isolated / "drafts" / "a-short.md").read_text(encoding="utf-8")
    (inbox / "b-long.txt").write_text(sentence * 150, encoding="utf-8")  # about 7,200: two parts in cl100k
    result = run_cli(*args)  # a later run: the ratio is remembered for the endpoint
    assert result.exit_code == 0, result.output
    assert len(fake_llm.requests) == 2  # b drafted whole: one request, not two parts and a merge
    assert "chunked" not in (isolated / "drafts" / "b-long.md").read_text(encoding="utf-8")
