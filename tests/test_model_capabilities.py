"""What endpoints accept, remembered on disk: learnt once, kept across runs, never a reason to fail."""

from __future__ import annotations

import json
from pathlib import Path

from enrich.model.capabilities import FILE_NAME, Capabilities

ENDPOINT = "api.example.com|some-model"


def test_a_fresh_endpoint_gets_the_strictest_request() -> None:
    caps = Capabilities(None)
    assert caps.response_format(ENDPOINT) == "json_schema"
    assert caps.token_param(ENDPOINT) == "max_tokens" and caps.takes_temperature(ENDPOINT)


def test_what_was_learnt_is_remembered_across_runs(tmp_path: Path) -> None:
    caps = Capabilities.in_folder(tmp_path)
    caps.remember_response_format(ENDPOINT, "json_object")
    caps.switch_token_param(ENDPOINT, "max_tokens")
    caps.drop_temperature(ENDPOINT)
    again = Capabilities(tmp_path / FILE_NAME)
    assert again.response_format(ENDPOINT) == "json_object"
    assert again.token_param(ENDPOINT) == "max_completion_tokens" and not again.takes_temperature(ENDPOINT)
    assert again.response_format("other|model") == "json_schema"  # per endpoint
    again.switch_token_param(ENDPOINT, "max_completion_tokens")
    assert again.token_param(ENDPOINT) == "max_tokens"


def test_a_damaged_file_is_ignored(tmp_path: Path) -> None:
    path = tmp_path / FILE_NAME
    path.write_text("{not json", encoding="utf-8")
    assert Capabilities(path).response_format(ENDPOINT) == "json_schema"
    path.write_text(json.dumps({ENDPOINT: {"response_format": "yaml", "token_param": 3}, "x": "y"}), encoding="utf-8")
    caps = Capabilities(path)
    assert caps.response_format(ENDPOINT) == "json_schema" and caps.token_param(ENDPOINT) == "max_tokens"
    assert caps.response_format("x") == "json_schema"


def test_a_folder_that_cannot_be_written_never_fails_a_draft(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("", encoding="utf-8")
    caps = Capabilities(blocker / FILE_NAME)  # its folder is a file: every write fails
    caps.remember_response_format(ENDPOINT, "text")
    assert caps.response_format(ENDPOINT) == "text"  # still remembered for this run
