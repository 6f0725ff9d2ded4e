"""Token counting works offline; long texts split on natural boundaries."""

from __future__ import annotations

import subprocess
import sys

from enrich.tokens import context_window, count_tokens, estimate_tokens, plan_chunks


def test_counts_offline_including_special_token_text() -> None:
    assert count_tokens("hello world") == 2
    assert count_tokens("text <|endoftext|> more") > 3  # never raises on special tokens


def test_counting_never_touches_the_network() -> None:
    code = (
        "import socket\n"
        "def refuse(*a, **k): raise SystemExit('network used')\n"
        "socket.socket.connect = refuse\nsocket.create_connection = refuse\n"
        "from enrich.tokens import count_tokens, counting_method\n"
        "assert count_tokens('你好 world') > 0\nprint(counting_method())\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "offline" in out.stdout


def test_estimate_is_close_for_chinese() -> None:
    text = "加拿大总理访华期间宣布了一项决定" * 50
    assert abs(estimate_tokens(text) - count_tokens(text)) / count_tokens(text) < 0.5


def test_chunks_respect_budget_and_boundaries() -> None:
    paragraphs = [f"Paragraph {i}. " + "word " * 80 for i in range(30)]
    text = "\n\n".join(paragraphs)
    chunks = plan_chunks(text, 400)
    assert len(chunks) > 3
    assert all(c.tokens <= 400 for c in chunks)
    assert "".join(c.text for c in chunks) == text
    assert all(c.text.startswith("Paragraph") for c in chunks)


def test_a_single_huge_line_still_splits() -> None:
    text = "字" * 5000
    chunks = plan_chunks(text, 300)
    assert "".join(c.text for c in chunks) == text and all(c.tokens <= 300 for c in chunks)


def test_context_windows() -> None:
    assert context_window("gpt-4.1-mini") > 1_000_000
    assert context_window("gpt-4o-2024-08-06") == 128_000
    assert context_window("qwen2.5:7b") == 32_000
