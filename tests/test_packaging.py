"""The wheel ships every package, the prompts and the default profile (checked without building it)."""

from __future__ import annotations

import tomllib

from tests.conftest import REPO


def test_packages_are_found_not_listed() -> None:
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    assert "packages" not in config or "find" in config["packages"], "packages are found by setuptools, not hand-kept"
    assert config["packages"]["find"]["include"] == ["enrich", "enrich.*"]
    # setuptools' find only sees folders with an __init__.py: a folder of modules without one would not ship
    for folder in (REPO / "enrich").rglob("*"):
        if folder.is_dir() and folder.name != "__pycache__" and any(folder.glob("*.py")):
            assert (folder / "__init__.py").is_file(), f"{folder.relative_to(REPO)} has modules but no __init__.py"


def test_prompts_and_default_profile_ship_inside_the_package() -> None:
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    prompts = {p.name for p in (REPO / "enrich" / "prompts").glob("*.md")}
    assert {"draft-system.md", "draft-user.md", "chunk-system.md", "merge-user.md", "repair-user.md"} <= prompts
    assert (REPO / "enrich" / "prompts" / "prompts.toml").is_file()
    assert (REPO / "enrich" / "profiles" / "default.toml").is_file()
    assert "*.md" in config["package-data"]["enrich.prompts"] and "*.toml" in config["package-data"]["enrich.profiles"]
