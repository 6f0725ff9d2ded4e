"""The one YAML reading: YAML 1.2 core schema as js-yaml 4 (Eleventy) reads it, duplicates, line map."""

from __future__ import annotations

import datetime as dt

import pytest
import yaml

from enrich.errors import ExitStatus, InputError
from enrich.frontmatter.split import parse_block
from enrich.frontmatter.yaml12 import (
    DuplicateKeyError,
    UnquotedDate,
    load_data,
    load_yaml,
    mark_position,
    plain,
    read_front_matter,
    read_mapping,
)


def test_node_positions_are_file_lines() -> None:
    block = parse_block(b"---\ntitle: x\ntags:\n  - a\n---\nbody\n")
    assert block is not None
    loaded = load_yaml(block.text)
    key, value = loaded.pairs[1]
    assert mark_position(key, block) == (3, 1)
    assert mark_position(value.value[0], block) == (4, 5)


def test_yaml_12_core_schema() -> None:
    data = load_yaml(
        "a: no\nb: yes\nc: on\nd: 012\ne: 0o17\nf: 0x1F\ng: 1e3\nh: ~\ni: true\nj: False\nk: 1_000\n"
        "l: 10:00\nm: .inf\nn: 3.5\no: null\np: 'no'\nq: off\nr: 0b11\n"
    ).data
    assert data["a"] == "no" and data["b"] == "yes" and data["c"] == "on" and data["q"] == "off"
    assert data["d"] == 12 and data["e"] == 15 and data["f"] == 31
    assert data["g"] == 1000.0 and data["h"] is None and data["i"] is True and data["j"] is False
    assert data["k"] == "1_000" and data["l"] == "10:00" and data["m"] == float("inf") and data["n"] == 3.5
    assert data["o"] is None and data["p"] == "no" and data["r"] == "0b11"


def test_dates_stay_text_and_remember_they_were_unquoted() -> None:
    data = load_yaml("a: 2024-01-05\nb: '2024-01-05'\nc: 2021-02-30\nd: 2024-01-05 10:00:00\n").data
    assert isinstance(data["a"], UnquotedDate) and data["a"] == "2024-01-05"
    assert type(data["b"]) is str
    assert isinstance(data["c"], UnquotedDate) and data["c"] == "2021-02-30"  # no ValueError, no March
    assert isinstance(data["d"], UnquotedDate)
    assert not any(isinstance(v, dt.date) for v in data.values())


def test_duplicate_keys_are_kept_with_their_lines_for_check() -> None:
    loaded = load_yaml("title: a\ntags: [x]\ntitle: b\n")
    assert loaded.data["title"] == "b"
    [(again, first)] = loaded.duplicates
    assert again.start_mark.line == 2 and first.start_mark.line == 0


@pytest.mark.parametrize("text", ["title: a\ntags: [x]\ntitle: b\n", "meta:\n  a: 1\n  a: 2\n", "list:\n- {k: 1, k: 2}\n"])
def test_duplicate_keys_are_an_error_for_every_other_reader(text: str) -> None:
    with pytest.raises(DuplicateKeyError) as info:
        load_data(text)
    assert isinstance(info.value, yaml.YAMLError)  # callers that catch YAML errors catch it too
    with pytest.raises(InputError) as refused:
        read_mapping(text, path="notes.md")
    assert refused.value.exit_status == ExitStatus.INPUT and str(refused.value).startswith("notes.md: ")
    assert "repeats the key" in refused.value.message


def test_duplicate_key_message_names_the_key_and_both_lines() -> None:
    with pytest.raises(InputError) as info:
        read_mapping("title: a\ntags: [x]\ntitle: b\n", path="n.md")
    assert info.value.message == "front matter repeats the key 'title' (lines 2 and 4); the site's build refuses it"


def test_read_mapping_errors_and_plain_values() -> None:
    with pytest.raises(InputError, match=r"not valid YAML \(line 3\)"):
        read_mapping("a: 1\nb: c: d\n")
    with pytest.raises(InputError, match="not a mapping"):
        read_mapping("- a\n- b\n")
    with pytest.raises(InputError, match="cannot build a value"):
        read_mapping("d: !!timestamp 2021-13-45\n")
    assert read_mapping("") == {} and read_mapping("# only a comment\n") == {}
    values = read_mapping("date: 2024-01-05\nwhen: !!timestamp 2024-01-05\n1: one\nlist: [2024-01-05]\n")
    assert values == {"date": "2024-01-05", "when": "2024-01-05", "1": "one", "list": ["2024-01-05"]}
    assert type(values["date"]) is str and type(values["list"][0]) is str  # JSON-ready, dumpable anywhere


def test_read_front_matter_splits_and_reads() -> None:
    assert read_front_matter("just text\n") is None
    assert read_front_matter("---\nspeaker: no\n---\nbody\n") == ({"speaker": "no"}, "body\n")
    with pytest.raises(InputError, match=r"no closing '---' \(line 3 is '\.\.\.'"):
        read_front_matter("---\ntitle: x\n...\nbody\n", path="x.md")
    with pytest.raises(InputError, match="NUL byte"):
        read_front_matter("---\na: \x00\n---\n")


def test_nel_ls_ps_are_not_line_breaks_as_in_yaml_12() -> None:
    text = "title: a\u2028b\nsummary: 'c\x85d'\nnote: e\u2029f\ntags: [x]\n"
    loaded = load_yaml(text)
    assert loaded.data == {"title": "a\u2028b", "summary": "c\x85d", "note": "e\u2029f", "tags": ["x"]}
    assert [k.start_mark.line for k, _ in loaded.pairs] == [0, 1, 2, 3]  # line numbers stay the file's


def test_yaml11_traps() -> None:
    loaded = load_yaml("a: no\nb: 'no'\nc: 012\nd: 1e3\ne: plain\nf: [on, off]\ng: 2024-01-05\n")
    reasons = {node.value: reason for node, reason in loaded.traps}
    assert set(reasons) == {"no", "012", "1e3", "on", "off"}
    assert "a boolean for YAML 1.1" in reasons["no"]
    assert "octal 10" in reasons["012"]


def test_syntax_error_is_a_yaml_error() -> None:
    with pytest.raises(yaml.YAMLError):
        load_yaml("title: [unclosed\n")


def test_merge_keys_anchors_and_explicit_tags_fall_back_to_the_constructor() -> None:
    data = load_yaml("base: &b {a: 1}\nother:\n  <<: *b\n  c: no\nbin: !!binary aGk=\nlist: [*b]\n").data
    assert data["other"] == {"a": 1, "c": "no"} and data["bin"] == b"hi" and data["list"] == [{"a": 1}]


def test_plain() -> None:
    assert plain({1: [UnquotedDate("2024-01-05"), dt.date(2024, 1, 6)], "b": None}) == {
        "1": ["2024-01-05", "2024-01-06"],
        "b": None,
    }
