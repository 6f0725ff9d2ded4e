"""python-frontmatter with enrich's handler: read as the site's build reads, unchanged posts byte for byte."""

from __future__ import annotations

from pathlib import Path

import frontmatter
import pytest

from enrich.errors import InputError
from enrich.frontmatter import handler as enrich_handler
from enrich.frontmatter.handler import EnrichHandler, FrontMatterError
from tests.conftest import SHARED

POST = """---
title: 'no'
date: 2024-01-05
count: 012
tags:
  - a-b
  - c
speaker: 睡前消息
author: 睡前消息
# a person's comment
summary: 一行很长的摘要，一行很长的摘要，一行很长的摘要，一行很长的摘要，一行很长的摘要，一行很长的摘要
---

Body text.

"""

SAMPLES = {
    "plain": POST,
    "bom": "\ufeff" + POST,
    "four-dashes": POST.replace("---\n", "----\n", 1),
    "no-final-newline": POST.rstrip("\n"),
    "empty-body": "---\ntitle: x\n---\n",
    "empty-body-no-newline": "---\ntitle: x\n---",
    "blank-lines-before-body": "---\ntitle: x\n---\n\n\n# Heading\n",
}


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_unchanged_post_round_trips_byte_for_byte(isolated: Path, name: str) -> None:
    path = isolated / f"{name}.md"
    path.write_bytes(SAMPLES[name].encode("utf-8"))
    post = frontmatter.load(str(path), handler=EnrichHandler())
    assert frontmatter.dumps(post).encode("utf-8") == path.read_bytes()
    out = isolated / "out.md"
    frontmatter.dump(post, str(out))
    assert out.read_bytes() == path.read_bytes()


def test_values_are_read_as_the_sites_build_reads_them(isolated: Path) -> None:
    post = frontmatter.loads(POST, handler=EnrichHandler())
    assert post["title"] == "no"
    assert post["count"] == 12  # YAML 1.2: decimal, not octal
    assert post["date"] == "2024-01-05"  # text, not a date object
    assert post.content == "Body text."


def test_a_changed_value_changes_only_its_line(isolated: Path) -> None:
    (isolated / "enrich.toml").write_text('[profile.format]\nindent = 2\nmirror = {author = "speaker"}\n', encoding="utf-8")
    post = frontmatter.loads(POST, handler=EnrichHandler())
    post["speaker"] = "New"
    post["tags"] = ["a-b", "c", "d"]
    out = frontmatter.dumps(post)
    expected = POST.replace("speaker: 睡前消息", "speaker: New").replace("author: 睡前消息", "author: New")
    assert out == expected.replace("  - c\n", "  - c\n  - d\n")


def test_a_removed_key_rewrites_the_front_matter_through_the_emitter(isolated: Path) -> None:
    post = frontmatter.loads(POST, handler=EnrichHandler())
    del post["count"]
    out = frontmatter.dumps(post)
    assert "count" not in out and "date: '2024-01-05'" in out and out.endswith("---\n\nBody text.\n\n")


def test_a_new_post_is_written_in_the_sites_format(isolated: Path) -> None:
    post = frontmatter.Post("Hello", title="t", tags=["x"], area="no")
    out = frontmatter.dumps(post, handler=EnrichHandler())
    assert out == "---\narea: 'no'\ntags:\n- x\ntitle: t\n---\n\nHello\n"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("---\ntitle: x\n...\nbody\n", "has no closing '---'"),
        ("---\na: 1\na: 2\n---\n", "duplicate key 'a'"),
        ("---\ncontent: x\n---\n", "key 'content' cannot be read"),
        ("---\na: [\n---\n", "invalid YAML"),
    ],
)
def test_posts_enrich_refuses_are_errors_not_content(isolated: Path, text: str, message: str) -> None:
    with pytest.raises(FrontMatterError, match=message):
        frontmatter.loads(text, handler=EnrichHandler())
    path = isolated / "bad.md"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=message):
        enrich_handler.load(path)


def test_no_front_matter_is_all_content(isolated: Path) -> None:
    post = frontmatter.loads("just text\n", handler=EnrichHandler())
    assert post.metadata == {} and post.content == "just text"


def test_one_handler_for_many_posts_keeps_each_apart(isolated: Path) -> None:
    shared = EnrichHandler()
    texts = ["---\ntitle: 'a'\n---\nsame body\n", "---\ntitle:   b\n---\nsame body\n", "---\ntitle: c\n---\nother\n"]
    posts = [frontmatter.loads(t, handler=shared) for t in texts]
    assert [frontmatter.dumps(p) for p in posts] == texts


@pytest.mark.skipif(not (SHARED / "corpus" / "posts").is_dir(), reason="shared corpus absent")
def test_every_corpus_post_round_trips_byte_for_byte() -> None:
    paths = sorted((SHARED / "corpus" / "posts").glob("*.md"))
    assert len(paths) == 1000
    changed = [
        p.name for p in paths if frontmatter.dumps(frontmatter.load(str(p), handler=EnrichHandler())).encode() != p.read_bytes()
    ]
    assert changed == []


def test_the_profile_is_the_one_of_the_posts_site(isolated: Path) -> None:
    site = isolated / "elsewhere"
    (site / "posts").mkdir(parents=True)
    (site / "enrich.toml").write_text("[profile.format]\nindent = 2\n", encoding="utf-8")
    path = site / "posts" / "x.md"
    path.write_text("---\ntitle: x\ntags:\n  - a\n---\nbody\n", encoding="utf-8")
    post = frontmatter.load(str(path), handler=EnrichHandler())
    post["people"] = ["Ada Lovelace"]
    assert "people:\n  - Ada Lovelace\n" in frontmatter.dumps(post)
    assert EnrichHandler().profile.format.indent == 0  # the current folder has no enrich.toml
