"""What people did to drafts, read from a scripted review log in the format `enrich review` writes.

The log (fixtures/eval/review-log.jsonl), in order:
  post-a: an edit in review (title; tag ai-agents -> ai-agent), then approval whose diff since drafted
          also holds people 特朗普 -> Donald Trump and category technology -> ai-ml;
  post-b: approved after edits outside review: tag `economic` removed, Justin Trudeau added,
          category technology -> ai-ml, companies_orgs cleared;
  post-d: rejected, "off topic";
  post-c: not written by batch (approval's changes are null): two logged edits (tag `economic`
          removed, media_books filled; then the title), then approval;
  post-e: accepted, not approved yet;
  post-f: approved as drafted.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from enrich.eval.report import review_to_dict, review_to_text, to_html
from enrich.eval.review_log import analyse, compose, read_review_log, review_pairs, sessions
from enrich.eval.score import Matcher, score_post
from tests.conftest import FIXTURES
from tests.test_eval_report import parse
from tests.test_eval_score import make_run, plan

LOG = FIXTURES / "eval" / "review-log.jsonl"


def records() -> list[dict[str, Any]]:
    return read_review_log(LOG)


def test_reading_skips_a_torn_last_line_and_foreign_lines(tmp_path: Path) -> None:
    log = tmp_path / "review-log.jsonl"
    shutil.copy(LOG, log)
    with log.open("a", encoding="utf-8") as handle:
        handle.write('["not a record"]\n{"action": "approve", "draft": "drafts/torn.md", "val')
    assert read_review_log(log) == records() and len(records()) == 9
    assert read_review_log(tmp_path / "missing.jsonl") == []


def test_records_are_grouped_by_draft_until_approval_or_rejection() -> None:
    found = {s.post: s for s in sessions(records())}
    assert {k: s.outcome for k, s in found.items()} == {
        "post-a": "approved",
        "post-b": "approved",
        "post-c": "approved",
        "post-d": "rejected",
        "post-e": "open",
        "post-f": "approved",
    }
    assert found["post-a"].complete and not found["post-c"].complete
    assert [c["key"] for c in found["post-c"].changes()] == ["tags", "media_books", "title"]


def test_a_draft_drafted_again_after_its_approval_starts_a_new_session() -> None:
    again = [*records(), {"action": "edit", "draft": "drafts/post-a.md", "changes": []}]
    assert [s.outcome for s in sessions(again) if s.post == "post-a"] == ["approved", "open"]


def test_successive_edits_compose_into_one_diff() -> None:
    first = [
        {"key": "title", "change": "changed", "before": "a", "after": "b"},
        {"key": "guest", "change": "added", "after": "x"},
    ]
    second = [
        {"key": "title", "change": "changed", "before": "b", "after": "c"},
        {"key": "guest", "change": "removed", "before": "x"},
    ]
    assert compose([first, second]) == [{"key": "title", "change": "changed", "before": "a", "after": "c"}]
    back = [{"key": "title", "change": "changed", "before": "c", "after": "a"}]
    assert compose([first[:1], second[:1], back]) == []


def test_per_field_kept_edited_cleared_filled() -> None:
    result = analyse(records(), plan())
    assert (result.sessions, result.approved, result.rejected, result.open) == (6, 4, 1, 1)
    got = {k: (f.kept, f.edited, f.cleared, f.filled) for k, f in result.fields.items()}
    assert got["title"] == (2, 2, 0, 0)
    assert got["tags"] == (1, 3, 0, 0)
    assert got["people"] == (2, 2, 0, 0)
    assert got["category"] == (2, 2, 0, 0)
    assert got["companies_orgs"] == (3, 0, 1, 0)
    assert got["media_books"] == (3, 0, 0, 1)
    assert got["summary"] == got["area"] == got["speaker"] == (4, 0, 0, 0)
    assert "date" not in got and "draft" not in got  # not fields the draft fills
    assert result.fields["tags"].rate("edited") == 0.75
    assert result.rejections == (("off topic", 1),)


def test_the_most_common_edits_come_first_with_what_to_do() -> None:
    patterns = analyse(records(), plan()).patterns
    shown = [(p.field, p.kind, p.before, p.after, p.count) for p in patterns]
    assert shown == [
        ("category", "changed", "technology", "ai-ml", 2),
        ("tags", "removed", "economic", None, 2),
        ("people", "respelt", "特朗普", "Donald Trump", 1),
        ("tags", "respelt", "ai-agents", "ai-agent", 1),
        ("companies_orgs", "removed", "Huawei", None, 1),
        ("media_books", "added", None, "The Innovator's Dilemma", 1),
        ("people", "added", None, "Justin Trudeau", 1),
    ]
    by = {(p.field, p.before, p.after): p for p in patterns}
    assert by[("people", "特朗普", "Donald Trump")].suggestion == "add alias 特朗普 -> Donald Trump (people)"
    assert by[("tags", "ai-agents", "ai-agent")].suggestion == "accept merge ai-agents -> ai-agent"
    assert by[("tags", "economic", None)].suggestion.startswith("tag economic is often removed (in 2 drafts)")
    assert by[("tags", "economic", None)].posts == ("post-b", "post-c")
    assert "describe the difference in the profile" in by[("category", "technology", "ai-ml")].suggestion
    assert "drafts miss it" in by[("people", None, "Justin Trudeau")].suggestion
    # the edit in review and the approval's diff describe one change: it counts once
    assert by[("tags", "ai-agents", "ai-agent")].count == 1


def test_min_count_and_the_field_selection() -> None:
    patterns = analyse(records(), plan(), min_count=2).patterns
    assert [(p.field, p.count) for p in patterns] == [("category", 2), ("tags", 2)]
    only_tags = analyse(records(), plan(), fields=["tags"])
    assert list(only_tags.fields) == ["tags"] and {p.field for p in only_tags.patterns} == {"tags"}


def test_a_dissimilar_one_for_one_name_change_is_a_replacement() -> None:
    log = [
        {
            "action": "approve",
            "draft": "drafts/x.md",
            "fields": {"people": "model"},
            "changes": [{"key": "people", "change": "changed", "before": ["Elon Musk"], "after": ["Jensen Huang"]}],
            "values": {"people": ["Jensen Huang"]},
        }
    ]
    (pattern,) = analyse(log, plan()).patterns
    assert (pattern.kind, pattern.before, pattern.after) == ("replaced", "Elon Musk", "Jensen Huang")
    assert "if they are one name, add alias Elon Musk -> Jensen Huang" in pattern.suggestion


def test_approved_drafts_pair_the_draft_with_the_published_post() -> None:
    pairs = {p.post: p for p in review_pairs(records())}
    assert set(pairs) == {"post-a", "post-b", "post-c", "post-f"}
    a = pairs["post-a"]
    assert a.drafted["people"] == ["特朗普", "Xi Jinping"] and a.approved["people"] == ["Donald Trump", "Xi Jinping"]
    assert a.drafted["tags"][0] == "ai-agents" and a.drafted["category"] == "technology"
    assert a.drafted["draft"] is False  # approval's own change is not the draft's doing
    assert a.ungrounded == 1 and a.grounding(plan()).found == 1 and a.grounding(plan()).total == 2
    assert a.complete and not pairs["post-c"].complete
    assert pairs["post-c"].drafted["media_books"] == [] and pairs["post-c"].drafted["title"] == "云计算的三个误区"
    assert pairs["post-f"].drafted == pairs["post-f"].approved
    json.dumps([p.drafted for p in pairs.values()], ensure_ascii=False)


def test_review_pairs_score_like_any_other_draft() -> None:
    a = next(p for p in review_pairs(records()) if p.post == "post-a")
    matcher = Matcher.from_tables(names={"people": {"特朗普": "Donald Trump"}})
    score = score_post(a.post, a.drafted, a.approved, plan(), matcher, grounding=a.grounding(plan()))
    assert score.names["people"].exact.tp == 1 and score.names["people"].matched.tp == 2
    assert score.tags is not None and score.tags.matched.f1 == 1.0 and score.tags.exact.f1 < 1.0
    assert not score.enums["category"].correct


def test_one_draft_named_by_two_paths_is_one_session() -> None:
    edit = {"action": "edit", "draft": "drafts/x.md", "input_sha256": "ab", "changes": []}
    approve = {"action": "approve", "draft": "/site/drafts/x.md", "input_sha256": "ab", "changes": [], "values": {}}
    (only,) = sessions([edit, approve])
    assert only.outcome == "approved" and len(only.records) == 2


def test_the_analysis_as_text_json_and_on_the_page() -> None:
    result = analyse(records(), plan())
    text = review_to_text(result)
    assert text.startswith("review log: 6 drafts: 4 approved, 1 rejected, 1 under review")
    tags = next(line for line in text.splitlines() if line.startswith("tags "))
    assert tags.split() == ["tags", "4", "25.0%", "75.0%", "0.0%", "0.0%"]
    assert "add alias 特朗普 -> Donald Trump (people)" in text and "rejected: off topic x1" in text
    data = json.loads(json.dumps(review_to_dict(result), ensure_ascii=False))
    assert (data["format"], data["version"]) == ("enrich-eval-review", 1)
    assert data["fields"]["companies_orgs"] == {"kept": 3, "edited": 0, "cleared": 1, "filled": 0}
    assert data["edits"][0]["suggestion"].startswith("category: technology was corrected to ai-ml")
    hostile = [
        {
            "action": "approve",
            "draft": "d/x.md",
            "changes": [{"key": "tags", "change": "changed", "before": [], "after": ["<script>"]}],
        }
    ]
    page = parse(to_html(make_run(), review=analyse(hostile, plan())))
    text = "".join(page.text)
    assert "What people changed" in text and "tag <script> was added by hand once" in text
    assert "script" not in {t for t, _ in page.tags}
