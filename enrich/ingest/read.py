"""Reading one raw input: bytes to text, caption formats to plain text, and the facts metadata gives.

Decoding is strict about what it refuses (binary files, text no encoding explains) and generous
about what it accepts (UTF-8 with or without BOM, UTF-16, GB18030, Big5, detected by
charset-normalizer). Caption formats are parsed by hand: they are small line formats, and the part
that matters (dropping the repeated lines of rolling auto-captions) is not something a subtitle
library does for us. Never touches the network.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from enrich.errors import InputError

FORMATS = {".txt": "txt", ".text": "txt", ".md": "md", ".markdown": "md", ".srt": "srt", ".vtt": "vtt"}
MAX_BYTES = 20 * 1024 * 1024
_CHINESE = ("gb18030", "big5")  # the legacy encodings promised, preferred when detection is undecided
YOUTUBE_ID = re.compile(r"^[A-Za-z0-9_-]{11}$")
_TIMESTAMP = r"(?:\d{1,2}:)?\d{1,2}:\d{2}[.,]\d{1,3}"
_CUE_TIMING = re.compile(rf"^\s*({_TIMESTAMP})\s*-->\s*({_TIMESTAMP})")
_TAGS = re.compile(r"<[^>\n]*>|\{\\[^}\n]*\}")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")


@dataclass
class Metadata:
    """Facts about the source that do not need a model, each with where it came from."""

    values: dict[str, Any] = field(default_factory=dict)  # front matter key -> value
    origins: dict[str, str] = field(default_factory=dict)  # key -> "sidecar NAME" / "file name"
    title_hint: str | None = None
    description: str | None = None


@dataclass
class Source:
    """One input, decoded: the text to draft from and everything known before any model runs."""

    path: Path
    format: str
    encoding: str
    text: str  # body text (front matter removed for .md)
    sha256: str  # of the raw bytes
    metadata: Metadata
    person_fields: dict[str, Any] = field(default_factory=dict)  # front matter a person already wrote


def decode_bytes(data: bytes, path: str) -> tuple[str, str]:
    """Decode with BOMs first, then strict UTF-8, then detection; refuse binary and garbage."""
    if data.startswith(b"\xef\xbb\xbf"):
        return _strict(data[3:], "utf-8", path), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return _strict(data, "utf-16", path), "utf-16"
    if b"\x00" in data[:4096]:
        guess = _utf16_without_bom(data)
        if guess:
            return _strict(data, guess, path), guess
        raise InputError("binary file (contains NUL bytes); expected a text transcript", path=path)
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        where = f"the first invalid UTF-8 byte is at offset {exc.start}"
    from charset_normalizer import from_bytes

    results = from_bytes(data, cp_isolation=["gb18030", "big5", "utf_16", "cp1252", "latin_1", "shift_jis", "euc_kr"])
    best = results.best()
    if best is not None:  # a tie (short Chinese text reads as EUC-KR just as cleanly): GB18030, then Big5
        tied = [m for m in results if m.encoding in _CHINESE and m.chaos <= best.chaos]
        best = min(tied, key=lambda m: _CHINESE.index(m.encoding)) if tied else best
    if best is None or best.encoding is None:
        raise InputError(f"cannot decode: not UTF-8, UTF-16, GB18030 or Big5 text ({where})", path=path)
    text = str(best)
    if _looks_binary(text):
        raise InputError(f"cannot decode: the bytes do not look like text (best guess {best.encoding})", path=path)
    return text, best.encoding


def _strict(data: bytes, encoding: str, path: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise InputError(f"cannot decode as {encoding}: {exc.reason} at byte {exc.start}", path=path) from None


def _utf16_without_bom(data: bytes) -> str | None:
    sample = data[:4096]
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    if odd > len(sample) // 4 and even == 0:
        return "utf-16-le"
    if even > len(sample) // 4 and odd == 0:
        return "utf-16-be"
    return _utf16_text(data) if len(data) % 2 == 0 else None  # Chinese: few NUL bytes, on either side


def _utf16_text(data: bytes) -> str | None:
    """The UTF-16 byte order under which `data` decodes to text (no NUL, controls or unpaired surrogates,
    mostly CJK, Latin and punctuation), else None: what Chinese text without a BOM looks like."""
    for encoding in ("utf-16-le", "utf-16-be"):
        try:
            text = data[:4096].decode(encoding)
        except UnicodeDecodeError:
            continue
        common = sum(1 for ch in text if ch.isprintable() or ch in "\n\r\t") - text.count("\x00")
        cjk = sum(1 for ch in text if "\u3000" <= ch <= "\u9fff" or "\uff00" <= ch <= "\uffef")
        if text and common == len(text) and (cjk + sum(ch.isascii() for ch in text)) >= 0.9 * len(text):
            return encoding
    return None


def _looks_binary(text: str) -> bool:
    if not text:
        return False
    controls = sum(1 for ch in text[:5000] if ord(ch) < 32 and ch not in "\n\r\t\f")
    return controls > len(text[:5000]) * 0.02


def captions_to_text(text: str, fmt: str) -> str:
    """Plain text from SRT/VTT: no cue numbers, timings, markup, or rolling-caption repeats.

    Lines are joined into paragraphs; a pause of more than two seconds between cues starts a new
    paragraph, so the body stays readable for the reviewer.
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    paragraphs: list[list[str]] = [[]]
    recent: list[str] = []
    last_end: float | None = None
    in_block = fmt == "vtt"  # skip the WEBVTT header block until the first blank line
    skipping_note = False
    i = 0
    while i < len(lines):
        line = lines[i].strip()
        i += 1
        if in_block:
            if line == "":
                in_block = False
            elif _CUE_TIMING.match(line):
                in_block = False
                i -= 1
            continue
        if skipping_note:
            skipping_note = line != ""
            continue
        if fmt == "vtt" and re.match(r"^(NOTE|STYLE|REGION)\b", line):
            skipping_note = True
            continue
        timing = _CUE_TIMING.match(line)
        if timing:
            start, end = _seconds(timing.group(1)), _seconds(timing.group(2))
            if last_end is not None and start - last_end > 2.0 and paragraphs[-1]:
                paragraphs.append([])
            last_end = end
            continue
        next_is_timing = i < len(lines) and bool(_CUE_TIMING.match(lines[i].strip()))
        if line == "" or next_is_timing:
            continue  # blank, or a cue number (SRT) / cue identifier (VTT)
        cleaned = re.sub(r"\s+", " ", _TAGS.sub("", line)).strip()
        if not cleaned or cleaned in recent:
            continue  # rolling auto-captions repeat the previous cue's lines
        recent = [*recent[-3:], cleaned]
        paragraphs[-1].append(cleaned)
    joined = []
    for para in paragraphs:
        if not para:
            continue
        flat = " ".join(para)
        chinese = _CJK.search(flat) and not re.search(r"[A-Za-z]{3,}", " ".join(para[:3]))
        # Chinese captions carry no punctuation: keep one caption per line rather than run them together
        joined.append("\n".join(para) if chinese else flat)
    return "\n\n".join(joined) + "\n"


