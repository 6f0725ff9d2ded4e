"""`enrich eval` end to end through the CLI against the fake server: pairs, sample, cache, run folder, outputs."""

from __future__ import annotations

import copy
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from enrich.errors import ExitStatus
from enrich.testing.fakeserver import FakeLLM, Reply, answer, value_for
from tests.conftest import FIXTURES, run_cli

# Two transcripts and the front matter a person approved for each; every name is said in its transcript.
GOLD: dict[str, dict[str, Any]] = {
    "alpha": {
        "title": "智能体如何改变云计算：OpenAI与微软的新竞争",
        "summary": "这期节目讨论了Sam Altman领导的OpenAI推出GPT-5之后，"
        "AI智能体如何改变云计算的格局，以及Microsoft的Satya Nadella如何应对。",
        "tags": ["ai-agent", "cloud-computing", "large-language-model"],
        "people": ["Sam Altman", "Satya Nadella"],
        "companies_orgs": ["OpenAI", "Microsoft"],
        "products_models": ["GPT-5"],
        "media_books": [],
        "area": "tech-engineering",
        "category": "ai-ml",
        "speaker": "Tech Talk",
    },
    "beta": {
        "title": "卡尼与习近平会晤：加中关系八年破冰",
        "summary": "在APEC峰会上，加拿大总理Mark Carney与Xi Jinping举行了八年来的首次会晤，"
        "本文分析会晤背后的地缘政治算计和经济压力，以及Huawei问题。",
        "tags": ["canada-china-relations", "foreign-policy", "trade-war"],
        "people": ["Mark Carney", "Xi Jinping"],
        "companies_orgs": ["Huawei", "APEC"],
        "products_models": [],
        "media_books": [],
        "area": "geopolitics",
        "category": "geopolitics",
        "speaker": "大伟探秘加拿大",
    },
}
TRANSCRIPTS = {
    "alpha": "今天我们聊一聊 Sam Altman 和 OpenAI 刚刚发布的 GPT-5。\nMicrosoft 的 Satya Nadella 也谈到了智能体和云计算。\n",
    "beta": "这次 APEC 峰会上，Mark Carney 和 Xi Jinping 见面了。\n大家也在讨论 Huawei 的问题，还有贸易战。\n",
}
FIXED = {"draft": False, "layout": "post.njk", "status": "evergreen", "date": "2025-11-01"}


def sidecar(name: str) -> dict[str, str]:
    """yt-dlp metadata beside the transcript: the source, date and speaker come from it, not the model."""
    url = f"https://www.youtube.com/watch?v={name}"
    return {"id": name, "webpage_url": url, "channel": GOLD[name]["speaker"], "upload_date": "20251101"}


def make_site(site: Path, gold: dict[str, dict[str, Any]] = GOLD) -> None:
    (site / "raw").mkdir()
    (site / "posts").mkdir()
    for name, text in TRANSCRIPTS.items():
        (site / "raw" / f"{name}.txt").write_text(text, encoding="utf-8")
        (site / "raw" / f"{name}.info.json").write_text(json.dumps(sidecar(name)), encoding="utf-8")
    (site / "raw" / "unpaired.txt").write_text("没有对应文章的转录稿。\n", encoding="utf-8")
    for name, values in gold.items():
        post = {**FIXED, "source": sidecar(name)["webpage_url"], **values}
        (site / "posts" / f"{name}.md").write_text("---\n" + json.dumps(post, ensure_ascii=False, indent=1) + "\n---\n正文\n")


def which(request: dict[str, Any]) -> str:
    transcript = request["messages"][-1]["content"]
    return "alpha" if "GPT-5" in transcript else "beta"


def answering(gold: dict[str, dict[str, Any]]) -> Any:
    """A responder answering each transcript with its approved front matter (names quoted as said)."""

    def respond(request: dict[str, Any]) -> Reply:
        values = gold[which(request)]
        schema = request["response_format"]["json_schema"]["schema"]
        out: dict[str, Any] = {}
        for name, sub in schema["properties"].items():
            if name not in values:
                out[name] = value_for(name, sub, "")
            elif sub.get("type") == "array" and sub.get("items", {}).get("type") == "object":
                out[name] = [{"name": n, "mention": n} for n in values[name]]
            else:
                out[name] = values[name]
        return answer(out)

    return respond


