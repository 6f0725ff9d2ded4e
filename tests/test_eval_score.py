"""Scoring drafts against approved posts: perfect drafts score 1.0, known perturbations known amounts."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
import tomllib
from typing import Any

import pytest

from enrich.eval.aggregate import Run, RunInfo, metrics, summarize
from enrich.eval.score import (
    Cost,
    Counts,
    FieldPlan,
    Grounding,
    Matcher,
    PostScore,
    items,
    ngram_f1,
    score_post,
    twin_key,
)
from enrich.profile import Profile, build_profile
from enrich.script import detect_script, expected_script, language_ok
from tests.conftest import FIXTURES, REPO

TRADITIONAL_SUMMARY = (
    "在韓國APEC峯會上，加拿大總理馬克·卡尼與中國國家主席習近平舉行了八年來的首次會晤，雙方稱之爲轉折點。"
    "本文分析了會晤背後的地緣政治算計和經濟壓力，以及加拿大在兩大國之間尋求獨立外交路線的挑戰。"
)
NAME_FIELDS = ("people", "companies_orgs", "products_models", "media_books")


def default_profile() -> Profile:
    data = tomllib.loads((REPO / "enrich" / "profiles" / "default.toml").read_text(encoding="utf-8"))
    return build_profile(data, {})


def plan() -> FieldPlan:
    return FieldPlan.from_profile(default_profile())


def gold() -> dict[str, dict[str, Any]]:
    data: dict[str, dict[str, Any]] = json.loads((FIXTURES / "eval" / "gold.json").read_text(encoding="utf-8"))
    return data


def site_matcher() -> Matcher:
    """A vocabulary that knows one alias and every gold tag, as the caller would wire it."""
    tags = {t for post in gold().values() for t in post["tags"]}
    return Matcher.from_tables(names={"people": {"特朗普": "Donald Trump"}}, tags=tags)


def make_run(drafts: dict[str, dict[str, Any]] | None = None, matcher: Matcher | None = None, **info: Any) -> Run:
    """Every gold post scored against its draft (default: the gold post itself), valid and grounded."""
    p, posts = plan(), []
    for name, approved in gold().items():
        drafted = (drafts or {}).get(name, approved)
        entities = sum(len(items(drafted.get(f))) for f in NAME_FIELDS)
        posts.append(
            score_post(
                name,
                drafted,
                approved,
                p,
                matcher or site_matcher(),
                valid=True,
                grounding=Grounding(entities, entities),
                cost=Cost(tokens_in=1200, tokens_out=200, money=0.001, seconds=2.0, calls=1),
            )
        )
    defaults = {"model": "gpt-4.1-mini", "profile": "default", "prompt_version": "draft-2026.11.1", "date": "2026-02-14"}
    return Run(RunInfo(**{**defaults, "sample_size": len(posts), **info}), p, posts)


def perturbed(name: str, **changes: Any) -> dict[str, dict[str, Any]]:
    draft = copy.deepcopy(gold()[name])
    draft.update(changes)
    return {name: draft}


def post(run: Run, name: str) -> PostScore:
    return next(p for p in run.posts if p.post == name)


# -- perfect drafts ---------------------------------------------------------------------------------


def test_drafts_equal_to_the_approved_posts_score_one_everywhere() -> None:
    summary = summarize(make_run())
    quality = {k: v for k, v in metrics(summary).items() if not k.startswith("cost.")}
    assert quality and all(v == 1.0 for v in quality.values()), {k: v for k, v in quality.items() if v != 1.0}
    assert summary.overall == 1.0 and summary.failed == 0
    assert set(summary.components) == {*NAME_FIELDS, "tags", "area", "category", "title", "summary", "validity", "grounding"}
    assert all(not e.confusions for e in summary.enums.values())


def test_cost_is_the_mean_per_post_and_never_part_of_the_score() -> None:
    summary = summarize(make_run())
    assert (summary.cost.tokens_in, summary.cost.tokens_out, summary.cost.calls) == (1200, 200, 1)
    assert summary.cost.money == pytest.approx(0.001) and summary.cost.total_money == pytest.approx(0.003)
    assert summary.cost.seconds == 2.0 and summary.cost.total_seconds == 6.0
    assert not any(k.startswith("cost") for k in summary.components)


# -- known perturbations ------------------------------------------------------------------------------


def test_a_dropped_person_lowers_recall_by_exactly_one_approved_person() -> None:
    people = gold()["carney-xi"]["people"]
    run = make_run(perturbed("carney-xi", people=people[:-1]))
    one = post(run, "carney-xi").names["people"]
    assert one.exact == Counts(tp=3, fp=0, fn=1) and one.missing == ("Justin Trudeau",)
    totals = summarize(run).names["people"]
    approved = sum(len(p["people"]) for p in gold().values())  # 8
    assert totals.exact.recall == pytest.approx((approved - 1) / approved)
    assert totals.matched.recall == pytest.approx((approved - 1) / approved)
    assert totals.exact.precision == 1.0
    assert totals.exact.f1 == pytest.approx(2 * 7 / (2 * 7 + 1))
    assert summarize(run).overall is not None and summarize(run).overall < 1.0  # type: ignore[operator]


def test_a_twin_tag_misses_exactly_and_hits_through_twins() -> None:
    run = make_run(perturbed("agents-cloud", tags=["ai-agents", "cloud-computing", "software-architecture"]))
    tags = post(run, "agents-cloud").tags
    assert tags is not None
    assert tags.exact == Counts(tp=2, fp=1, fn=1)
    assert tags.matched == Counts(tp=3, fp=0, fn=0) and tags.pairs == (("ai-agents", "ai-agent"),)
    assert tags.known == 2  # "ai-agents" is not a site tag
    summary = summarize(run)
    assert summary.tags is not None and summary.tags.matched.f1 == 1.0 and summary.tags.exact.f1 < 1.0
    assert summary.tags.known_share == pytest.approx(9 / 10)


def test_the_twin_key_comes_from_the_caller() -> None:
    drafted, approved = {"tags": ["AI_Agent"]}, {"tags": ["ai-agent"]}
    assert score_post("x", drafted, approved, plan()).tags.matched.tp == 1  # type: ignore[union-attr]
    strict = Matcher(twin=lambda t: t)
    assert score_post("x", drafted, approved, plan(), strict).tags.matched.tp == 0  # type: ignore[union-attr]
    assert twin_key("Large-Language-Models") == twin_key("large_language_model") == "large-language-model"


def test_a_wrong_category_costs_accuracy_and_shows_the_confusion_pair() -> None:
    run = make_run(perturbed("agents-cloud", category="technology"))
    assert not post(run, "agents-cloud").enums["category"].correct
    category = summarize(run).enums["category"]
    assert category.accuracy == pytest.approx(2 / 3) and category.confusions == (("ai-ml", "technology", 1),)
    assert summarize(run).enums["area"].accuracy == 1.0


def test_a_traditional_script_summary_has_the_wrong_script() -> None:
    run = make_run(perturbed("carney-xi", summary=TRADITIONAL_SUMMARY))
    text = post(run, "carney-xi").texts["summary"]
    assert text.script == "zh-Hant" and text.language_ok is False and text.length_ok is True
    assert text.ngram_f1 is not None and 0.0 < text.ngram_f1 < 1.0
    summary = summarize(run).texts["summary"]
    assert summary.language_rate == pytest.approx(2 / 3) and summary.length_rate == 1.0
    assert summarize(run).texts["title"].language_rate == 1.0


def test_an_english_title_for_a_chinese_site_has_the_wrong_script() -> None:
    run = make_run(perturbed("buffett-letters", title="Buffett on long-term investing"))
    assert post(run, "buffett-letters").texts["title"].script == "latin"
    assert summarize(run).texts["title"].language_rate == pytest.approx(2 / 3)


def test_an_alias_misses_exactly_and_hits_after_canonical_matching() -> None:
    people = ["Mark Carney", "Xi Jinping", "特朗普", "Justin Trudeau"]
    run = make_run(perturbed("carney-xi", people=people))
    score = post(run, "carney-xi").names["people"]
    assert score.exact == Counts(tp=3, fp=1, fn=1)
    assert score.matched == Counts(tp=4, fp=0, fn=0) and score.pairs == (("特朗普", "Donald Trump"),)
    without_vocabulary = post(make_run(perturbed("carney-xi", people=people), Matcher()), "carney-xi")
    assert without_vocabulary.names["people"].matched == Counts(tp=3, fp=1, fn=1)


def test_canonical_matching_folds_case_width_and_spacing() -> None:
    score = score_post("x", {"people": ["xi  JINPING"]}, {"people": ["Xi Jinping"]}, plan()).names["people"]
    assert score.exact.tp == 0 and score.matched.tp == 1


def test_a_length_outside_the_profile_limits_is_reported() -> None:
    run = make_run(perturbed("buffett-letters", summary="巴菲特谈长期投资。"))
    text = post(run, "buffett-letters").texts["summary"]
    assert text.length_ok is False and text.language_ok is True
    assert summarize(run).texts["summary"].length_rate == pytest.approx(2 / 3)


def test_a_default_enumeration_is_scored_but_left_out_of_the_overall_score() -> None:
    run = make_run(perturbed("buffett-letters", status="seedling"))
    summary = summarize(run)
    assert summary.enums["status"].accuracy == pytest.approx(2 / 3)
    assert "status" not in summary.components and summary.overall == 1.0


def test_a_failed_draft_scores_as_an_empty_front_matter() -> None:
    approved = gold()["carney-xi"]
    score = score_post("carney-xi", {}, approved, plan(), valid=False, error="the answer never validated")
    assert score.names["people"].matched == Counts(tp=0, fp=0, fn=4)
    assert not score.enums["area"].correct and score.texts["title"].script == "empty"
    assert score.texts["title"].language_ok is False and score.texts["title"].ngram_f1 == 0.0
    run = Run(RunInfo(), plan(), [score])
    summary = summarize(run)
    assert summary.failed == 1 and summary.validity == 0.0 and summary.overall is not None and summary.overall < 0.2


def test_validity_and_grounding_are_the_callers_figures() -> None:
    run = make_run()
    run.posts[0] = score_post(
        "carney-xi", gold()["carney-xi"], gold()["carney-xi"], plan(), valid=False, grounding=Grounding(6, 8)
    )
    summary = summarize(run)
    assert summary.validity == pytest.approx(2 / 3)
    # the other two posts name 7 and 4 entities, all found
    assert summary.grounding == pytest.approx((6 + 7 + 4) / (8 + 7 + 4))


def test_an_empty_run_has_no_score() -> None:
    summary = summarize(Run(RunInfo(), plan(), []))
    assert summary.overall is None and summary.validity is None and summary.cost.posts == 0


# -- the pieces ---------------------------------------------------------------------------------------


def test_counts_conventions() -> None:
    assert Counts().f1 == 1.0 and Counts().precision == 1.0 and Counts().recall == 1.0
    assert Counts(fn=2).f1 == 0.0 and Counts(fn=2).precision == 1.0 and Counts(fn=2).recall == 0.0
    assert Counts(1, 1, 0) + Counts(1, 0, 2) == Counts(2, 1, 2)


def test_ngram_f1_folds_whitespace_and_punctuation() -> None:
    assert ngram_f1("拆分单体应用的真实代价", "拆分单体应用的真实代价") == 1.0
    assert ngram_f1("拆分 单体，应用！", "拆分单体应用") == 1.0
    assert ngram_f1("Hello, World", "hello world") == 1.0
    assert ngram_f1("拆分单体", "投资理财") == 0.0
    assert ngram_f1("", "") == 1.0 and ngram_f1("", "投资") == 0.0
    assert ngram_f1("巴菲特谈长期投资", "巴菲特谈价值投资") == pytest.approx(2 * 4 / (7 + 7))


def test_items_are_distinct_stripped_strings() -> None:
    assert items(None) == [] and items("") == [] and items("Huawei") == ["Huawei"]
    assert items([" Huawei ", "Huawei", "", None, 7]) == ["Huawei", "7"]


def test_the_field_plan_comes_from_the_profile() -> None:
    p = plan()
    assert p.language == "zh-Hans" and p.name_fields == ("companies_orgs", "media_books", "people", "products_models")
    assert p.tag_field == "tags"
    assert p.enum_fields == ("area", "category", "layout", "status")
    assert {t.name: (t.min_length, t.max_length) for t in p.texts} == {"summary": (30, 400), "title": (4, 80)}
    assert p.counts_in_overall("category") and not p.counts_in_overall("status")


@pytest.mark.parametrize(
    ("text", "script"),
    [
        ("拆分单体应用的真实代价", "zh-Hans"),
        ("拆分單體應用的真實代價", "zh-Hant"),
        (TRADITIONAL_SUMMARY, "zh-Hant"),
        ("OpenAI发布GPT-5", "zh-Hans"),
        ("人工智能大模型", "zh"),
        ("Xi Jinping (习近平) met Mark Carney at the APEC summit", "latin"),
        ("日本の首相が来た", "ja"),
        ("한국어 문장입니다", "ko"),
        ("  ", "empty"),
        ("2025 — 42", "other"),
    ],
)
def test_script_detection(text: str, script: str) -> None:
    assert detect_script(text) == script


def test_the_language_tag_says_which_script() -> None:
    assert expected_script("zh-Hans") == expected_script("zh-CN") == "zh-Hans"
    assert expected_script("zh-Hant") == expected_script("zh_TW") == expected_script("zh-HK") == "zh-Hant"
    assert expected_script("zh") == "zh" and expected_script("en-US") == "latin" and expected_script("ru") is None
    assert language_ok("zh-Hans", "人工智能大模型") is True  # no script-specific character: right for both
    assert language_ok("zh-Hant", "拆分单体应用的真实代价") is False
    assert language_ok("en", "A title") is True and language_ok("en", "一个标题") is False
    assert language_ok("ru", "Заголовок") is None


def test_eval_imports_none_of_the_modules_being_rewritten() -> None:
    code = (
        "import sys, enrich.eval.report, enrich.eval.review_log, enrich.eval.compare, enrich.eval.page;"
        "print(' '.join(sorted(m for m in sys.modules if m.startswith('enrich'))))"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    forbidden = ("enrich.vocab", "enrich.batch", "enrich.draft", "enrich.llm", "enrich.review", "enrich.config")
    assert not [m for m in loaded if m.startswith(forbidden)], loaded


def test_front_matter_is_kept_as_plain_json_values() -> None:
    import datetime as dt

    score = score_post("x", {"date": dt.date(2025, 11, 1), "tags": ("a-b",)}, {"date": "2025-11-01"}, plan())
    assert score.drafted == {"date": "2025-11-01", "tags": ["a-b"]}


def test_each_item_goes_through_the_vocabulary_once() -> None:
    calls: list[str] = []

    def canonical(kind: str, name: str) -> str:
        calls.append(name)
        return {"特朗普": "Donald Trump"}.get(name, name)

    score = score_post(
        "x", {"people": ["特朗普", "Xi Jinping"]}, {"people": ["Donald Trump", "Xi Jinping"]}, plan(), Matcher(canonical)
    )
    assert sorted(calls) == sorted(["特朗普", "Xi Jinping", "Donald Trump", "Xi Jinping"])
    assert score.names["people"].pairs == (("特朗普", "Donald Trump"),)
