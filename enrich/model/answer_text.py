"""An answer's text as JSON, and the schema as text for endpoints without `json_schema`.

In `json_object` and plain-text modes the schema goes into the instructions, and the answer may come
fenced or with prose around it: it is read tolerantly, and what is still not JSON goes back to the
repair loop with the parse error.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any


def with_schema_text(messages: list[dict[str, str]], schema: dict[str, Any]) -> list[dict[str, str]]:
    """For endpoints without json_schema support: the schema goes into the instructions instead."""
    out = [dict(m) for m in messages]
    note = "\n\nThe JSON object must follow this JSON Schema:\n" + json.dumps(schema, ensure_ascii=False)
    out[0]["content"] = out[0]["content"] + note
    return out


_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.S)
_THINKING = re.compile(r"^\s*<think>.*?</think>", re.S)  # reasoning models (Qwen, DeepSeek-R1) think aloud first


def parse_json_answer(content: str) -> Any:
    """The JSON object in an answer, tolerating a leading <think> block, code fences and text around it."""
    text = _THINKING.sub("", content, count=1).strip()
    try:
        return json.loads(text)
    except ValueError:
        pass
    fenced = _FENCE.search(text)
    if fenced:
        try:
            return json.loads(fenced.group(1))
        except ValueError:
            pass
    start, end = text.find("{"), text.rfind("}")
    if start != -1 and end > start:
        try:
            return json.loads(text[start : end + 1])
        except ValueError:
            pass
    return Unparsed(text)


@dataclass
class Unparsed:
    """An answer that is not JSON; the repair loop sends it back with the parse error."""

    text: str
