"""The profile: defaults reproduce the sample format; sites override parts; origins are recorded."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from enrich.errors import ConfigError
from enrich.profile import load_profile
from enrich.validate import validate_front_matter
from tests.conftest import SHARED, run_cli


def test_default_profile_accepts_the_approved_sample() -> None:
    sample = SHARED / "samples" / "approved-post.md"
    if not sample.exists():
        pytest.skip("shared samples absent")
    import yaml

    text = sample.read_text(encoding="utf-8")
    values = yaml.safe_load(text.split("---\n")[1])
    assert validate_front_matter(values, load_profile()) == []


def test_site_overrides_in_enrich_toml(isolated: Path) -> None:
    (isolated / "enrich.toml").write_text(
        'model = "llama3"\n[profile]\nlanguage = "en"\nlanguage_name = "English"\n'
        '[profile.fields.area]\nenum = ["tech", "life"]\n[profile.severity]\nlength = "off"\n',
        encoding="utf-8",
    )
    profile = load_profile()
    assert profile.language == "en" and profile.fields["area"].enum == ("tech", "life")
    assert profile.origins["fields.area.enum"].endswith("enrich.toml")
    assert profile.origins["fields.title.max_length"] == "default profile"
    assert profile.rule_severity("length") == "off"


def test_pyproject_tool_enrich_table(isolated: Path) -> None:
    (isolated / "pyproject.toml").write_text('[tool.enrich.profile]\nname = "my-site"\n', encoding="utf-8")
    assert load_profile().name == "my-site"


def test_bad_profile_settings_are_config_errors(isolated: Path) -> None:
    (isolated / "enrich.toml").write_text('[profile.fields.title]\ntype = "number"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="type must be one of"):
        load_profile()
    (isolated / "enrich.toml").write_text('[profile.names]\nungrounded = "maybe"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"profile\.names\.ungrounded must be one of drop, keep"):
        load_profile()
    (isolated / "enrich.toml").write_text("[profile.names]\nfrom_vocab = true\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"unknown setting profile\.names\.from_vocab"):
        load_profile()
    (isolated / "enrich.toml").write_text("[profile\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="invalid TOML"):
        load_profile()


def test_profile_command_shows_origins(isolated: Path) -> None:
    (isolated / "enrich.toml").write_text("[profile.fields.title]\nmax_length = 60\n", encoding="utf-8")
    result = run_cli("profile")
    assert result.exit_code == 0
    line = next(x for x in result.output.splitlines() if x.strip().startswith("title:"))
    assert "length 4-60" in line and "enrich.toml" in line and "default profile" in line
    assert '"max_length": 60' in run_cli("profile", "--json").output


def test_removing_a_field(isolated: Path) -> None:
    (isolated / "enrich.toml").write_text("[profile.fields]\ninsight = false\n", encoding="utf-8")
    assert "insight" not in load_profile().fields


def test_profile_command_shows_settings_with_origins_and_never_the_key(isolated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (isolated / "enrich.toml").write_text('model = "qwen2.5:14b"\n[batch]\njobs = 3\n', encoding="utf-8")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-SECRET-0123456789abcdef")
    monkeypatch.setenv("ENRICH_TIMEOUT", "30")
    result = run_cli("profile")
    assert result.exit_code == 0, result.stderr
    assert "  model: qwen2.5:14b  (" in result.output and "enrich.toml)" in result.output
    assert "  timeout: 30.0  (environment ENRICH_TIMEOUT)" in result.output
    assert "  api_key: set  (environment OPENAI_API_KEY)" in result.output and "SECRET" not in result.output
    data = json.loads(run_cli("profile", "--json").output)
    assert data["settings"]["batch"]["value"]["jobs"] == 3 and data["settings"]["deadline"]["origin"] == "default"


def test_removing_a_field_with_remove_and_approval_naming_fields(isolated: Path) -> None:
    (isolated / "enrich.toml").write_text(
        "[profile.fields.insight]\nremove = true\n[profile.approval]\ndraft = false\n", encoding="utf-8"
    )
    profile = load_profile()
    assert "insight" not in profile.fields and profile.approval == {"draft": False}
    (isolated / "enrich.toml").write_text("[profile.fields.insight]\nremove = true\n[profile.approval]\ninsight = 'x'\n")
    with pytest.raises(ConfigError, match=r"unknown setting profile\.approval\.insight"):
        load_profile()
