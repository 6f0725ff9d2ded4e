"""Reports of a run: the terminal table, versioned JSON and its round trip, the HTML page, comparisons."""

from __future__ import annotations

import dataclasses
import json
from html.parser import HTMLParser

import pytest

from enrich.errors import InputError
from enrich.eval.aggregate import Run, RunInfo, metrics, summarize
from enrich.eval.report import FORMAT, VERSION, compare, from_json, to_dict, to_html, to_json, to_text
from enrich.eval.score import Cost, Grounding, score_post
from enrich.eval.table import render, width
from tests.test_eval_score import TRADITIONAL_SUMMARY, gold, make_run, perturbed, plan

HOSTILE = '<script>alert("x")</script> & <img src=x onerror=alert(1)>'


def flawed_run() -> Run:
    """A run with one of each kind of mistake, and a hostile value a page must not run."""
    drafts = perturbed("carney-xi", people=["Mark Carney", "Xi Jinping", "特朗普"], summary=TRADITIONAL_SUMMARY)
    drafts |= perturbed("agents-cloud", category="technology", tags=["ai-agents", "cloud-computing", "llm"])
    drafts |= perturbed("buffett-letters", title="巴菲特谈长期投资 " + HOSTILE, speaker=HOSTILE)
    return make_run(drafts, model="qwen2.5:1.5b", source="pairs", extra={"endpoint": "127.0.0.1"})


# -- terminal -----------------------------------------------------------------------------------------


def test_the_terminal_table_has_a_line_per_figure_with_aligned_columns() -> None:
    text = to_text(flawed_run())
    lines = text.splitlines()
    assert lines[0] == "enrich eval: 3 posts"
    assert "model qwen2.5:1.5b" in lines[1] and "source pairs" in lines[1]
    header = next(i for i, line in enumerate(lines) if line.startswith("field"))
    table = lines[header:]
    assert set(table[1]) <= {"-", " "}
    value_end = table[1].split("  ")  # the dashes give the column widths
    right_edge = sum(len(c) + 2 for c in value_end[:3]) - 2
    for line in table[2:]:
        assert line[right_edge - 1] != " ", line  # values are right-aligned on one edge
    assert any(line.startswith("category") and "ai-ml -> technology x1" in line for line in table)
    assert any(line.startswith("people") and "canonical F1" in line for line in table)
    assert any(line.startswith("cost") and "$0.0010" in line for line in table)
    assert "\x1b[" not in text  # no colour codes


def test_columns_align_by_display_width() -> None:
    assert width("特朗普") == 6 and width("abc") == 3
    out = render(("a", "b"), [("特朗普", "x"), ("abc", "y")]).splitlines()
    assert width(out[2].split("x")[0]) == width(out[3].split("y")[0])


# -- JSON -----------------------------------------------------------------------------------------------


def test_json_is_versioned_and_holds_the_figures_for_tools() -> None:
    run = flawed_run()
    data = json.loads(to_json(run))
    assert (data["format"], data["version"]) == (FORMAT, VERSION) == ("enrich-eval", 1)
    assert data["run"]["model"] == "qwen2.5:1.5b" and data["run"]["extra"] == {"endpoint": "127.0.0.1"}
    assert data["summary"]["metrics"]["category.accuracy"] == pytest.approx(2 / 3)
    assert data["summary"]["confusions"]["category"] == [["ai-ml", "technology", 1]]
    assert [p["post"] for p in data["posts"]] == list(gold())
    assert data["posts"][0]["names"]["people"]["pairs"] == [["特朗普", "Donald Trump"]]
    assert "特朗普" in to_json(run)  # Chinese written as-is
    assert to_json(run) == to_json(run)


def test_json_round_trips() -> None:
    run = flawed_run()
    back = from_json(to_json(run))
    assert back == run
    assert to_json(back) == to_json(run)
    assert metrics(summarize(back)) == metrics(summarize(run))


def test_from_json_refuses_what_it_cannot_read() -> None:
    with pytest.raises(InputError, match="not JSON"):
        from_json("{", where="a.json")
    with pytest.raises(InputError, match="not an enrich eval run"):
        from_json('{"format": "something-else"}')
    with pytest.raises(InputError, match="version 2"):
        from_json(json.dumps({**to_dict(make_run()), "version": 2}))
    with pytest.raises(InputError, match="malformed"):
        from_json(json.dumps({"format": "enrich-eval", "version": 1, "posts": [{"no": "post"}]}))
    with pytest.raises(InputError) as err:
        from_json("[]", where="runs/a.json")
    assert str(err.value).startswith("runs/a.json: ")


