"""The profile: defaults reproduce the sample format; sites override parts; origins are recorded."""

from __future__ import annotations

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