def _seconds(stamp: str) -> float:
    parts = stamp.replace(",", ".").split(":")
    total = 0.0
    for part in parts:
        total = total * 60 + float(part)
    return total


def person_front_matter(text: str, path: str) -> tuple[dict[str, Any], str]:
    """Front matter a person wrote (kept, never overwritten) and the body of a Markdown input."""
    from enrich.frontmatter.yaml12 import read_front_matter

    parts = read_front_matter(text, path=path)
    return parts if parts is not None else ({}, text)


def find_sidecar(path: Path) -> Path | None:
    """yt-dlp's NAME.info.json beside the input (also for NAME.en.vtt style subtitle names)."""
    stems = [path.stem]
    if "." in path.stem:
        stems.append(path.stem.split(".")[0])
    for stem in stems:
        candidate = path.with_name(f"{stem}.info.json")
        if candidate.is_file():
            return candidate
    return None


def read_metadata(path: Path) -> Metadata:
    """Facts from a yt-dlp sidecar, else from a file name that is a YouTube video id."""
    meta = Metadata()
    sidecar = find_sidecar(path)
    if sidecar is not None:
        try:
            info = json.loads(sidecar.read_text(encoding="utf-8-sig"))
        except (OSError, ValueError) as exc:
            raise InputError(f"sidecar {sidecar.name} is not valid JSON: {exc}", path=str(path)) from None
        if not isinstance(info, dict):
            raise InputError(f"sidecar {sidecar.name} is not a JSON object", path=str(path))
        origin = f"sidecar {sidecar.name}"
        url = info.get("webpage_url") or (
            f"https://www.youtube.com/watch?v={info['id']}"
            if info.get("extractor", "").startswith("youtube") and info.get("id")
            else None
        )
        if url:
            meta.values["source"], meta.origins["source"] = str(url), origin
        speaker = info.get("channel") or info.get("uploader")
        if speaker:
            meta.values["speaker"], meta.origins["speaker"] = str(speaker), origin
        upload = str(info.get("upload_date") or "")
        if re.fullmatch(r"\d{8}", upload):
            meta.values["date"], meta.origins["date"] = f"{upload[:4]}-{upload[4:6]}-{upload[6:]}", origin
        if info.get("title"):
            meta.title_hint = str(info["title"])
        if info.get("description"):
            meta.description = str(info["description"])[:1000]
    stem = path.stem.split(".")[0]
    if "source" not in meta.values and YOUTUBE_ID.match(stem) and _looks_like_video_id(stem):
        meta.values["source"] = f"https://www.youtube.com/watch?v={stem}"
        meta.origins["source"] = "file name (YouTube video id)"
    return meta