def load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def eval_cli(*extra: str) -> Any:
    return run_cli("eval", "raw", "--gold", "posts", "--no-progress", *extra)


def test_answers_equal_to_the_approved_front_matter_score_one_everywhere(fake_llm: FakeLLM, isolated: Path) -> None:
    make_site(isolated)
    fake_llm.responder = answering(GOLD)
    result = eval_cli("--json", "run.json")
    assert result.exit_code == 0, result.output
    data = load(isolated / "run.json")
    metrics = data["summary"]["metrics"]
    assert data["summary"]["posts"] == 2 and data["summary"]["failed"] == 0
    scored = {k: v for k, v in metrics.items() if v is not None and not k.startswith("cost.") and "known" not in k}
    assert scored and all(v == 1.0 for v in scored.values()), {k: v for k, v in scored.items() if v != 1.0}
    assert metrics["overall"] == 1.0 and metrics["validity"] == 1.0 and metrics["grounding"] == 1.0
    assert metrics["cost.tokens_in"] == 100 and metrics["cost.calls"] == 1
    assert "overall" in result.output and "100.0%" in result.output
    assert "unpaired.txt" in result.output  # named as not scored (stderr is mixed into output here)
    assert len(fake_llm.requests) == 2


def perturbed() -> dict[str, dict[str, Any]]:
    gold = copy.deepcopy(GOLD)
    gold["alpha"]["people"] = ["Sam Altman"]  # a dropped person
    gold["alpha"]["tags"] = ["ai-agents", "cloud-computing", "large-language-model"]  # a twin tag
    gold["beta"]["category"] = "politics-society"  # a wrong category
    gold["alpha"]["title"] = "Sam Altman on agents and the cloud"  # English for a Simplified-Chinese site
    gold["beta"]["summary"] = (  # Traditional script: drafting converts it, no judgement needed
        "在APEC峰會上，加拿大總理Mark Carney與Xi Jinping舉行了八年來的首次會晤，"
        "本文分析會晤背後的地緣政治算計和經濟壓力，以及Huawei問題。"
    )
    return gold


def test_known_perturbations_give_the_expected_scores(fake_llm: FakeLLM, isolated: Path) -> None:
    make_site(isolated)
    fake_llm.responder = answering(perturbed())
    result = eval_cli("--json", "-")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    m = data["summary"]["metrics"]
    # people: 3 of 4 approved found, nothing wrong said
    assert (m["people.canonical.precision"], m["people.canonical.recall"]) == (1.0, 0.75)
    assert m["people.canonical.f1"] == pytest.approx(6 / 7)
    # tags: the twin counts only through twins
    assert m["tags.exact.f1"] == pytest.approx(5 / 6) and m["tags.twin.f1"] == 1.0
    assert m["category.accuracy"] == 0.5 and m["area.accuracy"] == 1.0
    assert m["summary.language"] == 1.0 and m["title.language"] == 0.5  # English is re-asked once, then kept
    assert data["summary"]["confusions"]["category"] == [["geopolitics", "politics-society", 1]]
    beta = next(p for p in data["posts"] if p["post"] == "beta")
    assert beta["texts"]["summary"]["script"] == "zh-Hans" and beta["texts"]["summary"]["language_ok"] is True
    alpha = next(p for p in data["posts"] if p["post"] == "alpha")
    assert alpha["texts"]["title"]["script"] == "latin" and alpha["cost"]["calls"] == 2
    assert "enrich eval" in result.stderr  # the table went to stderr: stdout is the JSON alone


