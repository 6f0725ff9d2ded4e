"""Fault injection, input files: legacy Chinese encodings, old line endings, oversized files, odd front
matter and an --out folder that cannot be written, through the CLI against the fake server."""

from __future__ import annotations

import errno
import tempfile
from pathlib import Path
from typing import Any

import pytest

from enrich.frontmatter.split import split_front_matter
from enrich.frontmatter.yaml12 import load_data
from enrich.ingest.read import MAX_BYTES
from enrich.testing.fakeserver import FakeLLM
from tests.faults import TRANSCRIPT, clean_failure, cli

TRADITIONAL = "今天我們討論貿易政策的變化，以及它對製造業的影響。" * 20 + "\n"


def sent_transcript(llm: FakeLLM) -> str:
    return str(llm.requests[-1]["messages"][-1]["content"])


def front_matter(path: Path) -> dict[str, Any]:
    parts = split_front_matter(path.read_text(encoding="utf-8"))
    assert parts is not None
    data = load_data(parts[0])
    assert isinstance(data, dict)
    return data


# -- encodings and line endings -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("encoding", "text", "words"),
    [("gb18030", TRANSCRIPT, "贸易政策"), ("big5", TRADITIONAL, "貿易政策"), ("gb18030", TRADITIONAL, "貿易政策")],
    ids=["gb18030-simplified", "big5-traditional", "gb18030-traditional"],
)
def test_legacy_chinese_encodings_are_decoded(fake_llm: FakeLLM, isolated: Path, encoding: str, text: str, words: str) -> None:
    path = isolated / "talk.txt"
    path.write_bytes(text.encode(encoding))
    result = cli(str(path))
    assert result.exit_code == 0, result.output
    assert words in sent_transcript(fake_llm)
    assert "\ufffd" not in sent_transcript(fake_llm)


@pytest.mark.parametrize("newline", ["\r\n", "\r"], ids=["crlf", "cr"])
def test_old_line_endings_are_drafted_as_lines(fake_llm: FakeLLM, isolated: Path, newline: str) -> None:
    path = isolated / "talk.txt"
    path.write_bytes(("第一段。\n第二段。\n\n" + TRANSCRIPT).replace("\n", newline).encode("utf-8"))
    assert cli(str(path)).exit_code == 0
    text = sent_transcript(fake_llm)
    assert "\r" not in text and "第一段。\n第二段。" in text


@pytest.mark.parametrize(
    ("newline", "bom"), [("\r\n", b""), ("\r", b""), ("\r\n", b"\xef\xbb\xbf")], ids=["crlf", "cr", "bom-crlf"]
)
def test_md_front_matter_with_old_line_endings_is_read(fake_llm: FakeLLM, isolated: Path, newline: str, bom: bytes) -> None:
    path = isolated / "post.md"
    doc = "---\ntitle: 我写的标题\nspeaker: 王小明\n---\n\n" + TRANSCRIPT
    path.write_bytes(bom + doc.replace("\n", newline).encode("utf-8"))
    result = cli(str(path))
    assert result.exit_code == 0, result.output
    data = front_matter(isolated / "drafts" / "post.md")
    assert data["title"] == "我写的标题" and data["speaker"] == "王小明"
    assert "---" not in sent_transcript(fake_llm)


def test_a_file_over_the_size_limit_is_one_line_and_costs_nothing(fake_llm: FakeLLM, isolated: Path) -> None:
    path = isolated / "huge.txt"
    with path.open("wb") as handle:
        handle.truncate(MAX_BYTES + 1)  # sparse: no 20 MiB written to the test disk
    err = clean_failure(cli(str(path)), 3)
    assert "huge.txt" in err and "limit" in err and len(err.strip().splitlines()) == 1, err
    assert fake_llm.requests == []


# -- front matter -------------------------------------------------------------------------------------


def test_front_matter_keys_content_handler_and_1_are_kept_as_plain_keys(fake_llm: FakeLLM, isolated: Path) -> None:
    path = isolated / "post.md"
    path.write_text("---\ncontent: 正文说明\nhandler: 编辑甲\n1: 一\n---\n\n" + TRANSCRIPT, encoding="utf-8")
    result = cli(str(path))
    assert result.exit_code == 0, result.output
    data = front_matter(isolated / "drafts" / "post.md")
    assert data["content"] == "正文说明" and data["handler"] == "编辑甲"
    assert data["1"] == "一"  # a key is a string to the site's build (js-yaml) too
    assert "贸易政策" in sent_transcript(fake_llm)  # the body is still the body


@pytest.mark.parametrize(
    ("content", "said"),
    [
        ("---\n- a list\n- not a mapping\n---\n\n", "mapping"),
        ("---\njust a sentence\n---\n\n", "mapping"),
        ("---\ntitle: [unclosed\n---\n\n", "front matter"),
        ("---\ntitle: x\n\n", "---"),
        ("---\n\ttitle: tab\n---\n\n", "front matter"),
        ("---\ntitle: 'one\n---\n\n", "front matter"),
    ],
    ids=["list", "scalar", "invalid-yaml", "unterminated", "tab-indent", "open-quote"],
)
def test_front_matter_that_cannot_be_read_is_one_line_exit_3_and_costs_nothing(
    fake_llm: FakeLLM, isolated: Path, content: str, said: str
) -> None:
    path = isolated / "post.md"
    path.write_text(content + TRANSCRIPT, encoding="utf-8")
    err = clean_failure(cli(str(path)), 3)
    assert "post.md" in err and said in err and len(err.strip().splitlines()) == 1, err
    assert fake_llm.requests == []
    assert not (isolated / "drafts" / "post.md").exists()


