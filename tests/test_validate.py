"""The value rule engine shared by drafting and `enrich check`, against the bundled default profile."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from enrich.profile import Profile, load_profile
from enrich.validate import Problem, is_real_date, validate_front_matter, validate_value

SUMMARY = "拆分单体应用并不只是技术决策：团队边界、发布流程和数据所有权都要跟着改变，否则只会得到一个分布式的单体。"


def valid_post() -> dict[str, Any]:
    """A front matter mapping the default profile accepts as it is (like the README's draft)."""
    return {
        "area": "tech-engineering",
        "category": "software-development",
        "companies_orgs": [],
        "date": "2026-02-14",
        "draft": True,
        "guest": "",
        "insight": "",
        "layout": "post.njk",
        "media_books": [],
        "people": ["Martin Fowler"],
        "products_models": [],
        "project": [],
        "series": "",
        "source": "https://www.youtube.com/watch?v=xK3mP9qL2wA",
        "speaker": "Some Channel",
        "status": "evergreen",
        "summary": SUMMARY,
        "tags": ["monolith-migration", "microservices", "software-architecture"],
        "title": "拆分单体应用的真实代价",
    }


@pytest.fixture
def profile() -> Profile:
    return load_profile()


def found(problems: list[Problem]) -> list[tuple[str, str, int | None]]:
    return [(p.key, p.rule, p.index) for p in problems]


def check(profile: Profile, key: str, value: Any) -> list[Problem]:
    """Problems of the whole valid post with one key changed (so only that key can be at fault)."""
    values = valid_post()
    values[key] = value
    return validate_front_matter(values, profile)


def write_site_profile(site: Path, toml: str) -> Profile:
    (site / "enrich.toml").write_text(toml, encoding="utf-8")
    return load_profile()


def test_the_valid_post_has_no_problems(profile: Profile) -> None:
    assert validate_front_matter(valid_post(), profile) == []


# -- types -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "value", "index"),
    [
        ("draft", "no", None),  # YAML 1.2 reads `no` as a string
        ("draft", 1, None),
        ("draft", None, None),  # a bool has no empty form: null is a type error, not empty-form
        ("title", 2024, None),
        ("title", ["拆分单体应用的真实代价"], None),
        ("date", 20260214, None),
        ("tags", "monolith-migration", None),
        ("tags", {"monolith-migration": True}, None),
        ("people", ["Martin Fowler", 42], 1),
        ("people", [["Martin Fowler"]], 0),
    ],
)
def test_a_value_of_the_wrong_type_is_a_type_error(profile: Profile, key: str, value: Any, index: int | None) -> None:
    problems = check(profile, key, value)
    assert found(problems) == [(key, "type", index)]
    assert problems[0].severity == "error"


def test_a_bool_field_accepts_both_booleans(profile: Profile) -> None:
    assert check(profile, "draft", False) == []
    assert check(profile, "draft", True) == []


# -- required keys ---------------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["title", "summary", "tags", "area", "category", "date", "source", "speaker"])
def test_a_missing_required_key_is_reported(profile: Profile, key: str) -> None:
    values = valid_post()
    del values[key]
    problems = validate_front_matter(values, profile)
    assert found(problems) == [(key, "missing-key", None)]
    assert problems[0].message == "required key is missing"


@pytest.mark.parametrize("key", ["guest", "insight", "series", "people", "media_books", "project", "author"])
def test_a_missing_optional_key_is_not_a_problem(profile: Profile, key: str) -> None:
    values = valid_post()
    values.pop(key, None)
    assert validate_front_matter(values, profile) == []


@pytest.mark.parametrize("key", ["title", "speaker", "date", "source"])
def test_an_empty_required_value_counts_as_missing(profile: Profile, key: str) -> None:
    problems = check(profile, key, "")
    assert found(problems) == [(key, "missing-key", None)]
    assert "required" in problems[0].message


@pytest.mark.parametrize("key", ["guest", "insight", "series"])
def test_an_empty_optional_string_is_the_normal_empty_form(profile: Profile, key: str) -> None:
    assert check(profile, key, "") == []


