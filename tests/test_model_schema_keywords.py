"""A strict mode that rejects one schema keyword loses that keyword, not the whole schema."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from enrich.model.schema_keywords import keywords_in, to_drop, without
from enrich.testing.fakeserver import FakeLLM
from tests.conftest import FIXTURES, run_cli

SAMPLE = str(FIXTURES / "zh-rolling.vtt")


def _sent(request: dict[str, Any]) -> tuple[str | None, set[str]]:
    fmt = request.get("response_format") or {}
    schema = fmt.get("json_schema", {}).get("schema")
    return fmt.get("type"), keywords_in(schema)


def test_keywords_the_endpoint_names_are_dropped_one_by_one_and_remembered(fake_llm: FakeLLM, isolated: Path) -> None:
    fake_llm.reject_schema_keywords = {"maxLength", "minLength"}  # OpenAI's strict mode, for one
    result = run_cli(SAMPLE)
    assert result.exit_code == 0, result.stderr
    sent = [_sent(r) for r in fake_llm.requests]
    assert [fmt for fmt, _ in sent] == ["json_schema"] * 3  # never stepped down to json_object
    lengths = {"maxLength", "minLength"}
    assert lengths <= sent[0][1] and len(lengths & sent[1][1]) == 1  # one keyword dropped per rejection
    assert sent[2][1] == {"pattern", "maxItems", "minItems"}  # everything else the endpoint can enforce is kept
    assert run_cli(SAMPLE, "--force").exit_code == 0
    assert _sent(fake_llm.requests[3]) == ("json_schema", {"pattern", "maxItems", "minItems"})  # remembered


def test_an_unnamed_keyword_costs_one_more_try_before_json_object(fake_llm: FakeLLM, isolated: Path) -> None:
    fake_llm.reject_schema_keywords = {"pattern"}
    fake_llm.name_rejected_keyword = False
    assert run_cli(SAMPLE).exit_code == 0
    sent = [_sent(r) for r in fake_llm.requests]
    assert sent[0][1] and sent[1] == ("json_schema", set())
    assert len(sent) == 2


def test_an_endpoint_without_json_schema_steps_down_at_once(fake_llm: FakeLLM, isolated: Path) -> None:
    fake_llm.reject_json_schema = True
    assert run_cli(SAMPLE).exit_code == 0
    assert [fmt for fmt, _ in map(_sent, fake_llm.requests)] == ["json_schema", "json_object"]


def test_without_drops_keywords_at_every_depth_but_never_a_property_named_like_one() -> None:
    schema: dict[str, Any] = {
        "type": "object",
        "properties": {
            "pattern": {"type": "string", "maxLength": 5, "pattern": "^a"},
            "list": {"type": "array", "maxItems": 3, "items": {"type": "string", "maxLength": 9}},
        },
    }
    out = without(schema, {"maxLength", "pattern"})
    assert set(out["properties"]) == {"pattern", "list"}
    assert out["properties"]["pattern"] == {"type": "string"}
    assert out["properties"]["list"] == {"type": "array", "maxItems": 3, "items": {"type": "string"}}
    assert schema["properties"]["pattern"]["maxLength"] == 5  # a copy: the original is untouched


def test_what_to_drop_follows_the_message() -> None:
    schema = {"type": "string", "maxLength": 3, "pattern": "x"}
    assert to_drop("In context=('properties', 'title'), 'maxLength' is not permitted.", schema) == {"maxLength"}
    assert to_drop("Invalid schema: unsupported keyword", schema) == {"maxLength", "pattern"}
    assert to_drop("response_format json_schema is not supported by this server", schema) == set()
    assert to_drop("'minItems' is not permitted", schema) == set()  # not in the schema: nothing to drop
