"""The one emitter: the site's style, and every string reads back exactly under YAML 1.1 and YAML 1.2."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import yaml

from enrich.frontmatter.emit import dump_front_matter, entry, inline_value, render_document, scalar
from enrich.frontmatter.yaml12 import UnquotedDate, load_data
from enrich.profile import load_profile

RISKY = [
    "yes", "no", "on", "off", "y", "n", "true", "False", "null", "~", "", " ", "@handle", "*star", "&anchor",
    "!tag", "%x", "`x", "|x", ">x", "?x", ":x", "x:", "a: b", "x #y", "#tag", "- x", "-x", "---", "...",
    "'quoted'", '"dq"', "It's", "a,b", "[a]", "{a}", "=", "<<",
    "2024-01-05", "2021-02-30", "2021-13-45", "2024-01-05 10:00:00", "012", "0o17", "0x1F", "0b11", "1e3",
    "1E+3", "1_000", "10:00", "1:20:30", ".inf", "-.inf", ".NaN", ".5", "+1", "-0", "3.0",
    " lead", "trail ", "\ttab", "line1\nline2", "line1\nline2\n", "a\n\nb", "\n", "a\rb", "a\u2028b", "c\x85d",
    "e\u2029f", "\ufeffbom", "\u00a0nbsp", "🚀 emoji", "卡尼与习近平", "唐纳德·特朗普", "x" * 300,
]  # fmt: skip


def both(text: str) -> tuple[Any, Any]:
    """`text` read by a YAML 1.1 tool (PyYAML) and by the YAML 1.2 reading the site's build uses."""
    return yaml.safe_load(text), load_data(text)


@pytest.mark.parametrize("value", RISKY)
def test_every_risky_string_reads_back_exactly_under_yaml_11_and_12(value: str) -> None:
    texts = [entry("k", value), f"k: {scalar(value)}\n", f"k: [{scalar(value, flow=True)}]\n"]
    inline = inline_value(value)
    if inline is not None:  # None: multi-line text does not fit on the key's line
        texts.append(f"k: {inline}\n")
    for text in texts:
        old, new = both(text)
        if text.startswith("k: ["):
            old, new = {"k": old["k"][0]}, {"k": new["k"][0]}
        assert old == {"k": value} and new == {"k": value}, text
        assert type(old["k"]) is str and type(new["k"]) in (str, UnquotedDate), text


def test_whole_front_matter_round_trips() -> None:
    values: dict[str, Any] = {f"k{i}": v for i, v in enumerate(RISKY)}
    values["list"] = RISKY
    values["n"], values["f"], values["b"], values["none"], values["empty"] = 12, 3.5, False, None, []
    text = dump_front_matter(values, load_profile())
    old, new = both(text)
    assert old == values and new == values


def test_scalars_for_line_edits_are_one_line_and_quote_only_when_needed() -> None:
    assert scalar("ai-agent") == "ai-agent" and scalar("唐纳德·特朗普") == "唐纳德·特朗普" and scalar("It's") == "It's"
    assert scalar("no") == "'no'" and scalar("0o17") == "'0o17'" and scalar("1e3") == "'1e3'" and scalar("") == "''"
    assert scalar("'q'") == "'''q'''" and scalar("a: b") == "'a: b'" and scalar("2024-01-05") == "'2024-01-05'"
    assert scalar("a,b") == "a,b" and scalar("a,b", flow=True) == "'a,b'"
    assert scalar("line1\nline2") == '"line1\\nline2"'


def test_inline_values() -> None:
    assert inline_value(False) == "false" and inline_value([]) == "[]" and inline_value("budding") == "budding"
    assert inline_value(None) == "null" and inline_value(["a"]) is None and inline_value("a\nb") is None


def test_dates_and_unquoted_dates_are_written_as_quoted_text() -> None:
    text = entry("date", dt.date(2024, 1, 5)) + entry("when", UnquotedDate("2024-01-06"))
    assert text == "date: '2024-01-05'\nwhen: '2024-01-06'\n"


def test_site_style() -> None:
    profile = load_profile()
    text = dump_front_matter(
        {
            "title": "卡尼与习近平会晤 🚀",
            "tags": ["a-b", "c-d"],
            "date": "2025-11-01",
            "people": [],
            "guest": "",
            "area": "geopolitics",
            "summary": "第一段\n第二段",
        },
        profile,
    )
    assert text.splitlines() == [
        "area: geopolitics",
        "date: '2025-11-01'",
        "guest: ''",
        "people: []",
        "summary: |-",
        "  第一段",
        "  第二段",
        "tags:",
        "- a-b",
        "- c-d",
        "title: 卡尼与习近平会晤 🚀",
    ]


def test_document_has_front_matter_then_body() -> None:
    doc = render_document({"title": "t"}, load_profile(), "\n\nBody text\n", trailer="# comment")
    assert doc == "---\ntitle: t\n# comment\n---\n\nBody text\n"
    assert render_document({}, load_profile(), "") == "---\n---\n"
