"""`.enrich/vocab.yaml`: the one parser and dumper, the version rule, counts, shapes, the finder."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from enrich.errors import ConfigError
from enrich.vocab.build import build_vocabulary
from enrich.vocab.file import count_of, dump_vocabulary, find_vocab_file, load_vocabulary, vocabulary_from_data
from enrich.vocab.index import load_index
from enrich.vocab.model import Entity, Merge, Vocabulary
from tests.conftest import FIXTURES


def _write(text: str, folder: Path | None = None) -> Path:
    path = (folder or Path.cwd()) / ".enrich" / "vocab.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _fields(vocab: Vocabulary) -> dict[str, object]:
    """Everything the file holds (not where it was read from)."""
    return {k: v for k, v in vocab.__dict__.items() if k not in ("path", "fingerprint", "index", "scorer")}


def test_round_trip_of_a_built_vocabulary(tmp_path: Path) -> None:
    shutil.copytree(FIXTURES / "vocab" / "posts", tmp_path / "posts")
    built = build_vocabulary(tmp_path / "posts", tmp_path / ".enrich" / "vocab.yaml").vocab
    text = (tmp_path / ".enrich" / "vocab.yaml").read_text(encoding="utf-8")
    assert text == dump_vocabulary(built)
    again = load_vocabulary(tmp_path)
    assert again is not None and _fields(again) == _fields(built)
    assert dump_vocabulary(again) == text


def test_round_trip_of_awkward_values() -> None:
    vocab = Vocabulary(
        tags={"no": 3, "2024": 2, "c-plus-plus": 1},  # YAML 1.1 would read no as false, 2024 as a number
        areas={"tech: engineering": 1},
        entities={
            "people": {"O'Brien, Jr.": Entity(2, ["奥布莱恩", "Conan #1"])},
            "companies_orgs": {"Tesla, Inc.": Entity(5, ["特斯拉", "Tesla, Inc"])},  # commas inside one alias
            "products_models": {},
            "media_books": {"《三体》": Entity(1, [])},
        },
        merges=[Merge("tags", "no", "c-plus-plus", "", accepted=True), Merge("people", "a", "b", "x: y", rejected=True)],
        tag_aliases={"no": ["不"]},
        words={"ai": ["人工智能", "AI"]},
        tag_context={"no": {"areas": {"tech: engineering": 1}, "categories": {}}},
        posts=7,
        skipped=1,
        source="content/posts",
    )
    text = dump_vocabulary(vocab)
    again = vocabulary_from_data(yaml.safe_load(text))
    assert _fields(again) == _fields(vocab)
    assert again.entities["companies_orgs"]["Tesla, Inc."].aliases == ["特斯拉", "Tesla, Inc"]


def test_version_is_required_by_drafting_and_check() -> None:
    path = _write("tags: {ai-agent: 3}\n")
    for load in (lambda: load_vocabulary(Path.cwd()), lambda: load_index(path)):
        with pytest.raises(ConfigError, match=r"no version; a vocabulary file starts with `version: 1`"):
            load()
    _write("")  # an empty file has no version either
    with pytest.raises(ConfigError, match="no version"):
        load_index(path)
    _write("version: 2\ntags: {}\n")
    for load in (lambda: load_vocabulary(Path.cwd()), lambda: load_index(path)):
        with pytest.raises(ConfigError, match=r"vocabulary version 2 is not supported \(expected 1\)"):
            load()


def test_counts_written_as_strings_are_counts() -> None:
    path = _write(
        "version: 1\ntags: {ai-agent: '3', llm: 2.0, odd: many, neg: -4, flag: true}\n"
        "people:\n  Ada Lovelace: {count: '5', aliases: [阿达]}\n  Xanth: '2'\nposts: '9'\n"
    )
    vocab = load_vocabulary(Path.cwd())
    assert vocab is not None
    assert vocab.tags == {"ai-agent": 3, "llm": 2, "odd": 0, "neg": 0, "flag": 0}
    assert vocab.entities["people"]["Ada Lovelace"].count == 5 and vocab.entities["people"]["Xanth"].count == 2
    assert vocab.posts == 9
    index = load_index(path)
    assert index.tags == vocab.tags and index.names["people"].counts == {"Ada Lovelace": 5, "Xanth": 2}
    assert [count_of(v) for v in (3, "3", " 3 ", 3.0, 3.5, "3.0", None, False)] == [3, 3, 3, 3, 0, 0, 0, 0]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("version: 1\ntags: [a, b]\n", "tags must be a mapping"),
        ("version: 1\npeople: [Ada]\n", "people must be a mapping"),
        ("version: 1\nmerges: {from: a}\n", "merges must be a list"),
        ("version: 1\ntag_aliases: [x]\n", "tag_aliases must be a mapping"),
        ("- version: 1\n", "not a mapping"),
        ("version: 1\ntags: {a: [\n", "invalid vocabulary YAML"),
    ],
)
def test_wrong_shapes_are_config_errors_everywhere(text: str, message: str) -> None:
    path = _write(text)
    for load in (lambda: load_vocabulary(Path.cwd()), lambda: load_index(path)):
        with pytest.raises(ConfigError, match=message):
            load()


def test_aliases_a_string_or_a_list_and_never_the_name_itself() -> None:
    _write(
        "version: 1\npeople:\n  Donald Trump: {count: 3, aliases: '特朗普, 川普'}\n  Ada: {count: 1, aliases: [Ada, 阿达, '']}\n"
    )
    vocab = load_vocabulary(Path.cwd())
    assert vocab is not None
    assert vocab.entities["people"]["Donald Trump"].aliases == ["特朗普", "川普"]
    assert vocab.entities["people"]["Ada"].aliases == ["阿达"]


def test_fingerprint_is_of_the_text(tmp_path: Path) -> None:
    _write("version: 1\ntags: {a: 1}\n")
    first = load_vocabulary(Path.cwd())
    Path(".enrich/vocab.yaml").write_bytes(b"\xef\xbb\xbfversion: 1\ntags: {a: 1}\n")  # a BOM changes nothing
    second = load_vocabulary(Path.cwd())
    _write("version: 1\ntags: {a: 2}\n")
    third = load_vocabulary(Path.cwd())
    assert first is not None and second is not None and third is not None
    assert first.fingerprint == second.fingerprint != third.fingerprint


def test_one_finder_for_drafting_and_check(tmp_path: Path) -> None:
    site = tmp_path / "site2"
    deep = site / "content" / "a" / "b"
    deep.mkdir(parents=True)
    (deep / "p.md").write_text("---\n---\n", encoding="utf-8")
    assert find_vocab_file(deep) is None
    path = _write("version: 1\n", site)
    memo: dict[Path, Path | None] = {}
    assert find_vocab_file(deep / "p.md") == find_vocab_file(deep, memo) == path.resolve()
    assert memo[deep.resolve()] == path.resolve() and memo[site.resolve()] == path.resolve()
    assert load_vocabulary(deep) is not None
    with pytest.raises(ConfigError, match="vocabulary file not found"):
        load_vocabulary(deep, tmp_path / "missing.yaml")
