"""Front matter is written in the site's style and reads back exactly."""

from __future__ import annotations

import yaml

from enrich.profile import load_profile
from enrich.yamlio import dump_front_matter, render_document

RISKY = [
    "yes",
    "no",
    "on",
    "off",
    "null",
    "~",
    "@handle",
    "*star",
    "a: b",
    "---",
    "2024-01-05",
    "2021-13-45",
    "012",
    "10:00",
    "#tag",
    "- x",
    "'quoted'",
    '"dq"',
    "🚀 emoji",
    "卡尼与习近平",
    "x" * 300,
]


def test_risky_values_round_trip() -> None:
    values = {f"k{i}": v for i, v in enumerate(RISKY)}
    values["list"] = RISKY
    text = dump_front_matter(values, load_profile())
    assert yaml.safe_load(text) == values


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
        },
        profile,
    )
    assert text.splitlines() == [
        "area: geopolitics",
        "date: '2025-11-01'",
        "guest: ''",
        "people: []",
        "tags:",
        "- a-b",
        "- c-d",
        "title: 卡尼与习近平会晤 🚀",
    ]


def test_document_has_front_matter_then_body() -> None:
    doc = render_document({"title": "t"}, load_profile(), "\n\nBody text\n", trailer="# comment")
    assert doc == "---\ntitle: t\n# comment\n---\n\nBody text\n"
