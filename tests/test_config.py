"""Settings: typed fields, one precedence (flag > environment > file > default), and every table checked.

An unknown key in any table of enrich.toml, [tool.enrich] or a --profile file, and a value of the
wrong type, is a configuration error (exit 4) that names the key and the file.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from enrich.errors import ConfigError, ExitStatus
from enrich.profile import load_profile
from enrich.settings import BatchSettings, Settings, load_settings
from tests.conftest import FIXTURES, run_cli


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


# -- typed values and precedence ------------------------------------------------------------------


def test_defaults_are_typed_values(isolated: Path) -> None:
    settings = load_settings()
    assert settings.model == "gpt-4.1-mini" and settings.out == Path("drafts")
    assert settings.timeout == 120.0 and settings.deadline == 600.0 and settings.max_attempts == 4
    assert settings.max_input_tokens is None and settings.response_format == "auto"
    assert settings.prices == {} and settings.batch == BatchSettings()
    assert settings.site_root == isolated and settings.config_path is None
    assert settings.origin("model") == "default"


def test_flag_beats_environment_beats_file_beats_default(isolated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = write(isolated / "enrich.toml", 'model = "from-file"\ntimeout = 30\nmax_attempts = 2\nout = "posts"\n')
    monkeypatch.setenv("ENRICH_MODEL", "from-env")
    monkeypatch.setenv("ENRICH_TIMEOUT", "45.5")
    settings = load_settings({"model": "from-flag", "timeout": None})
    assert settings.model == "from-flag" and settings.origin("model") == "flag"
    assert settings.timeout == 45.5 and settings.origin("timeout") == "environment ENRICH_TIMEOUT"
    assert settings.max_attempts == 2 and settings.origin("max_attempts") == str(config)
    assert settings.out == Path("posts") and isinstance(settings.out, Path)
    assert settings.deadline == 600.0 and settings.origin("deadline") == "default"


def test_tables_are_typed(isolated: Path) -> None:
    write(
        isolated / "enrich.toml",
        '[prices]\n"my-local" = { input = 0.5, output = 1 }\n"other" = [1, 2.5]\n'
        '[batch]\njobs = 8\ninbox = "incoming"\nto = "content/notes"\n',
    )
    settings = load_settings()
    assert settings.prices == {"my-local": (0.5, 1.0), "other": (1.0, 2.5)}
    assert settings.batch == BatchSettings(jobs=8, inbox=Path("incoming"), to=Path("content/notes"))


def test_pyproject_tool_enrich_and_site_root_above(isolated: Path) -> None:
    write(isolated / "pyproject.toml", '[project]\nname = "site"\n[tool.enrich]\nmodel = "llama3"\n')
    deep = isolated / "content" / "posts"
    deep.mkdir(parents=True)
    settings = load_settings(start=deep)
    assert settings.model == "llama3" and settings.site_root == isolated
    assert settings.config_path == isolated / "pyproject.toml"


def test_api_key_comes_from_the_named_variable_and_stays_out_of_repr(isolated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(isolated / "enrich.toml", 'api_key_env = "AZURE_OPENAI_API_KEY"\n')
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", "sk-azure-SECRET-999")
    settings = load_settings()
    assert settings.api_key == "sk-azure-SECRET-999" and settings.has_endpoint
    assert "SECRET" not in repr(settings)
    assert settings.endpoint_host == "api.openai.com"


def test_settings_are_frozen() -> None:
    with pytest.raises(AttributeError):
        Settings().model = "x"  # type: ignore[misc]


def test_a_flag_that_is_no_setting_is_a_bug_not_a_user_error() -> None:
    with pytest.raises(TypeError, match="not settings: modle"):
        load_settings({"modle": "x"})


# -- wrong types -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("toml", "named"),
    [
        ('timeout = "soon"\n', "timeout must be a number"),
        ("max_attempts = 2.5\n", "max_attempts must be a whole number"),
        ("model = 4\n", "model must be a string"),
        ("timeout = true\n", "timeout must be a number"),
        ('response_format = "yaml"\n', "response_format must be one of auto, json_schema, json_object, text"),
        ('[batch]\njobs = "many"\n', "batch.jobs must be a whole number"),
        ("[batch]\njobs = 0\n", "batch.jobs must be a whole number of at least 1"),
        ('[prices]\n"m" = { input = "cheap", output = 1 }\n', 'prices."m": expected { input = USD, output = USD }'),
        ('batch = "x"\n', "batch must be a table"),
    ],
)
def test_wrong_types_in_the_file_name_the_setting_and_the_file(isolated: Path, toml: str, named: str) -> None:
    config = write(isolated / "enrich.toml", toml)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert named in caught.value.message and caught.value.path == str(config)


def test_wrong_type_in_the_environment_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENRICH_MAX_INPUT_TOKENS", "lots")
    with pytest.raises(ConfigError, match="max_input_tokens from environment ENRICH_MAX_INPUT_TOKENS must be a whole number"):
        load_settings()


# -- unknown keys in every table ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("toml", "key"),
    [
        ('modle = "x"\n', "modle"),
        ("[batch]\njbos = 4\n", "batch.jbos"),
        ('[prices]\n"m" = { input = 1, ouput = 2 }\n', 'prices."m".ouput'),
        ('[vocab]\nfile = "x.yaml"\n', "vocab"),  # a table nothing ever read
    ],
)
def test_unknown_settings_keys_name_the_key_and_the_file(isolated: Path, toml: str, key: str) -> None:
    config = write(isolated / "enrich.toml", toml)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert caught.value.message.startswith(f"unknown setting {key}") and caught.value.path == str(config)


@pytest.mark.parametrize(
    ("toml", "key"),
    [
        ('[profile]\nlangauge = "en"\n', "profile.langauge"),
        ('[profile.severty]\nlength = "off"\n', "profile.severty"),
        ('[profile.severity]\nlenght = "off"\n', "profile.severity.lenght"),
        ('[profile.fields.area]\nenum_values = ["a"]\n', "profile.fields.area.enum_values"),
        ('[profile.fields.newkey]\ntype = "string"\nrequierd = true\n', "profile.fields.newkey.requierd"),
        ("[profile.approval]\ndrafts = false\n", "profile.approval.drafts"),
        ('[profile]\nempty_string = ""\n', "profile.empty_string"),  # a setting nothing ever read
    ],
)
def test_unknown_profile_keys_name_the_key_and_the_file(isolated: Path, toml: str, key: str) -> None:
    config = write(isolated / "enrich.toml", toml)
    with pytest.raises(ConfigError) as caught:
        load_profile()
    assert caught.value.message.startswith(f"unknown setting {key}") and caught.value.path == str(config)


def test_unknown_keys_in_pyproject_are_spelled_as_in_pyproject(isolated: Path) -> None:
    config = write(isolated / "pyproject.toml", '[tool.enrich.profile.fields.area]\nenum_values = ["a"]\n[tool.enrich.batch]\n')
    with pytest.raises(ConfigError, match=r"unknown setting tool\.enrich\.profile\.fields\.area\.enum_values") as caught:
        load_profile()
    assert caught.value.path == str(config)
    write(config, "[tool.enrich.batch]\njbos = 2\n")
    with pytest.raises(ConfigError, match=r"unknown setting tool\.enrich\.batch\.jbos"):
        load_settings()


def test_unknown_keys_in_a_profile_file(isolated: Path) -> None:
    for text, key in [
        ('[severty]\nlength = "off"\n', "severty"),
        ('[fields.area]\nenum_values = ["a"]\n', "fields.area.enum_values"),
    ]:
        profile = write(isolated / "site-profile.toml", text)
        with pytest.raises(ConfigError, match=f"unknown setting {key}") as caught:
            load_profile(profile_file=profile)
        assert caught.value.path == str(profile)


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("[profile.fields.area]\nenum = 3\n", "profile.fields.area.enum must be a list of values, got 3"),
        ('[profile.fields.title]\nmax_length = "80"\n', "profile.fields.title.max_length must be a whole number"),
        ('[profile.fields.title]\nrequired = "yes"\n', "profile.fields.title.required must be true or false"),
        ("[profile.fields.status]\ndefault = 1\n", "profile.fields.status.default must be a string"),
        ('[profile.fields.date]\nfallback = "yesterday"\n', "profile.fields.date.fallback must be one of model, today"),
        ('[profile.severity]\nlength = "loud"\n', "profile.severity.length must be one of error, warning, off"),
        ("[profile]\nlanguage = 5\n", "profile.language must be a string"),
        ('[profile]\nkey_order = "title"\n', "profile.key_order must be a list of keys"),
        ("[profile]\nfields = 3\n", "profile.fields must be a table"),
        ("[profile.fields]\ntitle = 3\n", "profile.fields.title must be a table (or false to remove the field)"),
    ],
)
def test_profile_values_of_the_wrong_type_are_config_errors(isolated: Path, toml: str, message: str) -> None:
    config = write(isolated / "enrich.toml", toml)
    with pytest.raises(ConfigError) as caught:
        load_profile()
    assert message in caught.value.message and caught.value.path == str(config)


# -- what a user sees ---------------------------------------------------------------------------------------


def test_draft_with_a_typo_in_the_config_exits_4_naming_key_and_file(isolated: Path) -> None:
    write(isolated / "enrich.toml", '[profile.fields.area]\nenum_values = ["a"]\n')
    result = run_cli(str(FIXTURES / "zh-rolling.vtt"), "--offline")
    assert result.exit_code == ExitStatus.CONFIG
    assert "enrich.toml: unknown setting profile.fields.area.enum_values" in result.stderr
    assert "Traceback" not in result.stderr and not (isolated / "drafts").exists()


def test_profile_file_typo_and_wrong_type_exit_4_never_internal(isolated: Path) -> None:
    profile = write(isolated / "p.toml", '[severty]\nlength = "off"\n')
    result = run_cli(str(FIXTURES / "zh-rolling.vtt"), "--offline", "--profile", str(profile))
    assert result.exit_code == ExitStatus.CONFIG and "p.toml: unknown setting severty" in result.stderr
    write(profile, "[fields.area]\nenum = 3\n")
    result = run_cli("profile", "--profile", str(profile))
    assert result.exit_code == ExitStatus.CONFIG and "fields.area.enum must be a list" in result.stderr


def test_check_and_batch_report_config_typos_too(isolated: Path) -> None:
    (isolated / "post.md").write_text("---\ntitle: x\n---\n", encoding="utf-8")
    write(isolated / "enrich.toml", '[profile.severty]\nlength = "off"\n')
    result = run_cli("check", "post.md")
    assert result.exit_code == ExitStatus.CONFIG and "unknown setting profile.severty" in result.stderr
    write(isolated / "enrich.toml", "[batch]\njbos = 2\n")
    (isolated / "inbox").mkdir()
    result = run_cli("batch", "inbox", "--offline")
    assert result.exit_code == ExitStatus.CONFIG and "unknown setting batch.jbos" in result.stderr
