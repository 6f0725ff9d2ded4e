"""Reading inputs: encodings, caption formats, Markdown front matter, sidecar metadata."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from enrich.errors import InputError
from enrich.ingest.read import captions_to_text, decode_bytes, read_metadata, read_source
from tests.conftest import FIXTURES

ZH = "加拿大總理訪華期間宣布了一項決定，這是關於電動汽車關稅的調整。"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "gb18030", "big5"])
def test_decodes_common_encodings(tmp_path: Path, encoding: str) -> None:
    text = ZH * 5 if encoding != "gb18030" else "加拿大总理访华期间宣布了一项决定，这是关于电动汽车关税的调整。" * 5
    path = tmp_path / "a.txt"
    path.write_bytes(text.encode(encoding))
    assert read_source(path).text == text


def test_utf16_fixture_with_bom() -> None:
    assert read_source(FIXTURES / "utf16-hello.txt").text.strip() == "Hello utf-16"


def test_binary_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "x.txt"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4)
    with pytest.raises(InputError, match="binary"):
        read_source(path)


def test_undecodable_garbage_is_refused() -> None:
    with pytest.raises(InputError):
        decode_bytes(bytes(range(1, 32)) * 50 + b"\xff\xfe\xfd" * 10, "x.txt")


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [("empty.txt", b"   \n\n", "empty"), ("a.pdf", b"%PDF", "unsupported file type")],
)
def test_unusable_inputs_name_the_problem(tmp_path: Path, name: str, content: bytes, message: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InputError, match=message) as info:
        read_source(path)
    assert name in str(info.value)


def test_missing_file_and_folder(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        read_source(tmp_path / "nope.txt")
    with pytest.raises(InputError, match="folder"):
        read_source(tmp_path)


def test_srt_drops_numbers_timings_and_markup() -> None:
    text = read_source(FIXTURES / "en-podcast.srt").text
    assert "-->" not in text and "<i>" not in text
    assert not any(line.strip().isdigit() for line in text.splitlines())
    assert "Dana runs a small robotics company called Tern Robotics in Ohio." in text
    # a pause of more than two seconds starts a new paragraph
    assert "\n\nDana, you said last year" in text


def test_vtt_rolling_captions_are_not_repeated() -> None:
    text = read_source(FIXTURES / "zh-rolling.vtt").text
    assert text.count("大家好欢迎收看本期节目") == 1
    assert text.count("今天我们聊一聊城市里的共享单车") == 1
    assert "为什么有的城市做得好" in text
    assert "WEBVTT" not in text and "NOTE" not in text and "align:" not in text


def test_vtt_cue_identifiers_and_inline_timestamps() -> None:
    vtt = (
        "WEBVTT\n\nintro\n00:00:01.000 --> 00:00:02.000\n<00:00:01.500><c>Hello</c> there\n\n"
        "2\n00:00:02.000 --> 00:00:03.000\nworld\n"
    )
    assert captions_to_text(vtt, "vtt").strip() == "Hello there world"


def test_markdown_front_matter_is_kept_as_person_fields() -> None:
    source = read_source(FIXTURES / "en-notes.md")
    assert source.person_fields == {"title": "手写的标题不会被覆盖", "project": ["platform-notes"]}
    assert source.text.lstrip().startswith("These are rough notes")


def test_markdown_with_unclosed_front_matter(tmp_path: Path) -> None:
    path = tmp_path / "x.md"
    path.write_text("---\ntitle: x\nbody without end\n", encoding="utf-8")
    with pytest.raises(InputError, match="closing"):
        read_source(path)


def test_sidecar_gives_source_speaker_date_and_title_hint() -> None:
    meta = read_metadata(FIXTURES / "xK3mP9qL2wA.txt")
    assert meta.values == {
        "source": "https://www.youtube.com/watch?v=xK3mP9qL2wA",
        "speaker": "Build Notes",
        "date": "2026-02-14",
    }
    assert meta.title_hint == "What splitting our monolith really cost"
    assert meta.origins["date"] == "sidecar xK3mP9qL2wA.info.json"


def test_sidecar_for_language_suffixed_subtitles(tmp_path: Path) -> None:
    (tmp_path / "talk.info.json").write_text(json.dumps({"webpage_url": "https://example.org/v", "uploader": "U"}))
    (tmp_path / "talk.en.vtt").write_text("WEBVTT\n\n00:00:00.000 --> 00:00:01.000\nhi\n")
    assert read_metadata(tmp_path / "talk.en.vtt").values["speaker"] == "U"


def test_broken_sidecar_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "a.info.json").write_text("{not json")
    (tmp_path / "a.txt").write_text("hello world")
    with pytest.raises(InputError, match=r"sidecar a\.info\.json"):
        read_source(tmp_path / "a.txt")


@pytest.mark.parametrize(
    ("stem", "is_id"), [("-I5W5QVAT8E", True), ("0NR33xdd8m4", True), ("interviewed", False), ("Transcripts", False)]
)
def test_video_id_file_names(tmp_path: Path, stem: str, is_id: bool) -> None:
    path = tmp_path / f"{stem}.txt"
    path.write_text("text")
    assert ("source" in read_metadata(path).values) is is_id