def test_a_name_the_transcript_never_says_is_dropped_and_counts_against_grounding(fake_llm: FakeLLM, isolated: Path) -> None:
    make_site(isolated)
    gold = copy.deepcopy(GOLD)
    gold["alpha"]["people"] = [*GOLD["alpha"]["people"], "Nobody Atall"]
    fake_llm.responder = answering(gold)
    result = eval_cli("--json", "-")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    alpha = next(p for p in data["posts"] if p["post"] == "alpha")
    assert "Nobody Atall" not in alpha["drafted"]["people"]  # left out: not in the transcript
    assert data["summary"]["metrics"]["people.canonical.precision"] == 1.0
    found, total = alpha["grounding"]["found"], alpha["grounding"]["total"]
    assert total == found + 1 and data["summary"]["metrics"]["grounding"] < 1.0


def test_a_rerun_of_the_same_eval_is_free_and_never_touches_the_users_drafts(fake_llm: FakeLLM, isolated: Path) -> None:
    make_site(isolated)
    (isolated / "drafts").mkdir()
    (isolated / "drafts" / "alpha.md").write_text("a person's draft\n", encoding="utf-8")
    fake_llm.responder = answering(GOLD)
    first = eval_cli("--sample", "1", "--seed", "3", "--run-id", "one", "--json", "a.json")
    assert first.exit_code == 0, first.output
    assert len(fake_llm.requests) == 1
    again = eval_cli("--sample", "1", "--seed", "3", "--run-id", "one", "--json", "b.json")
    assert again.exit_code == 0, again.output
    assert len(fake_llm.requests) == 1  # 0 requests: every draft from the cache
    a, b = load(isolated / "a.json"), load(isolated / "b.json")
    assert a["run"]["extra"]["requests this run"] == "1" and b["run"]["extra"]["requests this run"] == "0"
    assert [p["post"] for p in a["posts"]] == [p["post"] for p in b["posts"]]
    assert a["posts"][0]["cost"] == b["posts"][0]["cost"]  # the cost of the draft, as it was paid
    assert b["run"]["extra"]["run"] == "one-2"
    runs = isolated / ".enrich" / "eval"
    assert sorted(p.name for p in runs.iterdir()) == [".gitignore", "one", "one-2"]  # runs stay out of git
    assert (runs / "one" / "run.json").is_file() and len(list((runs / "one" / "drafts").iterdir())) == 1
    # the user's drafts, posts and manifest are untouched
    assert [p.name for p in (isolated / "drafts").iterdir()] == ["alpha.md"]
    assert (isolated / "drafts" / "alpha.md").read_text(encoding="utf-8") == "a person's draft\n"
    assert sorted(p.name for p in (isolated / "posts").iterdir()) == ["alpha.md", "beta.md"]
    assert not (isolated / ".enrich" / "manifest.jsonl").exists()


def test_a_reviewed_transcript_is_drafted_anyway(fake_llm: FakeLLM, isolated: Path) -> None:
    from enrich.batch.state import sha256_text

    make_site(isolated)
    sha = sha256_text(TRANSCRIPTS["alpha"])
    log = {"action": "approve", "input": "alpha.txt", "input_sha256": sha, "draft": "drafts/alpha.md"}
    (isolated / ".enrich").mkdir()
    (isolated / ".enrich" / "review-log.jsonl").write_text(json.dumps(log) + "\n", encoding="utf-8")
    fake_llm.responder = answering(GOLD)
    result = eval_cli("--json", "run.json")
    assert result.exit_code == 0, result.output
    assert load(isolated / "run.json")["summary"]["failed"] == 0 and len(fake_llm.requests) == 2


def test_dry_run_shows_the_cost_and_calls_nothing(fake_llm: FakeLLM, isolated: Path) -> None:
    make_site(isolated)
    result = eval_cli("--dry-run", "--model", "gpt-4.1-mini")
    assert result.exit_code == 0, result.output
    assert "2 to draft" in result.output and "gpt-4.1-mini" in result.output and "$" in result.output
    runs = isolated / ".enrich" / "eval"
    assert fake_llm.requests == [] and [p for p in runs.iterdir() if p.is_dir()] == []  # the dry run left no run folder