# -- enumerations ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "value", "hint"),
    [
        ("status", "evengreen", "evergreen"),  # a typo
        ("area", "Geopolitics", "geopolitics"),  # case
        ("area", "“tech-engineering”", "tech-engineering"),  # curly quotes pasted around the value
        ("area", " tech-engineering ", "tech-engineering"),  # stray spaces
        ("category", "macro-economics", "macro-economy"),  # the README's example
    ],
)
def test_a_value_outside_the_enum_suggests_the_closest(profile: Profile, key: str, value: str, hint: str) -> None:
    problems = check(profile, key, value)
    assert found(problems) == [(key, "enum", None)]
    assert problems[0].message == f"{value!r} is not allowed; did you mean {hint!r}?"
    assert problems[0].severity == "error"


@pytest.mark.parametrize("value", ["ZH", "“zh”", "'zh'", " Zh "])
def test_case_quotes_and_spaces_do_not_hide_a_short_choice(isolated: Path, value: str) -> None:
    profile = write_site_profile(isolated, '[profile.fields.lang]\ntype = "string"\nenum = ["en", "zh"]\n')
    problems = check(profile, "lang", value)
    assert found(problems) == [("lang", "enum", None)]
    assert problems[0].message.endswith("did you mean 'zh'?")


def test_a_value_far_from_every_choice_lists_the_choices_instead(profile: Profile) -> None:
    problems = check(profile, "area", "cooking")
    assert found(problems) == [("area", "enum", None)]
    message = problems[0].message
    assert "did you mean" not in message
    assert "one of: tech-engineering, society-thinking" in message


def test_the_list_of_choices_is_capped_at_twelve(profile: Profile) -> None:
    enum = profile.fields["category"].enum
    assert enum is not None and len(enum) > 12
    message = check(profile, "category", "zzzzzz")[0].message
    assert enum[11] in message and enum[12] not in message.split("one of: ")[1].split(", ")


@pytest.mark.parametrize("value", ["evergreen", "seedling", "budding"])
def test_every_enum_value_is_accepted(profile: Profile, value: str) -> None:
    assert check(profile, "status", value) == []


def test_the_enum_is_case_sensitive(profile: Profile) -> None:
    assert found(check(profile, "layout", "Post.njk")) == [("layout", "enum", None)]


def test_an_empty_value_of_an_optional_enum_is_allowed(profile: Profile) -> None:
    assert check(profile, "status", "") == []


# -- patterns --------------------------------------------------------------------------------------


@pytest.mark.parametrize("tag", ["ai", "ai-ml", "web3", "gpt-4o-mini", "2024-election"])
def test_kebab_case_tags_match_the_pattern(profile: Profile, tag: str) -> None:
    assert check(profile, "tags", ["monolith-migration", "microservices", tag]) == []


@pytest.mark.parametrize(
    "tag", ["Release Engineering", "release engineering", "AI", "ai_ml", "ai--ml", "-ai", "ai-", "ai ml", "人工智能", "ai.ml"]
)
def test_a_tag_that_is_not_kebab_case_is_a_pattern_problem_at_its_index(profile: Profile, tag: str) -> None:
    problems = check(profile, "tags", ["monolith-migration", tag, "microservices"])
    assert found(problems) == [("tags", "pattern", 1)]
    assert problems[0].describe().startswith("tags[1]: ")


def test_a_tag_with_a_trailing_newline_is_not_kebab_case(profile: Profile) -> None:
    assert found(check(profile, "tags", ["monolith-migration", "microservices", "ai-ml\n"])) == [("tags", "pattern", 2)]


def test_a_source_with_a_trailing_newline_does_not_match(profile: Profile) -> None:
    assert found(check(profile, "source", "https://example.com/post\n")) == [("source", "pattern", None)]


@pytest.mark.parametrize("source", ["example.com/post", "ftp://example.com/x", "https://example.com/a b", "see https://x.y"])
def test_a_source_that_is_not_a_url_is_a_pattern_problem(profile: Profile, source: str) -> None:
    assert found(check(profile, "source", source)) == [("source", "pattern", None)]


