"""The one text normaliser: tag slugs, singulars, twin keys, name keys, the grounding fold, script."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import unicodedata
from pathlib import Path
from typing import Any

import pytest
import yaml

from enrich.profile import load_profile
from enrich.testing.fakeserver import FakeLLM, Reply, answer, valid_answer
from enrich.text import fold, has_cjk, name_key, singular, tag_slug, to_simplified, twin_key, twin_words
from tests.conftest import REPO, SHARED, run_cli

TAG_PATTERN = re.compile(load_profile().fields["tags"].pattern or "")


@pytest.mark.parametrize(
    ("phrase", "slug"),
    [
        ("AI & ML", "ai-ml"),
        ("U.S. Policy", "us-policy"),
        ("C++", "c-plus-plus"),
        ("C#", "c-sharp"),
        ("Google+", "google-plus"),
        ("A.I.", "ai"),
        ("node.js", "node-js"),
        ("GPT-4.5", "gpt-4-5"),
        ("women's health", "womens-health"),
        ("Café Culture", "cafe-culture"),
        ("Straße", "strasse"),
        ("ＡＩ　Agents", "ai-agents"),
        ("  --Release   Engineering!-- ", "release-engineering"),
        ("AI_Agents/LLMs", "ai-agents-llms"),
        ("ai-agents", "ai-agents"),
    ],
)
def test_tag_slug_gives_pattern_valid_tags(phrase: str, slug: str) -> None:
    assert tag_slug(phrase) == slug
    assert TAG_PATTERN.match(slug)
    assert tag_slug(slug) == slug  # idempotent


def test_tag_slug_keeps_chinese_and_may_be_empty() -> None:
    assert tag_slug("AI 芯片") == "ai-芯片"  # the default pattern reports it; a profile may allow it
    assert tag_slug("資源詛咒") == "資源詛咒"
    assert tag_slug("!!!") == "" and tag_slug("") == ""


@pytest.mark.parametrize(
    ("word", "one"),
    [
        ("agents", "agent"),
        ("policies", "policy"),
        ("movies", "movie"),
        ("classes", "class"),
        ("boxes", "box"),
        ("caches", "cache"),
        ("crises", "crisis"),
        ("gpus", "gpu"),
        ("topics", "topic"),
        ("analytics", "analytics"),
        ("geopolitics", "geopolitics"),
        ("earnings", "earnings"),
        ("news", "news"),
        ("series", "series"),
        ("status", "status"),
        ("analysis", "analysis"),
        ("business", "business"),
        ("bias", "bias"),
        ("gas", "gas"),
        ("us", "us"),
    ],
)
def test_singular_knows_invariant_words(word: str, one: str) -> None:
    assert singular(word) == one


def test_twin_key_folds_case_separators_and_plural() -> None:
    key = twin_key("ai-agent")
    assert twin_key("AI_Agents") == twin_key("ai agents") == twin_key("aiagents") == twin_key("AI-Agent") == key == "aiagent"
    assert twin_words("AI_Agents") == ["ai", "agent"]
    assert twin_key("analytics") != twin_key("analytic")
    assert twin_key("earnings-season") != twin_key("earning-season")
    assert twin_key("U.S. Policy") == twin_key("us-policies")
    assert twin_key("人工智能") == twin_key("人工-智能") == name_key("人工智能")
    assert twin_key("機器學習") == twin_key("机器学习")  # Chinese tags fold script too


def test_name_key_folds_case_spacing_width_punctuation_and_script() -> None:
    assert name_key("NVIDIA") == name_key("Nvidia") == name_key(" ｎｖｉｄｉａ ") == "nvidia"
    assert name_key("唐纳德·特朗普") == name_key("唐納德 特朗普") == name_key("唐纳德・特朗普")
    assert name_key("台積電") == name_key("台积电") == "台积电"
    assert name_key("《三体》") == name_key("三体") and name_key("“OpenAI”") == "openai"
    assert name_key("C++") != name_key("C") and name_key("AT&T") == "at&t"


def test_fold_is_grounding_form() -> None:
    assert fold("Donald J. Trump") == "donaldjtrump"
    assert fold("Ｈｅｌｌｏ，世界！") == "hello世界"
    assert fold("snake_case") == "snakecase"
    assert fold("İstanbul") == "istanbul"  # casefold's combining dot goes too
    assert fold("¼ mile") == "14mile"  # NFKC's fraction slash goes too
    assert fold("OpenAI™ 的 GPT-4o") == fold("OpenAI 的 GPT 4o") == "openai的gpt4o"  # symbols count as punctuation


def _fold_by_definition(text: str) -> str:
    """NFKC, case-folded, without anything that is not a letter or digit: what `fold` computes faster."""
    return re.sub(r"[\W_]+", "", unicodedata.normalize("NFKC", text).casefold())


@pytest.mark.skipif(not (SHARED / "corpus" / "raw").is_dir(), reason="no ../shared corpus")
def test_fold_of_every_corpus_transcript_is_the_definition() -> None:
    for path in sorted((SHARED / "corpus" / "raw").glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        assert fold(text) == _fold_by_definition(text), path.name


def test_script_helpers() -> None:
    assert has_cjk("AI 芯片") and not has_cjk("AI chips")
    assert to_simplified("臺灣積體電路製造") == "台湾积体电路制造"
    assert to_simplified("plain English") == "plain English"
    assert to_simplified("長" * 100) == "长" * 100  # long texts are converted too


def test_opencc_loads_only_for_chinese_text() -> None:
    code = (
        "import sys\nfrom enrich.text import name_key, tag_slug, twin_key\n"
        "name_key('Donald Trump'); twin_key('AI Agents'); tag_slug('C++')\n"
        "print('BEFORE', 'opencc' in sys.modules)\nname_key('台積電')\nprint('AFTER', 'opencc' in sys.modules)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    assert out.split() == ["BEFORE", "False", "AFTER", "True"]


def test_model_tags_with_symbols_need_no_repair(fake_llm: FakeLLM, isolated: Path) -> None:
    """`AI & ML`, `U.S. Policy`, `C++` from the model become valid tags: one request, no repair call."""
    (isolated / "t.txt").write_text("A talk about AI and ML, U.S. policy and C++ tooling. " * 20, encoding="utf-8")

    def reply(request: dict[str, Any]) -> Reply:
        obj = valid_answer(request)
        obj["tags"] = ["AI & ML", "U.S. Policy", "C++"]
        return answer(obj)

    fake_llm.push(reply)
    result = run_cli("t.txt")
    assert result.exit_code == 0, result.stderr
    assert len(fake_llm.requests) == 1
    values = yaml.safe_load((isolated / "drafts" / "t.md").read_text(encoding="utf-8").split("---\n")[1])
    assert values["tags"] == ["ai-ml", "us-policy", "c-plus-plus"]
