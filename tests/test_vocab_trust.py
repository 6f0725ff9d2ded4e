"""Issue 10: a vocabulary that never guesses for you, rule by rule, on small fixtures.

Ambiguous aliases, conflicts, what is certain (spelling variants, accepted merges) and what is only a
suggestion, the canonical form (the form most posts write; a gloss never invents one), and merge
suggestions (invariant words, no chains, one direction per pattern, near-duplicate names).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from enrich.check.checker import Checker
from enrich.check.fixer import Fixer
from enrich.profile import load_profile
from enrich.vocab.apply import apply_vocabulary
from enrich.vocab.build import aggregate
from enrich.vocab.file import dump_vocabulary, vocabulary_from_bytes
from enrich.vocab.index import VocabFinder, VocabIndex
from enrich.vocab.model import Merge, Vocabulary
from enrich.vocab.posts import PostRecord
from enrich.vocab.suggest import final_targets
from tests.conftest import run_cli
from tests.test_check import GOOD


def _posts(
    *names: tuple[str, list[str]], glosses: list[list[str]] | None = None, tags: list[str] | None = None
) -> list[PostRecord]:
    """One post per (kind, names) pair; the glosses and tags go in the first post."""
    records = [PostRecord(names={kind: list(found)}) for kind, found in names]
    records[0].glosses = glosses or []
    records[0].tags = tags or []
    return records


def _tag_posts(counts: dict[str, int]) -> list[PostRecord]:
    return [PostRecord(tags=[tag]) for tag, n in counts.items() for _ in range(n)]


def _reloaded(vocab: Vocabulary, where: Path) -> Vocabulary:
    path = where / ".enrich" / "vocab.yaml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(dump_vocabulary(vocab), encoding="utf-8")
    return vocabulary_from_bytes(path.read_bytes(), str(path))


TRUMPS = _posts(
    ("people", ["Donald Trump"]),
    ("people", ["Donald Trump"]),
    ("people", ["Donald Trump"]),
    ("people", ["Trump"]),
    ("companies_orgs", ["Google"]),
    ("companies_orgs", ["Google"]),
    ("companies_orgs", ["Alphabet"]),
    glosses=[["特朗普", "Donald Trump"], ["特朗普", "Trump"], ["谷歌", "Google"], ["谷歌", "Alphabet"]],
)


# -- ambiguous aliases -----------------------------------------------------------------------------


def test_an_alias_of_several_entries_is_ambiguous_and_never_applied() -> None:
    vocab = aggregate(TRUMPS)
    found = vocab.index.lookup("companies_orgs", "谷歌")
    assert found is not None and found.reason == "ambiguous" and found.candidates == ("Google", "Alphabet")
    assert vocab.index.ambiguous_count() == 2  # 特朗普 and 谷歌
    assert vocab.canonical_name("people", "特朗普") is None  # drafting applies neither
    hint = vocab.index.name_hint("people", "特朗普")
    assert hint is not None and not hint.certain and hint.candidates == (("Donald Trump", 3), ("Trump", 1))
    out, flags = apply_vocabulary({"people": ["特朗普"]}, vocab, load_profile())
    assert out["people"] == ["特朗普"] and flags == []
    # once a person merges Trump into Donald Trump, 特朗普 has one meaning left (still an alias: a suggestion)
    vocab.merges.append(Merge("people", "Trump", "Donald Trump", "by hand", accepted=True))
    merged = VocabIndex.from_vocabulary(vocab)
    found = merged.lookup("people", "特朗普")
    assert found is not None and (found.value, found.reason, found.certain) == ("Donald Trump", "alias", False)
    hint = merged.name_hint("people", "Trump")
    assert hint is not None and (hint.value, hint.certain, hint.reason) == ("Donald Trump", True, "accepted merge")


def test_check_names_the_candidates_fix_leaves_it_show_explains(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    _reloaded(aggregate(TRUMPS), tmp_path)
    text = GOOD.replace("- Acme Robotics", "- 谷歌")
    found = Checker(load_profile(), VocabFinder()).check_bytes("p.md", text.encode())
    assert [f.message for f in found if f.rule == "name-noncanonical"] == [
        "companies_orgs[0]: '谷歌' is ambiguous in the vocabulary: 'Google' (used 2 times) or 'Alphabet' (used once); "
        "write the one meant"
    ]
    assert Fixer(load_profile(), VocabFinder()).fix_bytes("p.md", text.encode()).changes == []
    shown = run_cli("vocab", "show", "谷歌")
    assert shown.exit_code == 0
    assert "companies_orgs: 谷歌 is ambiguous: an alias of Google (2 post(s)) and Alphabet (1 post(s))" in shown.stdout
    assert "apply none of them" in shown.stdout


# -- conflicts -------------------------------------------------------------------------------------


def test_a_name_that_is_an_entry_and_an_alias_is_one_conflict(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    records = _posts(
        ("media_books", ["The Wall Street Journal"]),
        ("media_books", ["The Wall Street Journal"]),
        ("media_books", ["Wall Street Journal"]),
        ("media_books", ["华尔街日报"]),
        glosses=[["华尔街日报", "The Wall Street Journal"], ["华尔街日报", "Wall Street Journal"]],
    )
    vocab = aggregate(records)
    conflicts = [m for m in vocab.merges if m.reason.startswith("conflict")]
    assert [(m.source, m.target) for m in conflicts] == [("Wall Street Journal", "The Wall Street Journal")]
    assert "Wall Street Journal" not in vocab.entities["media_books"]["The Wall Street Journal"].aliases
    assert not any(m.reason == "near-duplicate" and m.source == "Wall Street Journal" for m in vocab.merges)  # once
    # the entry stays itself until a person decides: fix does not rewrite it
    assert vocab.index.name_hint("media_books", "Wall Street Journal") is None
    monkeypatch.chdir(tmp_path)
    _reloaded(vocab, tmp_path)
    one = run_cli("vocab", "show", "Wall Street Journal").stdout
    other = run_cli("vocab", "show", "The Wall Street Journal").stdout
    line = "merge Wall Street Journal -> The Wall Street Journal (conflict:"
    assert one.count("media_books:") == 1 and line in one and "needs a person" in one
    assert line in other
    assert "华尔街日报" in other  # the translation is an alias of the entry written most
    both = run_cli("vocab", "show", "华尔街日报").stdout  # glossed as both names: ambiguous until then
    assert "media_books: 华尔街日报 is ambiguous: an alias of The Wall Street Journal (3 post(s))" in both


# -- only certain mappings are applied --------------------------------------------------------------


def test_spelling_variants_and_accepted_merges_are_certain_the_rest_suggestions() -> None:
    records = _posts(
        ("companies_orgs", ["Nvidia"]),
        ("companies_orgs", ["Nvidia"]),
        ("companies_orgs", ["NVIDIA"]),
        ("companies_orgs", ["台積電"]),
        ("companies_orgs", ["台積電"]),
        ("companies_orgs", ["台积电"]),
        ("companies_orgs", ["英伟达"]),
        glosses=[["英伟达", "Nvidia"]],
    )
    index = aggregate(records).index
    for name, value, certain in [
        ("NVIDIA", "Nvidia", True),  # case
        ("Ｎｖｉｄｉａ", "Nvidia", True),  # width
        ("台积电", "台積電", True),  # Traditional/Simplified
        ("英伟达", "Nvidia", False),  # a translation a gloss gave
    ]:
        hint = index.name_hint("companies_orgs", name)
        assert hint is not None and (hint.value, hint.certain) == (value, certain), name
    vocab = aggregate(records)
    vocab.merges.append(Merge("companies_orgs", "英伟达", "Nvidia", "by hand", accepted=True))
    assert aggregate(records).index.name_hint("companies_orgs", "英伟达").certain is False  # type: ignore[union-attr]
    hint = VocabIndex.from_vocabulary(vocab).name_hint("companies_orgs", "英伟达")
    assert hint is not None and hint.certain and hint.reason == "accepted merge"


def test_a_spelling_written_as_often_as_the_canonical_is_not_applied() -> None:
    vocab = aggregate(_posts(("companies_orgs", ["MiniMax"]), ("companies_orgs", ["Mini Max"])))
    (canonical,) = vocab.entities["companies_orgs"]
    other = "MiniMax" if canonical == "Mini Max" else "Mini Max"
    hint = vocab.index.name_hint("companies_orgs", other)
    assert hint is not None and hint.value == canonical and not hint.certain


# -- the canonical form -----------------------------------------------------------------------------


def test_canonical_is_the_form_most_posts_write_unless_a_language_is_asked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    records = _posts(
        ("companies_orgs", ["路透社"]),
        ("companies_orgs", ["路透社"]),
        ("companies_orgs", ["Reuters"]),
        glosses=[["路透社", "Reuters"]],
    )
    assert list(aggregate(records).entities["companies_orgs"]) == ["路透社"]
    assert list(aggregate(records, prefer="en").entities["companies_orgs"]) == ["Reuters"]
    assert aggregate(records).entities["companies_orgs"]["路透社"].aliases == ["Reuters"]
    monkeypatch.chdir(tmp_path)
    _reloaded(aggregate(records), tmp_path)
    shown = run_cli("vocab", "show", "Reuters").stdout
    assert shown.startswith("companies_orgs: 路透社 (used by 3 post(s))")
    assert "'Reuters' is an alias of it, not a spelling: `enrich check` suggests it, `enrich fix` leaves it" in shown


def test_a_gloss_never_invents_a_canonical_name() -> None:
    records = _posts(
        ("media_books", ["《泰坦尼克号》"]),
        ("media_books", ["硅谷101"]),
        glosses=[["泰坦尼克号", "RMS Titanic"], ["硅谷101", "Silicon Valley 101"]],
    )
    entities = aggregate(records).entities["media_books"]
    assert sorted(entities) == ["《泰坦尼克号》", "硅谷101"]
    vocab = aggregate(records)
    assert vocab.canonical_name("media_books", "RMS Titanic") is None
    assert vocab.canonical_name("media_books", "泰坦尼克号") == "《泰坦尼克号》"


# -- merge suggestions ------------------------------------------------------------------------------


def _pairs(vocab: Vocabulary) -> set[tuple[str, str]]:
    return {(m.source, m.target) for m in vocab.merges}


def test_invariant_words_are_never_cut_to_a_false_singular() -> None:
    pairs = _pairs(aggregate(_tag_posts({"metaphysic": 3, "metaphysics": 1, "earnings-season": 1, "earning-season": 2})))
    assert ("metaphysic", "metaphysics") in pairs and ("metaphysics", "metaphysic") not in pairs
    assert ("earnings-season", "earning-season") not in pairs


def test_no_chains_the_final_target_is_suggested() -> None:
    pairs = _pairs(aggregate(_tag_posts({"macroeconomics": 1, "macro-economics": 2, "macro-economy": 5})))
    assert ("macroeconomics", "macro-economy") in pairs and ("macro-economics", "macro-economy") in pairs
    assert not any(target == "macro-economics" for _, target in pairs)
    cycle = final_targets([Merge("tags", "a", "b", "x"), Merge("tags", "b", "a", "x")])
    assert {(m.source, m.target) for m in cycle} == {("a", "b"), ("b", "a")}  # left as found, never a -> a


def test_one_direction_per_pattern() -> None:
    counts = {"social-dynamics": 2, "social-dynamic": 3, "market-dynamic": 1, "market-dynamics": 4}
    counts |= {"agent-systems": 1, "agentic-systems": 2, "agent-workflows": 5, "agentic-workflow": 6}
    pairs = _pairs(aggregate(_tag_posts(counts)))
    assert ("social-dynamic", "social-dynamics") in pairs and ("market-dynamic", "market-dynamics") in pairs
    agent = {p for p in pairs if "agent" in p[0]}
    assert all(target.startswith("agentic") for _, target in agent) and agent  # one way: towards agentic


def test_near_duplicate_people_and_organisations() -> None:
    records = _posts(
        ("people", ["Tracy Alloway"]),
        ("people", ["Tracy Alloway"]),
        ("people", ["Tracy Aloway"]),
        ("people", ["Yuval Noah Harari"]),
        ("people", ["尤瓦尔·赫拉利"]),
        ("people", ["John C. Williams"]),
        ("people", ["John Williams"]),
        ("people", ["Ma Yun"]),
        ("people", ["Ma Yin"]),  # one letter apart but short: different names too often
        ("companies_orgs", ["International Energy Agency"]),
        ("companies_orgs", ["International Atomic Energy Agency"]),  # a middle word is not an initial
        glosses=[["尤瓦尔·赫拉利", "Yuval Harari"]],
    )
    pairs = _pairs(aggregate(records))
    assert ("Tracy Aloway", "Tracy Alloway") in pairs
    assert {("尤瓦尔·赫拉利", "Yuval Noah Harari"), ("Yuval Noah Harari", "尤瓦尔·赫拉利")} & pairs
    assert {("John Williams", "John C. Williams"), ("John C. Williams", "John Williams")} & pairs
    assert not any("Ma Y" in s for s, _ in pairs)
    assert not any("Energy" in s for s, _ in pairs)


# -- vocab build reports ----------------------------------------------------------------------------


def test_build_prints_ambiguous_aliases_and_conflicts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    posts = tmp_path / "posts"
    posts.mkdir()
    for i, (kind, name) in enumerate(
        [("people", "Donald Trump"), ("people", "Donald Trump"), ("people", "Trump"), ("people", "特朗普")]
    ):
        body = "**特朗普**（Donald Trump）**特朗普**（Trump）" if i == 0 else ""
        (posts / f"p{i}.md").write_text(f"---\n{kind}: [{name}]\n---\n{body}\n", encoding="utf-8")
    result = run_cli("vocab", "build", "posts")
    assert result.exit_code == 0, result.stderr
    # 特朗普 joins Donald Trump (its gloss) and is glossed Trump too: ambiguous; Trump, an entry of its own
    # and glossed as another name of Donald Trump, is one conflict
    assert "1 ambiguous alias(es)" in result.stdout
    assert "1 conflict(s) need a person" in result.stdout