@pytest.mark.parametrize(
    "date", ["2024/02/29", "2024-2-9", "20240229", "29-02-2024", " 2024-02-29", "2024-02-29T10:00", "2024-W09-4"]
)
def test_a_date_not_written_yyyy_mm_dd_is_a_pattern_problem(profile: Profile, date: str) -> None:
    problems = check(profile, "date", date)
    assert found(problems) == [("date", "pattern", None)]
    assert "YYYY-MM-DD" in problems[0].message


# -- real dates ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "real"),
    [
        ("2024-02-29", True),  # leap year
        ("2000-02-29", True),  # divisible by 400
        ("2021-02-28", True),
        ("2024-12-31", True),
        ("2021-02-30", False),
        ("2023-02-29", False),  # not a leap year
        ("1900-02-29", False),  # divisible by 100, not by 400
        ("2024-04-31", False),
        ("2024-13-01", False),
        ("2024-00-10", False),
        ("2024-01-00", False),
        ("", False),
        ("yesterday", False),
    ],
)
def test_is_real_date(text: str, real: bool) -> None:
    assert is_real_date(text) is real


@pytest.mark.parametrize("date", ["2021-02-30", "2023-02-29", "2024-13-01"])
def test_an_impossible_date_is_date_invalid_not_pattern(profile: Profile, date: str) -> None:
    problems = check(profile, "date", date)
    assert found(problems) == [("date", "date-invalid", None)]
    assert problems[0].message == f"{date!r} is not a real date"


def test_a_leap_day_is_a_valid_date(profile: Profile) -> None:
    assert check(profile, "date", "2024-02-29") == []


def test_an_unquoted_date_asks_to_be_quoted(profile: Profile) -> None:
    problems = check(profile, "date", dt.date(2025, 9, 11))  # what a YAML loader makes of `date: 2025-09-11`
    assert found(problems) == [("date", "date-unquoted", None)]
    assert "quote it as '2025-09-11'" in problems[0].message


# -- lengths ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("key", "length"), [("title", 4), ("title", 80), ("summary", 30), ("summary", 400)])
def test_lengths_at_the_limits_are_accepted(profile: Profile, key: str, length: int) -> None:
    assert check(profile, key, "字" * length) == []  # counted in characters, not UTF-8 bytes


@pytest.mark.parametrize(
    ("key", "length", "expected"),
    [
        ("title", 3, "3 characters; at least 4 expected"),
        ("title", 81, "81 characters; at most 80 expected"),
        ("summary", 29, "29 characters; at least 30 expected"),
        ("summary", 401, "401 characters; at most 400 expected"),
    ],
)
def test_lengths_beyond_the_limits_are_warnings(profile: Profile, key: str, length: int, expected: str) -> None:
    problems = check(profile, key, "x" * length)
    assert found(problems) == [(key, "length", None)]
    assert problems[0].message == expected
    assert problems[0].severity == "warning"


# -- item counts -----------------------------------------------------------------------------------


def tags(n: int) -> list[str]:
    return [f"tag-{i}" for i in range(n)]


@pytest.mark.parametrize("n", [3, 8])
def test_item_counts_at_the_limits_are_accepted(profile: Profile, n: int) -> None:
    assert check(profile, "tags", tags(n)) == []


@pytest.mark.parametrize(
    ("n", "expected"),
    [(0, "0 item(s); at least 3 expected"), (2, "2 item(s); at least 3 expected"), (9, "9 items; at most 8 expected")],
)
def test_item_counts_beyond_the_limits_are_warnings(profile: Profile, n: int, expected: str) -> None:
    problems = check(profile, "tags", tags(n))
    assert found(problems) == [("tags", "items", None)]
    assert problems[0].message == expected
    assert problems[0].severity == "warning"


def test_a_list_without_item_limits_takes_any_number(profile: Profile) -> None:
    assert check(profile, "people", []) == []
    assert check(profile, "people", [f"Person {i}" for i in range(50)]) == []


# -- duplicate items -------------------------------------------------------------------------------