def test_offline_floor_needs_no_endpoint(isolated: Path) -> None:
    make_site(isolated)
    result = eval_cli("--offline", "--json", "run.json")
    assert result.exit_code == 0, result.output
    data = load(isolated / "run.json")
    assert data["run"]["source"] == "offline" and data["summary"]["posts"] == 2
    assert data["summary"]["metrics"]["cost.calls"] == 0


class Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.text: list[str] = []
        self.external: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        for name, value in attrs:
            if name in ("src", "href") and value and re.match(r"https?:|//", value):
                self.external.append(value)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_html_page_is_written_parses_and_holds_every_post(fake_llm: FakeLLM, isolated: Path) -> None:
    make_site(isolated)
    fake_llm.responder = answering(perturbed())
    result = eval_cli("--html", "page.html", "--json", "run.json")
    assert result.exit_code == 0, result.output
    page = Page()
    page.feed((isolated / "page.html").read_text(encoding="utf-8"))
    text = "".join(page.text)
    assert "html" in page.tags and "table" in page.tags and page.external == []
    assert "alpha" in text and "beta" in text and "Satya Nadella" in text
    again = eval_cli("--html", "page.html")
    assert again.exit_code == ExitStatus.EXISTS and "--force" in again.output
    assert len(fake_llm.requests) == 3  # refused before drafting anything (alpha: one repair, for its English title)


def test_compare_two_saved_runs(fake_llm: FakeLLM, isolated: Path) -> None:
    make_site(isolated)
    fake_llm.responder = answering(GOLD)
    assert eval_cli("--json", "a.json").exit_code == 0
    fake_llm.responder = answering(perturbed())
    assert eval_cli("--json", "b.json", "--model", "other-model").exit_code == 0
    result = run_cli("eval", "--compare", "a.json", "b.json")
    assert result.exit_code == 0, result.output
    assert "better" in result.output and "category" in result.output
    as_json = run_cli("eval", "--compare", "a.json", "b.json", "--json", "-")
    assert json.loads(as_json.stdout)["posts"]["common"] == 2


def test_review_log_path_through_the_cli(isolated: Path) -> None:
    (isolated / ".enrich").mkdir()
    (isolated / ".enrich" / "review-log.jsonl").write_bytes((FIXTURES / "eval" / "review-log.jsonl").read_bytes())
    result = run_cli("eval", "--from-review-log", "--json", "log.json", "--html", "log.html")
    assert result.exit_code == 0, result.output
    data = load(isolated / "log.json")
    assert data["run"]["source"] == "review-log" and data["summary"]["posts"] == 4
    assert data["review"]["drafts"] == {"all": 6, "approved": 4, "rejected": 1, "open": 1}
    assert data["review"]["edits"]  # the most common edits, each with what to do about it
    assert "kept" in result.output
    posts = {p["post"]: p for p in data["posts"]}
    assert posts["post-f"]["names"]["people"]["matched"]["fn"] == 0  # approved as drafted
    assert "post-a" in (isolated / "log.html").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("args", "status", "words"),
    [
        (("eval",), ExitStatus.USAGE, "one of them"),
        (("eval", "raw"), ExitStatus.USAGE, "--gold"),
        (("eval", "raw", "--gold", "nowhere", "--offline"), ExitStatus.INPUT, "nowhere"),
        (("eval", "posts", "--gold", "posts", "--offline"), ExitStatus.INPUT, "no transcript"),
        (("eval", "raw", "--gold", "posts", "--out", "x"), ExitStatus.USAGE, "run folder"),
        (("eval", "--from-review-log"), ExitStatus.INPUT, "review-log.jsonl"),
        (("eval", "--compare", "raw/alpha.txt", "raw/beta.txt"), ExitStatus.INPUT, "not JSON"),
    ],
)
def test_bad_input_is_one_line_and_a_documented_status(isolated: Path, args: tuple[str, ...], status: int, words: str) -> None:
    make_site(isolated)
    result = run_cli(*args)
    assert result.exit_code == status, result.output
    assert words in result.output and "Traceback" not in result.output
