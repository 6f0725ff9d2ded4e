"""Fault injection, a prompt the model's context cannot hold: the 400s of OpenAI, vLLM, llama.cpp and Gemini.

A 400 that states a context size the transcript does not fit in is asked once more, with the transcript
split into parts that fit (and every later file of a batch is planned with it); one that states no
size, or one a split would not change, or a second refusal, is one clear line telling the user to lower
max_input_tokens. Never the same request twice, never a paid part thrown away, never exit 70."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from enrich.testing.fakeserver import FakeLLM, Reply, answer, error, valid_answer
from tests.faults import TRANSCRIPT, clean_failure, cli, inbox, transcript

DRAFT = Path("drafts") / "talk.md"
LONG = TRANSCRIPT * 12  # about 6000 characters: more than the small server below takes at once


def llama_cpp(n_ctx: int) -> Reply:
    body = {
        "error": {
            "code": 400,
            "message": f"request (9000 tokens) exceeds the available context size ({n_ctx} tokens), try increasing it",
            "type": "exceed_context_size_error",
            "n_prompt_tokens": 9000,
            "n_ctx": n_ctx,
        }
    }
    return Reply(status=400, body=json.dumps(body).encode())


STATED = [
    error(400, "This model's maximum context length is 8192 tokens.", code="context_length_exceeded"),
    error(
        400, "This model's maximum context length is 4096 tokens. However, you requested 9000 tokens.", type_="BadRequestError"
    ),
    llama_cpp(4096),
    error(
        400, "The input token count (1200000) exceeds the maximum number of tokens allowed (1048576).", type_="invalid_argument"
    ),
]
UNSTATED = error(400, "the request exceeds the available context size, try increasing it", type_="exceed_context_size_error")


def small_server(limit_chars: int, said: Reply) -> Any:
    """A server whose context holds `limit_chars` characters of user message, refusing longer prompts with `said`."""

    def reply(request: dict[str, Any]) -> Reply:
        if len(request["messages"][-1]["content"]) > limit_chars:
            return said
        return answer(valid_answer(request))

    return reply


def refusals(llm: FakeLLM, limit_chars: int) -> int:
    return sum(len(r["messages"][-1]["content"]) > limit_chars for r in llm.requests)


@pytest.mark.parametrize(
    ("reply", "text"),
    [(UNSTATED, LONG), (STATED[0], TRANSCRIPT), (STATED[3], LONG)],
    ids=["no-size", "fits-the-size-stated", "size-no-smaller"],
)
def test_a_context_400_that_a_split_cannot_help_is_one_line_naming_max_input_tokens_never_retried(
    fake_llm: FakeLLM, isolated: Path, reply: Reply, text: str
) -> None:
    path = transcript(isolated, text=text)
    fake_llm.push(*[reply] * 4)
    err = clean_failure(cli(str(path)), 5)
    assert "max_input_tokens" in err and "talk.txt" in err and len(err.strip().splitlines()) == 1, err
    assert len(fake_llm.requests) == 1
    assert not (isolated / DRAFT).exists()


@pytest.mark.parametrize("reply", STATED[:3], ids=["openai", "vllm", "llama.cpp"])
def test_a_context_400_that_persists_is_asked_once_more_then_one_line(fake_llm: FakeLLM, isolated: Path, reply: Reply) -> None:
    path = transcript(isolated, text=LONG)
    fake_llm.push(*[reply] * 6)
    err = clean_failure(cli(str(path)), 5)
    assert "max_input_tokens" in err and "talk.txt" in err and len(err.strip().splitlines()) == 1, err
    assert len(fake_llm.requests) == 2  # whole, then the first of the parts that fit the stated size: never more
    assert not (isolated / DRAFT).exists()


@pytest.mark.parametrize("reply", STATED[1:3], ids=["vllm", "llama.cpp"])
def test_a_context_400_that_states_the_size_is_drafted_in_parts(fake_llm: FakeLLM, isolated: Path, reply: Reply) -> None:
    path = transcript(isolated, text=LONG)
    fake_llm.responder = small_server(3500, reply)
    result = cli(str(path))
    assert result.exit_code == 0, result.output
    assert refusals(fake_llm, 3500) == 1
    assert len(fake_llm.requests) > 3  # the refused one, notes on each part, the merge
    assert "drafted from notes on" in (isolated / DRAFT).read_text(encoding="utf-8")


def test_a_batch_learns_the_size_once(fake_llm: FakeLLM, isolated: Path) -> None:
    folder = isolated / "inbox"
    for i in range(5):
        transcript(folder, f"t{i}.txt", f"第{i}篇。" + LONG)
    fake_llm.responder = small_server(3500, llama_cpp(4096))
    result = cli("batch", "inbox", "--jobs", "1")
    assert result.exit_code == 0, result.output
    assert len(list((isolated / "drafts").glob("*.md"))) == 5
    assert refusals(fake_llm, 3500) <= 2  # the files already started (one worker sends, one prepares); never the later ones


def test_a_context_400_fails_one_file_of_a_batch_not_the_batch(fake_llm: FakeLLM, isolated: Path) -> None:
    inbox(isolated, 3)
    fake_llm.push(UNSTATED)
    result = cli("batch", "inbox", "--jobs", "1")
    assert result.exit_code == 1, result.output
    assert "max_input_tokens" in result.output and "Traceback" not in result.output
    assert len(list((isolated / "drafts").glob("*.md"))) == 2
