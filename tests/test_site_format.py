"""The site's own format: [profile.format] in the one emitter, `enrich init` learning it, check's format rules."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from enrich.check.checker import check_paths
from enrich.errors import ConfigError
from enrich.frontmatter.emit import dump_front_matter, entry
from enrich.frontmatter.yaml12 import load_data
from enrich.profile import describe_profile, load_profile
from tests.conftest import SHARED, run_cli

NEW_STYLE = """\
author: 睡前消息
date: '2026-03-02'
guest: ''
layout: post.njk
source: https://www.youtube.com/watch?v=abc
speaker: 睡前消息
tags:
  - ai-policy
  - chips
  - trade
title: 芯片出口管制的新一轮博弈
summary: 本期节目讨论美国对华芯片出口管制的最新变化，以及它对中国半导体产业、全球供应链和人工智能竞争格局的长期影响。
insight: ''
draft: true
series: ''
category: geopolitics
area: geopolitics
project: []
people: []
companies_orgs:
  - Nvidia
products_models: []
media_books: []
status: evergreen
"""
ORDER = [line.split(":")[0] for line in NEW_STYLE.splitlines() if not line.startswith(" ")]


def _site(site: Path, format_table: str) -> None:
    order = ", ".join(f'"{k}"' for k in ORDER)
    (site / "enrich.toml").write_text(f"[profile]\nkey_order = [{order}]\n\n[profile.format]\n{format_table}\n", encoding="utf-8")


def _posts(folder: Path, count: int, text: str, start: int = 1) -> None:
    folder.mkdir(exist_ok=True)
    for i in range(start, start + count):
        body = text.replace("2026-03-02", f"2026-03-{i:02d}").replace("睡前消息", f"频道{i % 4}")
        (folder / f"p{i}.md").write_text(f"---\n{body}---\n正文 {i}\n", encoding="utf-8")


def test_default_profile_keeps_todays_format(isolated: Path) -> None:
    profile = load_profile()
    text = dump_front_matter(load_data(NEW_STYLE), profile)
    assert text.startswith("area: geopolitics\ncategory: geopolitics\ncompanies_orgs:\n- Nvidia\n")
    assert "\n  - " not in text


def test_learned_format_writes_the_site_bytes(isolated: Path) -> None:
    _site(isolated, 'indent = 2\nquote = "single"\nmirror = {author = "speaker"}')
    profile = load_profile()
    values = load_data(NEW_STYLE)
    assert dump_front_matter(values, profile) == NEW_STYLE
    del values["author"]  # a draft has no author: the mirror writes it from the speaker
    assert dump_front_matter(values, profile) == NEW_STYLE
    values["author"] = "Lei"  # a person's own author is kept
    assert "author: Lei\n" in dump_front_matter(values, profile)


def test_double_quotes_and_always_quoted_keys(isolated: Path) -> None:
    _site(isolated, 'quote = "double"\nquoted = {area = "double"}')
    fmt = load_profile().format
    assert entry("date", "2026-03-02", fmt) == 'date: "2026-03-02"\n'
    assert entry("area", "geopolitics", fmt) == 'area: "geopolitics"\n'
    assert entry("guest", "", fmt) == 'guest: ""\n'
    assert entry("title", "plain text", fmt) == "title: plain text\n"


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ("indent = 4", "profile.format.indent must be 0 or 2"),
        ('quote = "back"', "profile.format.quote must be one of single, double"),
        ("colour = 1", "unknown setting profile.format.colour"),
        ('mirror = {a = "b", b = "c"}', "must not chain"),
    ],
)
def test_bad_format_settings_name_the_key(isolated: Path, table: str, message: str) -> None:
    _site(isolated, table)
    with pytest.raises(ConfigError, match=message):
        load_profile()


def test_approval_line_edit_indents_and_mirrors(isolated: Path) -> None:
    from enrich.frontmatter.edit import Edits, apply, set_entry
    from enrich.frontmatter.split import parse_block
    from enrich.frontmatter.yaml12 import load_yaml

    _site(isolated, 'indent = 2\nmirror = {author = "speaker"}')
    profile = load_profile()
    data = f"---\n{NEW_STYLE}---\nbody\n".encode()
    block = parse_block(data)
    assert block is not None
    edits = Edits(block)
    loaded = load_yaml(block.text)
    assert set_entry(edits, loaded, "speaker", "New Channel", profile)
    assert set_entry(edits, loaded, "people", ["Jensen Huang"], profile)
    out = apply(data, edits).decode()
    assert "author: New Channel\n" in out and "speaker: New Channel\n" in out
    assert "people:\n  - Jensen Huang\n" in out


def test_init_learns_writes_and_refuses_to_overwrite(isolated: Path) -> None:
    posts = isolated / "posts"
    _posts(posts, 9, NEW_STYLE)
    old = NEW_STYLE.replace("author: 睡前消息\n", "").replace("  - ", "- ").replace("category: geopolitics", "category: oddity")
    _posts(posts, 1, old, start=20)
    result = run_cli("init", "posts")
    assert result.exit_code == 0, result.output
    assert "list indentation: 2 spaces  [9 of 10 recent posts with lists indent items" in result.output
    assert "mirrored: author = speaker  [9 of 9 recent posts with both" in result.output
    assert "suspects (not members): oddity 1" in result.output
    config = tomllib.loads((isolated / "enrich.toml").read_text(encoding="utf-8"))["profile"]
    assert config["format"] == {"indent": 2, "quote": "single", "quoted": {}, "mirror": {"author": "speaker"}}
    assert config["key_order"][:2] == ["author", "date"]
    assert "oddity" not in config["fields"]["category"]["enum"]
    assert config["severity"]["format-indent"] == "warning"
    shown = describe_profile()
    assert "format: list items indented by 2 (  - x)" in shown
    assert "  format.indent: 9 of 10 recent posts with lists indent items by two spaces" in shown
    again = run_cli("init", "posts")
    assert again.exit_code == 4 and "already exists" in again.output
    assert run_cli("init", "posts", "--force").exit_code == 0
    findings = check_paths([str(posts)], load_profile())
    rules = {(Path(f.path).name, f.rule, f.severity) for f in findings if f.rule.startswith("format-")}
    assert rules == {("p20.md", "format-indent", "warning")}


def test_format_rules_report_order_indent_and_quotes(isolated: Path) -> None:
    _site(isolated, "indent = 2")
    (isolated / "enrich.toml").write_text(
        (isolated / "enrich.toml").read_text(encoding="utf-8") + '\n[profile.severity]\nformat-order = "warning"\n'
        'format-indent = "error"\nformat-quote = "warning"\n',
        encoding="utf-8",
    )
    text = (
        NEW_STYLE.replace("area: geopolitics\n", "")
        .replace("date:", 'area: "geopolitics"\ndate:')
        .replace("  - Nvidia", "- Nvidia")
    )
    post = isolated / "x.md"
    post.write_text(f"---\n{text}---\n", encoding="utf-8")
    found = {(f.rule, f.severity, f.line) for f in check_paths([str(post)], load_profile()) if f.rule.startswith("format-")}
    assert found == {("format-order", "warning", 4), ("format-quote", "warning", 3), ("format-indent", "error", 22)}


@pytest.mark.skipif(not (SHARED / "corpus" / "posts").is_dir(), reason="shared corpus absent")
def test_learned_profile_rewrites_current_posts_as_they_are(isolated: Path) -> None:
    from enrich.frontmatter.split import split_text
    from enrich.learn.learn import learn
    from enrich.learn.write import render_toml

    posts = SHARED / "corpus" / "posts"
    (isolated / "enrich.toml").write_text(render_toml(learn(posts, load_profile())), encoding="utf-8")
    profile = load_profile()
    same = total = 0
    for path in sorted(posts.glob("*.md")):
        parts = split_text(path.read_text(encoding="utf-8"))
        if parts is not None and parts.block.lines and parts.block.lines[0].startswith("author:"):
            total += 1
            same += dump_front_matter(load_data(parts.block.text), profile) == parts.block.text + "\n"
    assert total == 642
    assert same >= 630


def test_fix_quotes_in_the_sites_quotes(isolated: Path) -> None:
    from enrich.check.fixer import Fixer
    from enrich.vocab.index import VocabFinder

    _site(isolated, 'quote = "double"')
    text = NEW_STYLE.replace("series: ''", "series: no")
    result = Fixer(load_profile(), VocabFinder(enabled=False)).fix_bytes("x.md", f"---\n{text}---\n".encode())
    assert b'series: "no"\n' in result.fixed
