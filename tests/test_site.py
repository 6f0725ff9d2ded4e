"""The site: one rule for its root, its config file and the user cache folder, followed by every caller."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from enrich.settings import load_settings
from enrich.site import find_config, site_root, user_cache_dir
from tests.conftest import FIXTURES, run_cli


def test_config_is_the_nearest_enrich_toml_or_pyproject_with_tool_enrich(isolated: Path) -> None:
    assert find_config() is None and site_root() == isolated
    (isolated / "pyproject.toml").write_text('[tool.enrich]\nmodel = "a"\n', encoding="utf-8")
    inner = isolated / "blog"
    inner.mkdir()
    (inner / "pyproject.toml").write_text('[project]\nname = "no-enrich-here"\n', encoding="utf-8")
    found = find_config(inner)
    assert found is not None and found.path == isolated / "pyproject.toml" and found.table == {"model": "a"}
    assert site_root(inner) == isolated
    (inner / "enrich.toml").write_text('model = "b"\n', encoding="utf-8")
    found = find_config(inner)
    assert found is not None and found.path == inner / "enrich.toml" and found.root == inner


def test_enrich_toml_wins_over_pyproject_in_the_same_folder(isolated: Path) -> None:
    (isolated / "pyproject.toml").write_text('[tool.enrich]\nmodel = "a"\n', encoding="utf-8")
    (isolated / "enrich.toml").write_text('model = "b"\n', encoding="utf-8")
    assert load_settings().model == "b"


def test_cache_folder_rule(isolated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tmp = isolated.parent
    assert user_cache_dir() == tmp / "user-cache"  # ENRICH_CACHE_DIR (set by conftest)
    monkeypatch.delenv("ENRICH_CACHE_DIR")
    assert user_cache_dir() == tmp / "xdg-cache" / "enrich"
    (isolated / "enrich.toml").write_text('cache_dir = "site-cache"\n', encoding="utf-8")
    assert user_cache_dir() == Path("site-cache")
    assert user_cache_dir("given") == Path("given")
    monkeypatch.setenv("ENRICH_CACHE_DIR", str(tmp / "env-cache"))
    assert user_cache_dir() == tmp / "env-cache"
    monkeypatch.delenv("ENRICH_CACHE_DIR")
    (isolated / "enrich.toml").unlink()
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp / "home"))
    assert user_cache_dir() == tmp / "home" / ".cache" / "enrich"


@pytest.mark.parametrize("how", ["environment", "config"])
def test_every_cache_user_follows_the_one_rule(isolated: Path, monkeypatch: pytest.MonkeyPatch, how: str) -> None:
    """Endpoint capabilities, check's vocabulary index and jieba's cache all land in the same folder.

    Before, offline drafting ignored ENRICH_CACHE_DIR and check's index ignored `cache_dir` in enrich.toml.
    """
    from enrich.offline import keywords as offline

    wanted = isolated / "one-cache"
    monkeypatch.delenv("ENRICH_CACHE_DIR")
    if how == "environment":
        monkeypatch.setenv("ENRICH_CACHE_DIR", str(wanted))
    else:
        (isolated / "enrich.toml").write_text(f'cache_dir = "{wanted}"\n', encoding="utf-8")
    assert load_settings().user_cache_dir == wanted
    assert offline._cache_dir() == wanted
    shutil.copytree(FIXTURES / "vocab" / "posts", isolated / "content")
    assert run_cli("vocab", "build", "content").exit_code == 0
    run_cli("check", "content")
    assert list(wanted.glob("vocab-index-*.json"))
