"""The answer schema carries what the endpoint can enforce; what needs no judgement is fixed, not re-asked."""

from __future__ import annotations

from pathlib import Path

from enrich.draft.schema import answer_schema, read_answer
from enrich.profile import load_profile


def test_the_schema_sends_patterns_and_list_sizes(isolated: Path) -> None:
    profile = load_profile(isolated)
    props = answer_schema(profile.model_fields())["properties"]
    tags = props["tags"]
    assert tags["items"] == {"type": "string", "pattern": "^[a-z0-9]+(?:-[a-z0-9]+)*$"}
    assert (tags["minItems"], tags["maxItems"]) == (3, 8)
    assert props["area"]["enum"] and "minItems" not in props["people"]


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
