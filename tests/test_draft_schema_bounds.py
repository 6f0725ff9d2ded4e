"""The answer schema carries what the endpoint can enforce; what needs no judgement is fixed, not re-asked."""

from __future__ import annotations

from pathlib import Path

import pytest

from enrich.draft.schema import answer_schema, notes_schema, read_answer
from enrich.profile import load_profile


def test_the_schema_sends_patterns_list_sizes_and_string_lengths(isolated: Path) -> None:
    profile = load_profile(isolated)
    props = answer_schema(profile.model_fields())["properties"]
    tags = props["tags"]
    assert tags["items"] == {"type": "string", "pattern": "^[a-z0-9]+(?:-[a-z0-9]+)*$", "maxLength": 60}
    assert (tags["minItems"], tags["maxItems"]) == (3, 8)
    assert props["area"]["enum"] and "minItems" not in props["people"]
    assert (props["title"]["minLength"], props["title"]["maxLength"]) == (4, 80)
    assert (props["summary"]["minLength"], props["summary"]["maxLength"]) == (30, 400)


def test_nothing_in_the_schema_is_unbounded(isolated: Path) -> None:
    """A grammar-constrained server generates an unbounded string or list until max_tokens cuts it."""
    profile = load_profile(isolated)

    def walk(node: dict[str, object], where: str) -> None:
        if node.get("type") == "string" and "enum" not in node:
            assert isinstance(node.get("maxLength"), int), where
        if node.get("type") == "array":
            assert isinstance(node.get("maxItems"), int), where
            walk(node["items"], where + "[]")  # type: ignore[arg-type]
        for name, sub in (node.get("properties") or {}).items():  # type: ignore[attr-defined]
            walk(sub, f"{where}.{name}")

    fields = profile.model_fields()
    walk(answer_schema(fields), "answer")
    walk(notes_schema(fields), "notes")


def test_duplicates_are_dropped_without_a_repair(isolated: Path) -> None:
    profile = load_profile(isolated)
    ask = [f for f in profile.model_fields() if f.name in ("tags", "people")]
    answer = {
        "tags": ["AI Agent", "ai-agent", "cloud-computing", "trade-war"],
        "people": [{"name": "Sam Altman", "mention": "Altman"}, {"name": "sam  altman", "mention": "Sam"}],
    }
    values, problems = read_answer(answer, ask, profile)
    assert values["tags"] == ["ai-agent", "cloud-computing", "trade-war"]
    assert values["people"] == ["Sam Altman"] and values["_mentions:people"] == ["Altman"]
    assert problems == []


def test_the_answer_schema_is_part_of_the_cache_key(isolated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A change of the schema or room this code asks for is a new draft, never a cached answer to another one."""
    import enrich.draft.model as model
    from enrich.draft.build import build_drafter
    from enrich.settings import load_settings

    (isolated / "a.txt").write_text("A talk about release engineering and deployment. " * 20, encoding="utf-8")

    def key() -> str:
        drafter, _ = build_drafter(load_settings({}), planning=True)
        return drafter.cache_key(drafter.prepare(isolated / "a.txt"))

    before = key()
    assert key() == before  # stable
    from enrich.draft.schema import answer_room as room

    monkeypatch.setattr(model, "answer_room", lambda fields: room(fields) + 1)
    assert key() != before


def test_an_enumeration_value_in_another_case_or_width_is_fixed_not_re_asked(isolated: Path) -> None:
    profile = load_profile(isolated)
    ask = [f for f in profile.model_fields() if f.name == "area"]
    member = ask[0].enum[0]  # type: ignore[index]
    values, problems = read_answer({"area": f"  {member.upper()} "}, ask, profile)
    assert values["area"] == member and problems == []
    values, problems = read_answer({"area": "no-such-area"}, ask, profile)
    assert [p.rule for p in problems] == ["enum"]


def test_a_localized_text_in_the_wrong_script_is_converted_or_re_asked(isolated: Path) -> None:
    profile = load_profile(isolated)  # zh-Hans
    ask = [f for f in profile.model_fields() if f.name in ("title", "summary")]
    summary = "本文分析會晤背後的地緣政治算計和經濟壓力，以及這對加拿大與中國關係的意義。"
    values, problems = read_answer({"title": "中加领导人八年来首次会晤", "summary": summary}, ask, profile)
    assert values["summary"].startswith("本文分析会晤背后的地缘政治") and problems == []  # converted, no repair
    english = "Canada and China leaders meet for the first time in eight years"
    values, problems = read_answer({"title": english, "summary": summary}, ask, profile)
    assert [(p.key, p.rule, p.severity) for p in problems] == [("title", "language", "warning")]
    assert "Simplified Chinese" in problems[0].message and values["title"] == english
