"""Answers as large as real ones, for benchmarks: the approved post's own front matter for the transcript asked about.

`ApprovedAnswers(raw_dir, posts_dir)` reads every transcript of `raw_dir` and the post of the same name
(`posts/<id>.md`) in `posts_dir`. Called with a chat request, it finds which transcript the request
carries (by windows of its text with the whitespace taken out, so enrich's cleaning of line breaks
and caption layout does not hide it) and answers with that post's values for the fields the schema
asks for: title, summary, tags, every person, organisation, product and book (each with the words of
the transcript that mention it, as a model quotes them), area, category, speaker. A value the schema
would refuse (a tag that is not kebab-case, a category outside the profile, an empty string) is
replaced by the fake's usual valid one and counted in `replaced`; a request that carries no known
transcript (a repair) gets the usual minimal answer and is counted in `unmatched`.
"""

from __future__ import annotations

import re
import threading
from pathlib import Path
from typing import Any

import yaml

from enrich.testing.fakeserver import Reply, answer, valid_answer, value_for

WINDOW = 20  # characters of whitespace-free text a window holds
STRIDE = 128  # one window indexed every this many characters of each transcript
_SPACE = re.compile(r"\s+")
_TRANSCRIPT = re.compile(r"<transcript>(.*)</transcript>", re.S)


def _front_matter(path: Path) -> dict[str, Any]:
    text = path.read_text(encoding="utf-8")
    if not text.startswith("---"):
        return {}
    end = text.find("\n---", 3)
    try:
        data = yaml.safe_load(text[3:end])
    except yaml.YAMLError:
        return {}
    return data if isinstance(data, dict) else {}


class ApprovedAnswers:
    """A FakeLLM responder: `llm.responder = ApprovedAnswers(raw, posts)`."""

    def __init__(self, raw_dir: Path, posts_dir: Path) -> None:
        self._index: dict[str, str] = {}
        self._posts: dict[str, dict[str, Any]] = {}
        for raw in sorted(raw_dir.glob("*.txt")):
            post = posts_dir / f"{raw.stem}.md"
            if not post.is_file():
                continue
            self._posts[raw.stem] = _front_matter(post)
            flat = _SPACE.sub("", raw.read_text(encoding="utf-8", errors="replace"))
            for start in range(0, max(1, len(flat) - WINDOW), STRIDE):
                self._index.setdefault(flat[start : start + WINDOW], raw.stem)
        self._lock = threading.Lock()
        self.matched = 0
        self.unmatched = 0
        self.replaced: dict[str, int] = {}  # field -> answers where the post's value did not fit the schema
        self.names = 0  # entities answered

    @property
    def known(self) -> int:
        """Transcripts with an approved post."""
        return len(self._posts)

    def which(self, request: dict[str, Any]) -> str | None:
        """The id of the transcript a chat request carries, None when it carries none of them."""
        messages = request.get("messages") or []
        text = str(messages[-1].get("content") or "") if messages else ""
        found = _TRANSCRIPT.search(text)
        flat = _SPACE.sub("", found.group(1) if found else text)
        for fraction in (0.5, 0.25, 0.75, 0.0):  # a few stretches, should cleaning have changed one
            begin = int(len(flat) * fraction)
            for offset in range(begin, min(len(flat) - WINDOW, begin + STRIDE + WINDOW) + 1):
                stem = self._index.get(flat[offset : offset + WINDOW])
                if stem is not None:
                    return stem
        return None

    def __call__(self, request: dict[str, Any]) -> Reply:
        fmt = request.get("response_format") or {}
        schema = fmt.get("json_schema", {}).get("schema") if fmt.get("type") == "json_schema" else None
        stem = self.which(request) if schema is not None else None
        if stem is None or schema is None or "title" not in schema.get("properties", {}):
            with self._lock:
                self.unmatched += 1
            return answer(valid_answer(request))
        messages = request["messages"]
        transcript = str(messages[-1].get("content") or "")
        post = self._posts[stem]
        out: dict[str, Any] = {}
        replaced: list[str] = []
        names = 0
        for name, sub in schema.get("properties", {}).items():
            value = _fitting(post.get(name), sub, transcript)
            if value is None:
                replaced.append(name)
                value = value_for(name, sub, transcript)
            elif sub.get("type") == "array" and sub.get("items", {}).get("type") == "object":
                names += len(value)
            out[name] = value
        with self._lock:
            self.matched += 1
            self.names += names
            for name in replaced:
                self.replaced[name] = self.replaced.get(name, 0) + 1
        return answer(out)


def _fitting(value: Any, schema: dict[str, Any], transcript: str) -> Any:
    """The post's value shaped as the schema asks, None when it does not fit."""
    kind = schema.get("type")
    if kind == "string":
        if not isinstance(value, str | int | float) or isinstance(value, bool) or not str(value).strip():
            return None
        text = str(value).strip()
        return text if "enum" not in schema or text in schema["enum"] else None
    if kind == "array" and value in (None, "", "[]"):  # how the site writes "none"
        value = []
    if kind != "array" or not isinstance(value, list):
        return None
    items = schema.get("items", {})
    if items.get("type") == "object":
        return [{"name": str(v), "mention": _mention(str(v), transcript)} for v in value if isinstance(v, str) and v.strip()]
    pattern = items.get("pattern")
    strings = [str(v) for v in value if isinstance(v, str)]
    if pattern and not all(re.fullmatch(pattern, v) for v in strings):
        return None
    if len(strings) < schema.get("minItems", 0) or len(strings) > schema.get("maxItems", len(strings)):
        return None
    return strings


def _mention(name: str, transcript: str) -> str:
    """The words of the transcript a model would quote for `name`: the name, else its last word, as written there."""
    lowered = transcript.lower()
    for candidate in (name, name.split()[-1] if " " in name else ""):
        at = lowered.find(candidate.lower()) if candidate else -1
        if at >= 0:
            return transcript[at : at + len(candidate)]
    return name