# -- comparison -------------------------------------------------------------------------------------------


def test_compare_picks_the_better_run_per_field() -> None:
    good = make_run()
    bad = flawed_run()
    cmp = compare(bad, good)
    assert cmp.better_of("overall") == "b"
    assert cmp.better_of("category.accuracy") == "b" and cmp.better_of("area.accuracy") == "same"
    assert cmp.better_of("people.canonical.f1") == "b" and cmp.better_of("summary.language") == "b"
    row = next(r for r in cmp.rows if r.metric == "category.accuracy")
    assert row.a == pytest.approx(2 / 3) and row.b == 1.0 and row.diff == pytest.approx(1 / 3)
    assert compare(good, bad).better_of("category.accuracy") == "a"
    assert cmp.common_posts == 3 and cmp.only_a == cmp.only_b == 0


def test_compare_prefers_the_cheaper_run_on_cost() -> None:
    cheap = make_run()
    dear = make_run()
    dear.posts = [
        score_post(p.post, p.drafted, p.approved, plan(), valid=True, grounding=p.grounding, cost=Cost(5000, 900, 0.01, 9.0, 3))
        for p in dear.posts
    ]
    cmp = compare(cheap, dear)
    for metric in ("cost.tokens_in", "cost.tokens_out", "cost.money", "cost.seconds", "cost.calls"):
        assert cmp.better_of(metric) == "a", metric
        row = next(r for r in cmp.rows if r.metric == metric)
        assert row.sure and row.interval is not None and row.interval[0] > 0, metric  # b costs more on every post
    assert cmp.better_of("overall") == "same"


def test_compare_as_text_and_json() -> None:
    a, b = make_run(model="gpt-4.1-mini"), flawed_run()
    b.posts = b.posts[:2]
    cmp = compare(a, b)
    text = cmp.to_text()
    assert text.startswith("a: gpt-4.1-mini") and "b: qwen2.5:1.5b" in text
    assert "posts in both: 2 (only in a: 1, only in b: 0)" in text
    line = next(x for x in text.splitlines() if x.startswith("category") and "accuracy" in x)
    assert line.split()[-1] == "a?" and "-50.0 pt" in line  # two posts cannot tell
    assert "95% interval" in text.splitlines()[4]
    assert "exact precision" not in text and "exact precision" in cmp.to_text(full=True)
    assert "better: a on" in text and "?: the 2 posts in both cannot tell" in text
    data = json.loads(cmp.to_json())
    assert (data["format"], data["version"]) == ("enrich-eval-compare", 1)
    row = next(r for r in data["metrics"] if r["metric"] == "category.accuracy")
    wanted = {"a": 1.0, "b": 0.5, "diff": -0.5, "better": "a", "sure": False}
    assert {k: row[k] for k in wanted} == wanted
    assert row["interval"][0] <= -0.5 <= row["interval"][1] and row["interval"][1] >= 0
    assert data["posts"] == {"common": 2, "only_a": 1, "only_b": 0}
    assert data["interval"] == {"confidence": 0.95, "draws": 1000, "over": "posts in both runs"}


def many(run: Run, copies: int) -> Run:
    """The run's posts `copies` times over, under new names: a run of more posts with the same mix."""
    posts = [dataclasses.replace(p, post=f"{p.post}-{i}") for i in range(copies) for p in run.posts]
    return Run(run.info, run.plan, posts)


def test_a_difference_on_many_posts_is_sure_one_post_among_many_is_not() -> None:
    good, bad = many(make_run(), 10), many(flawed_run(), 10)  # 30 posts; a wrong category on 10 of them
    cmp = compare(bad, good)
    row = next(r for r in cmp.rows if r.metric == "category.accuracy")
    assert row.better == "b" and row.sure and row.interval is not None and row.interval[0] > 0
    one_off = many(make_run(), 10)
    at = next(i for i, p in enumerate(one_off.posts) if p.post == "agents-cloud-0")
    one_off.posts[at] = next(p for p in bad.posts if p.post == "agents-cloud-0")  # its category wrong, on this post only
    cmp = compare(one_off, good)
    row = next(r for r in cmp.rows if r.metric == "category.accuracy")
    assert row.better == "b" and not row.sure  # one post in thirty: could be chance
    assert row.interval is not None and row.interval[0] <= 0 <= row.interval[1]
    assert compare(one_off, good).rows == cmp.rows  # seeded: the same runs, the same intervals
    line = next(x for x in cmp.to_text().splitlines() if x.startswith("category") and "accuracy" in x)
    assert line.split()[-1] == "b?"