def _looks_like_video_id(stem: str) -> bool:
    """An 11-character name that mixes character classes, unlike an ordinary English word."""
    classes = sum(bool(re.search(p, stem)) for p in (r"[a-z]", r"[A-Z]", r"[0-9]", r"[-_]"))
    return classes >= 3 or (classes == 2 and bool(re.search(r"[A-Z]", stem[1:])))


def read_source(path: Path) -> Source:
    """Read one input file into a Source, or raise InputError naming the file and the problem."""
    name = str(path)
    try:
        path.stat()
    except OSError as exc:  # a symlink loop (ELOOP), a dangling link, no permission
        raise InputError(
            "no such file" if isinstance(exc, FileNotFoundError) else f"cannot read: {exc.strerror}", path=name
        ) from None
    if path.is_dir():
        raise InputError("is a folder; use `enrich batch` for a folder", path=name)
    if not path.is_file():  # a FIFO or a device: reading it would block or never end
        raise InputError("not a regular file", path=name)
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise InputError(f"unsupported file type {path.suffix or '(none)'}; expected .txt, .md, .srt or .vtt", path=name)
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise InputError(f"file is {size // 1_048_576} MiB; the limit is {MAX_BYTES // 1_048_576} MiB", path=name)
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", path=name) from None
    text, encoding = decode_bytes(data, name)
    text = text.replace("\r\n", "\n").replace("\r", "\n")  # before front matter: CR-only files have lines too
    person: dict[str, Any] = {}
    if fmt == "md":
        person, text = person_front_matter(text, name)
    elif fmt in ("srt", "vtt"):
        text = captions_to_text(text, fmt)
    if not text.strip():
        raise InputError("no text to draft from (the file is empty)", path=name)
    return Source(
        path=path,
        format=fmt,
        encoding=encoding,
        text=text,
        sha256=hashlib.sha256(data).hexdigest(),
        metadata=read_metadata(path),
        person_fields=person,
    )