def test_a_repeated_item_is_reported_at_the_repeat_naming_the_first(profile: Profile) -> None:
    people = ["Jodie Foster", "Ada Lovelace", "Alan Turing", "Jodie Foster"]
    problems = check(profile, "people", people)
    assert found(problems) == [("people", "duplicate-item", 3)]
    assert problems[0].describe() == "people[3]: 'Jodie Foster' repeats item 1 (duplicate-item)"
    assert problems[0].severity == "error"


def test_duplicates_are_found_regardless_of_case(profile: Profile) -> None:
    problems = check(profile, "companies_orgs", ["OpenAI", "Nvidia", "NVIDIA"])
    assert found(problems) == [("companies_orgs", "duplicate-item", 2)]
    assert "repeats item 2" in problems[0].message


def test_every_further_repeat_is_reported(profile: Profile) -> None:
    problems = check(profile, "tags", ["ai", "ml", "ai", "ai"])
    assert found(problems) == [("tags", "duplicate-item", 2), ("tags", "duplicate-item", 3)]


def test_distinct_items_are_not_duplicates(profile: Profile) -> None:
    assert check(profile, "people", ["Xi Jinping", "Xi Jinping Jr.", "Mark Carney"]) == []


# -- empty forms -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "value", "hint"),
    [
        ("guest", None, "write an empty value as ''"),  # `guest: null`, `guest: ~` or `guest:`
        ("guest", [], "write an empty value as ''"),  # `guest: []`
        ("date", None, "write an empty value as ''"),
        ("media_books", None, "write an empty value as []"),
        ("media_books", "[]", "write an empty list as []"),  # `media_books: '[]'`
        ("media_books", "", "write an empty list as []"),
        ("media_books", " [] ", "write an empty list as []"),
    ],
)
def test_the_wrong_empty_form_is_reported_with_the_right_one(profile: Profile, key: str, value: Any, hint: str) -> None:
    problems = check(profile, key, value)
    assert found(problems) == [(key, "empty-form", None)]
    assert hint in problems[0].message
    assert problems[0].severity == "error"


@pytest.mark.parametrize("item", ["", "   "])
def test_an_empty_list_item_is_reported_at_its_index(profile: Profile, item: str) -> None:
    problems = check(profile, "people", ["Ada Lovelace", item])
    assert found(problems) == [("people", "empty-form", 1)]


def test_a_string_that_is_not_empty_is_not_mistaken_for_an_empty_list(profile: Profile) -> None:
    assert found(check(profile, "media_books", "Dune")) == [("media_books", "type", None)]


# -- only= (a model's answer) ----------------------------------------------------------------------


def test_only_checks_the_keys_asked_for(profile: Profile) -> None:
    answer = {"title": "拆分单体应用的真实代价", "summary": SUMMARY}
    assert validate_front_matter(answer, profile, only={"title", "summary"}) == []
    # without `only`, the same mapping lacks every other required key
    missing = {p.key for p in validate_front_matter(answer, profile) if p.rule == "missing-key"}
    assert missing == {"tags", "area", "category", "date", "source", "speaker"}


def test_only_still_validates_the_values_it_checks(profile: Profile) -> None:
    answer = {"title": "短", "area": "Geopolitics"}
    problems = validate_front_matter(answer, profile, only={"title", "area", "tags"})
    assert sorted(found(problems)) == [("area", "enum", None), ("tags", "missing-key", None), ("title", "length", None)]


def test_a_key_that_was_not_asked_for_is_an_error(profile: Profile) -> None:
    answer = {"title": "拆分单体应用的真实代价", "tags": tags(3)}  # tags is a profile key, but was not asked
    problems = validate_front_matter(answer, profile, only={"title"})
    assert found(problems) == [("tags", "unknown-key", None)]
    assert problems[0].severity == "error"
    assert problems[0].message == "key was not asked for"


def test_a_key_outside_the_profile_is_an_unknown_key_warning(profile: Profile) -> None:
    values = valid_post()
    values["channel"] = "Some Channel"
    problems = validate_front_matter(values, profile)
    assert found(problems) == [("channel", "unknown-key", None)]
    assert problems[0].severity == "warning"
    assert problems[0].message == "key not in the site profile"