def test_compare_reads_runs_saved_as_json() -> None:
    cmp = compare(from_json(to_json(flawed_run())), from_json(to_json(make_run())))
    assert cmp.better_of("tags.twin.f1") == "b"


# -- HTML -------------------------------------------------------------------------------------------------


class Page(HTMLParser):
    """Everything the page would make a browser do or show."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def classes(self) -> list[str]:
        return [c for _, a in self.tags for c in (a.get("class") or "").split()]


def parse(html: str) -> Page:
    page = Page()
    page.feed(html)
    page.close()
    return page


def test_the_page_parses_and_holds_every_post() -> None:
    run = flawed_run()
    page = parse(to_html(run))
    text = "".join(page.text)
    for p in run.posts:
        assert p.post in text
    ids = {a.get("id") for t, a in page.tags if t == "details"}
    assert ids == {f"post-{i}" for i in range(len(run.posts))}
    assert "Donald Trump" in text and "特朗普" in text and TRADITIONAL_SUMMARY in text


def test_the_page_is_self_contained() -> None:
    page = parse(to_html(flawed_run()))
    names = {t for t, _ in page.tags}
    assert not names & {"script", "link", "img", "iframe", "object", "embed", "base", "form", "svg"}
    for tag, attrs in page.tags:
        assert "src" not in attrs, tag
        href = attrs.get("href")
        assert href is None or href.startswith("#"), href
        assert not any(k.startswith("on") for k in attrs), (tag, attrs)
        assert "url(" not in (attrs.get("style") or "")
    csp = [a for t, a in page.tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy"]
    assert csp and csp[0]["content"] == "default-src 'none'; style-src 'unsafe-inline'"
    html = to_html(flawed_run())
    assert "@import" not in html and "http://" not in html.split("<body>")[0] and "url(" not in html


def test_post_values_are_escaped() -> None:
    html = to_html(flawed_run())
    assert HOSTILE not in html and "&lt;script&gt;" in html
    page = parse(html)
    assert HOSTILE in "".join(page.text)  # shown as text, never run
    hostile_name = make_run()
    hostile_name.posts[0] = score_post('<marquee>"x"</marquee>', gold()["carney-xi"], gold()["carney-xi"], plan())
    page = parse(to_html(hostile_name))
    assert "marquee" not in {t for t, _ in page.tags} and '<marquee>"x"</marquee>' in "".join(page.text)


def test_the_differences_are_marked() -> None:
    page = parse(to_html(flawed_run()))
    classes = page.classes()
    assert classes.count("missing") >= 2  # Justin Trudeau; software-architecture (the draft wrote llm)
    assert "extra" in classes and "alias" in classes and "changed" in classes
    marked = {(a.get("class"), a.get("title")) for t, a in page.tags if t == "li"}
    assert ("alias", "matches 'Donald Trump' in the approved post") in marked
    assert ("missing", "the draft missed it") in marked
    bars = [a["style"] for t, a in page.tags if t == "span" and (a.get("style") or "").startswith("width:")]
    assert "width:100.0%" in bars and any(b != "width:100.0%" for b in bars)


def test_a_perfect_run_marks_nothing_and_an_empty_run_still_renders() -> None:
    classes = parse(to_html(make_run())).classes()
    assert not {"missing", "extra", "alias", "changed"} & set(classes)
    page = parse(to_html(Run(RunInfo(), plan(), [])))
    assert "Posts" in "".join(page.text)


def test_a_failed_draft_shows_why() -> None:
    run = make_run()
    run.posts[1] = score_post(
        "agents-cloud", {}, gold()["agents-cloud"], plan(), valid=False, grounding=Grounding(), error="timed out"
    )
    text = "".join(parse(to_html(run)).text)
    assert "failed: timed out" in text and "fails check" in text