def test_a_batch_reports_bad_front_matter_and_drafts_the_rest(fake_llm: FakeLLM, isolated: Path) -> None:
    inbox = isolated / "inbox"
    inbox.mkdir()
    (inbox / "a.md").write_text("---\n- a list\n---\n\n" + TRANSCRIPT, encoding="utf-8")
    (inbox / "b.md").write_text("---\ntitle: [unclosed\n---\n\n" + TRANSCRIPT, encoding="utf-8")
    (inbox / "c.txt").write_text(TRANSCRIPT, encoding="utf-8")
    result = cli("batch", "inbox")
    assert result.exit_code == 1, result.output
    assert "a.md" in result.output and "b.md" in result.output and "Traceback" not in result.output
    assert [p.name for p in (isolated / "drafts").glob("*.md")] == ["c.md"]


# -- an --out folder that cannot be written -----------------------------------------------------------


def test_out_below_a_file_is_one_line_and_costs_nothing(fake_llm: FakeLLM, isolated: Path) -> None:
    (isolated / "talk.txt").write_text(TRANSCRIPT, encoding="utf-8")
    (isolated / "blocker").write_text("a file\n")
    err = clean_failure(cli("talk.txt", "--out", "blocker/drafts"), 3)
    assert "blocker" in err and len(err.strip().splitlines()) == 1, err
    assert (isolated / "blocker").read_text() == "a file\n"
    assert fake_llm.requests == []


def test_out_that_is_not_writable_is_one_line_and_costs_nothing(
    fake_llm: FakeLLM, isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the tests run as root, whom chmod 0o500 does not stop: refuse what the kernel would refuse a user
    (isolated / "talk.txt").write_text(TRANSCRIPT, encoding="utf-8")
    locked = isolated / "locked"
    locked.mkdir()
    real = tempfile.mkstemp

    def refused(*args: Any, **kwargs: Any) -> tuple[int, str]:
        if Path(str(kwargs.get("dir", ""))).resolve() == locked.resolve():
            raise PermissionError(errno.EACCES, "Permission denied")
        return real(*args, **kwargs)

    monkeypatch.setattr("enrich.temps.tempfile.mkstemp", refused)
    err = clean_failure(cli("talk.txt", "--out", "locked"), 3)
    assert "locked" in err and "permission denied" in err and len(err.strip().splitlines()) == 1, err
    assert fake_llm.requests == []
    assert list(locked.iterdir()) == []


def test_a_batch_whose_out_is_below_a_file_stops_before_paying(fake_llm: FakeLLM, isolated: Path) -> None:
    inbox = isolated / "inbox"
    inbox.mkdir()
    for i in range(3):
        (inbox / f"t{i}.txt").write_text(f"第{i}篇。" + TRANSCRIPT, encoding="utf-8")
    (isolated / "blocker").write_text("a file\n")
    result = cli("batch", "inbox", "--out", "blocker/drafts")
    assert result.exit_code == 3, result.output
    assert "blocker" in result.output and "Traceback" not in result.output
    assert fake_llm.requests == []


def test_a_short_gb18030_file_is_not_read_as_korean(fake_llm: FakeLLM, isolated: Path) -> None:
    path = isolated / "talk.txt"
    path.write_bytes("今天我们讨论".encode("gb18030"))  # EUC-KR reads these 12 bytes just as cleanly, as Hangul
    assert cli(str(path)).exit_code == 0
    assert "今天我们讨论" in sent_transcript(fake_llm)


@pytest.mark.parametrize(
    "data",
    [
        TRANSCRIPT.encode()[:300] + b"\xff" + TRANSCRIPT.encode()[300:],
        TRANSCRIPT.encode()[:-2],
        bytes(range(128, 256)) * 10,
        b"",
        b" \n\t\r\n" * 10,
    ],
    ids=["stray-byte", "cut-mid-character", "high-bytes", "empty", "whitespace"],
)
def test_a_file_that_is_not_usable_text_is_one_line_exit_3_and_costs_nothing(
    fake_llm: FakeLLM, isolated: Path, data: bytes
) -> None:
    path = isolated / "talk.txt"
    path.write_bytes(data)
    err = clean_failure(cli(str(path)), 3)
    assert "talk.txt" in err and len(err.strip().splitlines()) == 1, err
    assert fake_llm.requests == []


def test_invalid_utf8_says_where(fake_llm: FakeLLM, isolated: Path) -> None:
    path = isolated / "talk.txt"
    path.write_bytes(TRANSCRIPT.encode()[:300] + b"\xff" + TRANSCRIPT.encode()[300:])
    assert "offset 300" in clean_failure(cli(str(path)), 3)


def test_an_empty_front_matter_block_is_no_front_matter(fake_llm: FakeLLM, isolated: Path) -> None:
    path = isolated / "post.md"
    path.write_text("---\n---\n\n" + TRANSCRIPT, encoding="utf-8")
    assert cli(str(path)).exit_code == 0
    assert "---" not in sent_transcript(fake_llm) and "贸易政策" in sent_transcript(fake_llm)


def test_a_batch_reports_an_oversized_file_and_drafts_the_rest(fake_llm: FakeLLM, isolated: Path) -> None:
    inbox = isolated / "inbox"
    inbox.mkdir()
    with (inbox / "huge.txt").open("wb") as handle:
        handle.truncate(MAX_BYTES + 1)
    (inbox / "ok.txt").write_text(TRANSCRIPT, encoding="utf-8")
    result = cli("batch", "inbox")
    assert result.exit_code == 1, result.output
    assert "huge.txt" in result.output and "limit" in result.output and "Traceback" not in result.output
    assert [p.name for p in (isolated / "drafts").glob("*.md")] == ["ok.md"]
    assert len(fake_llm.requests) == 1
