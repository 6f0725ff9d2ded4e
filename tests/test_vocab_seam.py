"""The seam: one vocabulary, the same tags and names through drafting, `enrich check` and `enrich fix`.

Drafting (a fake model answers with the spellings below), the check of a post written with the same
spellings, and the fix of that post must reach the same verdicts: the same twin, the same canonical
name, Traditional and Simplified handled alike, plurals alike. Fix, and drafting for names, change
only what is certain (issue 10: a spelling variant or an accepted merge, never an alias).
Each row of CASES was a disagreement before drafting and check shared `enrich.vocab`.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml

from enrich.testing.fakeserver import FakeLLM, Reply, answer, valid_answer
from tests.conftest import run_cli
from tests.test_check import GOOD

VOCAB = """version: 1
tags: {ai-agents: 40, analytic: 30, machine-learning: '12', llm: 50, llms: 2, code-review: 8}
areas: {tech-engineering: 10}
categories: {software-development: 10}
people:
  Donald Trump: {count: '40', aliases: [特朗普, 唐纳德·特朗普]}
  Warren Buffett: {count: 15, aliases: [Buffett]}
  Buffett: {count: 1, aliases: []}
companies_orgs:
  台积电: {count: 9, aliases: []}
  Nvidia: {count: 12, aliases: [英伟达]}
products_models: {}
media_books: {}
merges:
  - {from: llms, to: llm, kind: tags, reason: plural, accepted: true}
"""

# field -> [(as the model or a person writes it, the verdict, whether fix may apply it)]
CASES: dict[str, list[tuple[str, str, bool]]] = {
    "tags": [
        ("aiagent", "ai-agents", False),  # a twin: separators do not matter (drafting said new tag)
        ("analytics", "analytics", False),  # -ics is not a plural (check said twin of 'analytic')
        ("llms", "llm", True),  # an accepted merge
        ("machine-learnings", "machine-learning", False),  # a count written '12' (check read 0: no hint)
        ("code-review", "code-review", False),
    ],
    "people": [
        ("唐納德·特朗普", "Donald Trump", False),  # an alias in Traditional: a translation, only suggested
        ("特朗普", "Donald Trump", False),  # an alias whose name is used '40' times: still a suggestion
        ("Buffett", "Buffett", False),  # an entry of its own and an alias of another: a conflict, left alone
    ],
    "companies_orgs": [
        ("台積電", "台积电", True),  # Traditional spelling of a canonical name: a spelling variant, certain
        ("英伟达", "Nvidia", False),
    ],
}
TRANSCRIPT = "唐納德·特朗普、Buffett 和特朗普谈到台積電与英伟达，还有 AI agents、analytics、LLMs 和 machine learning 与代码评审。"


def _front_matter(path: Path) -> dict[str, object]:
    data: dict[str, object] = yaml.safe_load(path.read_text(encoding="utf-8").split("---\n")[1])
    return data


def _dedupe(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _post_with_cases() -> str:
    text = GOOD
    for key, old in (
        ("tags", "- release-engineering\n- continuous-integration\n- code-review"),
        ("people", "- Ada Lovelace"),
        ("companies_orgs", "- Acme Robotics"),
    ):
        text = text.replace(f"{key}:\n{old}\n", f"{key}:\n" + "".join(f"- {w}\n" for w, _, _ in CASES[key]))
    return text


def _check_verdicts(findings: list[dict[str, object]]) -> dict[str, list[tuple[str, bool]]]:
    """(verdict, certain) per item, as the check's messages say them (the item itself when silent)."""
    out: dict[str, list[tuple[str, bool]]] = {}
    for key, cases in CASES.items():
        out[key] = []
        for i, (written, _, _) in enumerate(cases):
            said = [str(f["message"]) for f in findings if str(f["message"]).startswith(f"{key}[{i}]:")]
            match = re.search(r"(?:did you mean|is written|was merged into) '([^']*)'", said[0]) if said else None
            out[key].append((match.group(1), "did you mean" not in said[0]) if match else (written, False))
    return out


def test_drafting_check_and_fix_reach_the_same_verdicts(fake_llm: FakeLLM, isolated: Path) -> None:
    (isolated / ".enrich").mkdir()
    (isolated / ".enrich" / "vocab.yaml").write_text(VOCAB, encoding="utf-8")

    # drafting: the model answers with the spellings of CASES
    (isolated / "t.txt").write_text(TRANSCRIPT, encoding="utf-8")

    def reply(request: dict[str, Any]) -> Reply:
        obj = valid_answer(request)
        obj["tags"] = [w for w, _, _ in CASES["tags"]]
        for kind in ("people", "companies_orgs"):
            obj[kind] = [{"name": w, "mention": w} for w, _, _ in CASES[kind]]
        return answer(obj)

    fake_llm.push(reply)
    drafting = run_cli("t.txt")
    assert drafting.exit_code == 0, drafting.stderr
    assert len(fake_llm.requests) == 1
    drafted = _front_matter(isolated / "drafts" / "t.md")

    # check and fix: a post written with the same spellings
    Path("p.md").write_text(_post_with_cases(), encoding="utf-8")
    checked = _check_verdicts(json.loads(run_cli("check", "--format", "json", "p.md").stdout)["findings"])
    assert run_cli("fix", "p.md").exit_code == 0
    fixed = _front_matter(Path("p.md"))

    got = {key: (drafted[key], checked[key], fixed[key]) for key in CASES}
    want = {
        key: (
            # tags: drafting maps twins (fix leaves them to a person); names: only certain mappings
            _dedupe([verdict if certain or key == "tags" else written for written, verdict, certain in cases]),
            [(verdict, certain and verdict != written) for written, verdict, certain in cases],
            _dedupe([verdict if certain else written for written, verdict, certain in cases]),
        )
        for key, cases in CASES.items()
    }
    assert got == want


def test_a_vocabulary_without_version_is_refused_by_drafting_and_check(fake_llm: FakeLLM, isolated: Path) -> None:
    (isolated / ".enrich").mkdir()
    (isolated / ".enrich" / "vocab.yaml").write_text(VOCAB.replace("version: 1\n", ""), encoding="utf-8")
    (isolated / "t.txt").write_text(TRANSCRIPT, encoding="utf-8")
    Path("p.md").write_text(GOOD, encoding="utf-8")
    drafting, checking, fixing = run_cli("t.txt"), run_cli("check", "p.md"), run_cli("fix", "p.md")
    assert [r.exit_code for r in (drafting, checking, fixing)] == [4, 4, 4]  # check used to accept it
    for result in (drafting, checking, fixing):
        assert "the vocabulary has no version; a vocabulary file starts with `version: 1`" in result.stderr
    assert fake_llm.requests == []
