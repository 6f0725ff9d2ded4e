"""Shared fixtures: every test runs in an empty site folder with no API keys and its own caches."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from enrich.testing.fakeserver import FakeLLM

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "fixtures"
SHARED = REPO.parent / "shared"


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No keys, no user config, no shared caches: a test sees only what it sets up."""
    for name in list(os.environ):
        if name.startswith(("OPENAI_", "ENRICH_", "AZURE_OPENAI")):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ENRICH_CACHE_DIR", str(tmp_path / "user-cache"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    site = tmp_path / "site"
    site.mkdir()
    monkeypatch.chdir(site)
    return site


@pytest.fixture
def fake_llm(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeLLM]:
    with FakeLLM() as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test-SECRET-0123456789abcdef")
        yield server


def run_cli(*args: str, input: str | None = None) -> Result:
    """Run the enrich CLI in-process, as a user would type it."""
    from enrich.cli import main

    return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)
