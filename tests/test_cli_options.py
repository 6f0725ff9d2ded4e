"""The options `enrich draft` and `enrich batch` share are one definition, and both commands read them alike."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path
from typing import Any

import click
import pytest

from enrich.cli.options import DraftingOptions
from enrich.errors import EnrichError, ExitStatus
from tests.conftest import run_cli

SHARED = [
    "--out", "o",
    "--model", "m-1",
    "--base-url", "http://127.0.0.1:9/v1",
    "--api-version", "2024-10-21",
    "--response-format", "json_object",
    "--timeout", "7",
    "--deadline", "9",
    "--max-input-tokens", "1234",
    "--offline",
    "--profile", "p.toml",
]  # fmt: skip


def _options(command_name: str) -> dict[str, click.Parameter]:
    from enrich.cli import main

    command = main.get_command(click.Context(main), command_name)
    assert command is not None
    return {p.name: p for p in command.params if p.name}


def test_draft_and_batch_take_the_same_drafting_options() -> None:
    names = [f.name for f in fields(DraftingOptions)]
    draft, batch = _options("draft"), _options("batch")
    for name in names:
        assert draft[name].to_info_dict() == batch[name].to_info_dict(), name  # flags, type, default, help
    assert "drafting" not in draft and "drafting" not in batch  # the grouped value is not an option itself


class Captured(EnrichError):
    """Stops a command right after it built its settings."""


def test_both_commands_read_the_shared_options_into_the_same_settings(isolated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import enrich.draft.build

    (isolated / "p.toml").write_text("", encoding="utf-8")
    (isolated / "inbox").mkdir()
    (isolated / "a.txt").write_text("hello", encoding="utf-8")
    seen: list[dict[str, Any]] = []

    def build_drafter(settings: Any, *, profile_file: Path | None = None, backend: str = "auto", **_: Any) -> Any:
        seen.append({"settings": settings, "profile_file": profile_file, "backend": backend})
        raise Captured("captured")

    monkeypatch.setattr(enrich.draft.build, "build_drafter", build_drafter)
    assert run_cli("draft", "a.txt", *SHARED).exit_code == ExitStatus.FINDINGS
    assert run_cli("batch", "inbox", *SHARED).exit_code == ExitStatus.FINDINGS
    draft, batch = seen
    assert draft == batch
    assert draft["backend"] == "offline" and draft["profile_file"] == Path("p.toml")
    settings = draft["settings"]
    assert settings.model == "m-1" and settings.max_input_tokens == 1234 and settings.out == Path("o")
    assert settings.timeout == 7.0 and settings.response_format == "json_object"


def test_a_bad_shared_option_is_a_usage_error_for_both() -> None:
    for args in (["draft", "a.txt"], ["batch", "inbox"]):
        result = run_cli(*args, "--response-format", "yaml")
        assert result.exit_code == ExitStatus.USAGE and "--response-format" in result.output