# -- severities from the profile -------------------------------------------------------------------


def test_a_site_turns_a_rule_off(isolated: Path) -> None:
    profile = write_site_profile(isolated, '[profile.severity]\nlength = "off"\nitems = "off"\n')
    assert check(profile, "title", "x" * 200) == []
    assert check(profile, "tags", tags(1)) == []
    assert found(check(profile, "area", "cooking")) == [("area", "enum", None)]  # other rules still apply


def test_a_site_turns_an_error_into_a_warning(isolated: Path) -> None:
    profile = write_site_profile(isolated, '[profile.severity]\ndate-unquoted = "warning"\nduplicate-item = "warning"\n')
    assert [p.severity for p in check(profile, "date", dt.date(2025, 9, 11))] == ["warning"]
    assert [p.severity for p in check(profile, "tags", ["ai", "ml", "ai"])] == ["warning"]


def test_a_site_turns_a_warning_into_an_error(isolated: Path) -> None:
    profile = write_site_profile(isolated, '[profile.severity]\nlength = "error"\n')
    assert [(p.rule, p.severity) for p in check(profile, "title", "x" * 81)] == [("length", "error")]


def test_a_site_turns_missing_key_off(isolated: Path) -> None:
    profile = write_site_profile(isolated, '[profile.severity]\nmissing-key = "off"\n')
    values = valid_post()
    del values["title"]
    values["speaker"] = ""
    assert validate_front_matter(values, profile) == []


@pytest.mark.parametrize(("setting", "severity"), [("error", "error"), ("off", None)])
def test_the_unknown_key_severity_decides_what_an_unknown_key_is(isolated: Path, setting: str, severity: str | None) -> None:
    profile = write_site_profile(isolated, f'[profile.severity]\nunknown-key = "{setting}"\n')
    values = valid_post()
    values["channel"] = "Some Channel"
    assert [p.severity for p in validate_front_matter(values, profile)] == ([severity] if severity else [])


@pytest.mark.parametrize(("setting", "severity"), [("error", "error"), ("off", None)])
def test_the_unknown_keys_setting_decides_what_an_unknown_key_is(isolated: Path, setting: str, severity: str | None) -> None:
    profile = write_site_profile(isolated, f'[profile]\nunknown_keys = "{setting}"\n')
    values = valid_post()
    values["channel"] = "Some Channel"
    assert [p.severity for p in validate_front_matter(values, profile)] == ([severity] if severity else [])


def test_a_key_not_asked_for_stays_an_error_when_unknown_keys_are_off(isolated: Path) -> None:
    profile = write_site_profile(isolated, '[profile.severity]\nunknown-key = "off"\n')
    values = valid_post()
    values["mood"] = "happy"
    assert validate_front_matter(values, profile) == []  # off for a post...
    problems = validate_front_matter({"title": "拆分单体应用的真实代价", "mood": "happy"}, profile, only={"title"})
    assert [(p.key, p.rule, p.severity) for p in problems] == [("mood", "unknown-key", "error")]  # ...not for an answer


def test_validate_value_applies_the_same_severities(isolated: Path) -> None:
    profile = write_site_profile(isolated, '[profile.severity]\npattern = "warning"\n')
    problems = validate_value(profile.fields["tags"], ["AI", "ml", "web"], profile)
    assert [(p.rule, p.severity, p.index) for p in problems] == [("pattern", "warning", 0)]


def test_a_site_field_gets_the_same_rules(isolated: Path) -> None:
    profile = write_site_profile(
        isolated,
        '[profile.fields.mood]\ntype = "string"\nrequired = true\nenum = ["calm", "angry"]\n'
        '[profile.fields.keywords]\ntype = "list"\nmax_items = 2\npattern = "^[a-z]+$"\n',
    )
    values = valid_post()
    values["keywords"] = ["alpha", "Beta", "alpha"]
    problems = validate_front_matter(values, profile)
    assert found(problems) == [
        ("mood", "missing-key", None),
        ("keywords", "items", None),
        ("keywords", "pattern", 1),
        ("keywords", "duplicate-item", 2),
    ]
