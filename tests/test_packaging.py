"""The wheel ships every package, the prompts and the default profile (checked without building it)."""

from __future__ import annotations

import tomllib

from tests.conftest import REPO


def test_every_package_is_listed_in_pyproject() -> None:
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    listed = set(config["packages"])
    found = {".".join(p.parent.relative_to(REPO).parts) for p in (REPO / "enrich").rglob("__init__.py")}
    assert found <= listed, f"add to [tool.setuptools] packages: {sorted(found - listed)}"
    assert config["package-dir"]["enrich.prompts"] == "prompts"
    prompts = {p.name for p in (REPO / "prompts").glob("*.md")}
    assert {"draft-system.md", "draft-user.md", "chunk-system.md", "merge-user.md", "repair-user.md"} <= prompts
    assert "*.md" in config["package-data"]["enrich.prompts"] and "*.toml" in config["package-data"]["enrich.profiles"]
