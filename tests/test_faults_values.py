"""Property-based: whatever a value holds, the draft enrich writes reads back to exactly the same values
with YAML 1.1 (PyYAML, python-frontmatter) and YAML 1.2 (enrich's yaml12, as Eleventy's js-yaml), and the
provenance comment stays one line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from enrich.frontmatter.emit import render_document, scalar
from enrich.frontmatter.provenance import MARKER, Provenance, find_provenance
from enrich.frontmatter.split import split_front_matter
from enrich.frontmatter.yaml12 import load_data
from enrich.profile import Profile, load_profile

LOOK_ALIKES = [
    "no",
    "No",
    "NO",
    "yes",
    "On",
    "off",
    "y",
    "n",
    "~",
    "null",
    "Null",
    "true",
    "False",
    "0o17",
    "0O17",
    "017",
    "0x1F",
    "0b101",
    "1e3",
    "2E5",
    "-1e-3",
    "+12e03",
    "1.5",
    ".5",
    "5.",
    ".inf",
    "-.Inf",
    ".NaN",
    "1_000",
    "12:30",
    "1:20:30",
    "2024-01-05",
    "2024-01-05T10:00:00Z",
    "2001-12-14 21:59:43.10 -5",
    "@x",
    "`x",
    "*x",
    "&x",
    "!x",
    "!!str x",
    "%x",
    "a: b",
    "a:b",
    "#x",
    "a #b",
    "---",
    "...",
    "- x",
    "? x",
    "[x]",
    "{x}",
    "|",
    ">",
    "'",
    '"',
    "=",
    "<<",
    "",
    " lead",
    "trail ",
    "\ttab",
    "\ufeffbom",
    "x\u2028y",
    "x\u2029y",
    "x\x85y",
    "x\ry",
    "a\nb",
    "\n",
    "😀",
    "𝟘",
    "\x00",
    "\x07",
]
SEPARATORS = ["\u2028", "\u2029", "\x85", "\r", "\r\n", "\n", "\ufeff", "\x00", "\x1b", "\t", " "]

# The whole of Unicode, lone surrogates included (what a broken answer or a mis-decoded file may hold)
anything = st.text(st.characters(min_codepoint=0, max_codepoint=0x10FFFF), max_size=40)
tricky = st.builds(
    lambda a, sep, b: a + sep + b, st.sampled_from(LOOK_ALIKES), st.sampled_from(SEPARATORS), st.sampled_from(LOOK_ALIKES)
)
value = st.one_of(st.sampled_from(LOOK_ALIKES), tricky, anything, st.text(max_size=10).map(lambda s: s * 1000))


def _profile() -> Profile:
    return load_profile(Path("/nonexistent-site-for-tests"))


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _document(values: dict[str, Any], profile: Profile, note: str) -> str:
    prov = Provenance(input=note, input_sha256="0" * 64, model=note, backend="model", endpoint=note)
    return render_document(values, profile, "正文。\n", trailer=prov.to_comment())


def _read_both(text: str) -> tuple[Any, Any, str]:
    split = split_front_matter(text)
    assert split is not None, text[:200]
    head = split[0]
    return yaml.safe_load(head), load_data(head), head


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(title=value, tag=value, note=value)
def test_every_written_value_reads_back_the_same_with_yaml_1_1_and_1_2(title: str, tag: str, note: str) -> None:
    profile = _profile()
    values = {"title": title, "tags": [tag, "plain-tag"], "summary": title + tag}
    if not all(_encodable(v) for v in (title, tag)):
        return  # a lone surrogate never reaches a file: checked by the CLI test in test_faults_endpoint
    text = _document(values, profile, note)
    text.encode("utf-8")  # the whole file is valid UTF-8, even with a surrogate in the provenance
    one_one, one_two, head = _read_both(text)
    assert one_one == values
    assert one_two == values
    comment = [line for line in head.split("\n") if line.startswith(MARKER)]
    assert len(comment) == 1
    assert comment[0].splitlines() == [comment[0]]  # one line for str.splitlines and YAML 1.1's breaks too
    prov = find_provenance(head)
    assert prov is not None and prov.model == note


@settings(max_examples=200, deadline=None)
@given(text=st.one_of(st.sampled_from(LOOK_ALIKES), tricky, anything))
def test_a_line_edit_scalar_reads_back_the_same(text: str) -> None:
    if not _encodable(text):
        return
    line = f"k: {scalar(text)}\n"
    assert "\n" not in line[:-1]
    assert yaml.safe_load(line) == {"k": text}
    assert load_data(line) == {"k": text}


def test_number_look_alikes_are_quoted() -> None:
    profile = _profile()
    for text in ("0o17", "1e3", "2E5", "-1e-3", "+12e03"):
        doc = render_document({"title": text}, profile, "")
        assert f"title: {text}\n" not in doc, doc
        assert load_data(split_front_matter(doc)[0]) == {"title": text}  # type: ignore[index]
