"""Typed settings for one run: flag > environment > enrich.toml / [tool.enrich] > default.

Every setting is an explicit field, so call sites need no casts, and each remembers its origin so
messages can say why a value is what it is. Every table of the config is checked: an unknown key
or a value of the wrong type is a ConfigError naming the key and the file (exit 4). The API key is
read from the environment only (or from the variable `api_key_env` names): a key never sits in a
file enrich reads or writes, and it is kept out of `repr`. Stdlib only.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar, get_args
from urllib.parse import urlsplit

from enrich import site
from enrich.errors import ConfigError

ResponseFormat = Literal["auto", "json_schema", "json_object", "text"]
RESPONSE_FORMATS: tuple[str, ...] = get_args(ResponseFormat)
T = TypeVar("T")
DEFAULT_MODEL = "gpt-4.1-mini"
DEFAULT_BASE_URL = "https://api.openai.com/v1"

NO_ENDPOINT_HELP = (
    "no model endpoint configured: set OPENAI_API_KEY for OpenAI, or pass --base-url "
    "(e.g. http://localhost:11434/v1 for Ollama, http://localhost:8000/v1 for vLLM, "
    "http://localhost:8080/v1 for llama.cpp) or set base_url in enrich.toml"
)


@dataclass(frozen=True)
class BatchSettings:
    """The `[batch]` table: defaults for `enrich batch`, `review`, `approve` and `status`."""

    jobs: int | None = None  # requests in flight at once
    inbox: Path | None = None  # the folder `enrich status` looks at
    to: Path | None = None  # where approved posts go


@dataclass(frozen=True)
class Settings:
    """The effective settings of one run, each with its origin (flag, environment, file or default)."""

    base_url: str | None = None
    model: str = DEFAULT_MODEL
    out: Path = Path("drafts")
    api_key_env: str = "OPENAI_API_KEY"
    api_version: str | None = None  # set for Azure OpenAI
    timeout: float = 120.0  # seconds per request
    deadline: float = 600.0  # seconds per file, all calls and waits included
    max_attempts: int = 4  # per request, for 429 / 5xx / timeouts
    temperature: float = 0.2
    max_output_tokens: int = 2000
    max_input_tokens: int | None = None  # None: the model's known context window
    rpm: float | None = None  # requests per minute the endpoint allows; None: learned from its headers
    tpm: float | None = None  # tokens per minute (prompt plus answer room); None: learned from its headers
    response_format: ResponseFormat = "auto"
    prompts_dir: Path | None = None  # None: .enrich/prompts in the site
    cache_dir: Path | None = None  # None: the user cache folder's default (site.user_cache_dir)
    prices: dict[str, tuple[float, float]] = field(default_factory=dict)  # model -> USD per million in, out
    batch: BatchSettings = field(default_factory=BatchSettings)
    api_key: str | None = field(default=None, repr=False, compare=False)
    config_path: Path | None = None
    site_root: Path = field(default_factory=Path.cwd)
    origins: dict[str, str] = field(default_factory=dict, compare=False)

    def origin(self, name: str) -> str:
        """Where a setting came from: "flag", "environment VAR", the config file, or "default"."""
        return self.origins.get(name, "default")

    @property
    def has_endpoint(self) -> bool:
        return bool(self.base_url or self.api_key)

    @property
    def endpoint_host(self) -> str:
        return urlsplit(self.base_url or DEFAULT_BASE_URL).hostname or "unknown"

    @property
    def user_cache_dir(self) -> Path | None:
        return site.user_cache_dir(self.cache_dir, start=self.site_root)

    @property
    def prompt_overrides(self) -> Path:
        """The folder whose prompt files replace the bundled ones."""
        return self.prompts_dir if self.prompts_dir is not None else self.site_root / ".enrich" / "prompts"

    def described(self) -> dict[str, tuple[object, str]]:
        """Each setting as (value, origin) for `enrich profile`; of the API key, only whether it is set."""
        rows: dict[str, tuple[object, str]] = {}
        for f in dataclasses.fields(self):
            if f.name in _SCALARS or f.name in ("prices", "batch"):
                value = getattr(self, f.name)
                value = dataclasses.asdict(value) if f.name == "batch" else value
                rows[f.name] = (_plain(value), self.origin(f.name))
        rows["api_key"] = ("set" if self.api_key else "not set", f"environment {self.api_key_env}")
        return rows


def _plain(value: object) -> object:
    """Paths as text, tables as plain dicts: what `enrich profile` prints and writes as JSON."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return list(value)
    return str(value) if isinstance(value, Path) else value


# -- reading values ---------------------------------------------------------------------------------


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError("a string")
    return value


def _path(value: object) -> Path:
    if isinstance(value, Path):
        return value
    if not _text(value):
        raise TypeError("a path, not empty")
    return Path(_text(value))


def _integer(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise TypeError("a whole number")
    try:
        return int(value)
    except ValueError:
        raise TypeError("a whole number") from None


def _number(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise TypeError("a number")
    try:
        return float(value)
    except ValueError:
        raise TypeError("a number") from None


def _per_minute(value: object) -> float:
    number = _number(value)
    if not number > 0:
        raise TypeError("a number above 0 (per minute)")
    return number


def _response_format(value: object) -> str:
    if not isinstance(value, str) or value not in RESPONSE_FORMATS:
        raise TypeError(f"one of {', '.join(RESPONSE_FORMATS)}")
    return value


# setting -> (environment variable, parser); the defaults are the dataclass's own
_SCALARS: dict[str, tuple[str | None, Callable[[object], object]]] = {
    "base_url": ("OPENAI_BASE_URL", _text),
    "model": ("ENRICH_MODEL", _text),
    "out": ("ENRICH_OUT", _path),
    "api_key_env": (None, _text),
    "api_version": ("OPENAI_API_VERSION", _text),
    "timeout": ("ENRICH_TIMEOUT", _number),
    "deadline": ("ENRICH_DEADLINE", _number),
    "max_attempts": ("ENRICH_MAX_ATTEMPTS", _integer),
    "temperature": ("ENRICH_TEMPERATURE", _number),
    "max_output_tokens": ("ENRICH_MAX_OUTPUT_TOKENS", _integer),
    "max_input_tokens": ("ENRICH_MAX_INPUT_TOKENS", _integer),
    "rpm": ("ENRICH_RPM", _per_minute),
    "tpm": ("ENRICH_TPM", _per_minute),
    "response_format": ("ENRICH_RESPONSE_FORMAT", _response_format),
    "prompts_dir": ("ENRICH_PROMPTS_DIR", _path),
    "cache_dir": (site.CACHE_ENV, _path),
}
_TABLES = ("prices", "batch", "profile")  # profile: read and checked by enrich.profile
_REMOVED = {"vocab": "nothing ever read the [vocab] table; the vocabulary is .enrich/vocab.yaml"}


def _parse(name: str, value: object, parser: Callable[[object], T], origin: str, config: site.SiteConfig | None) -> T:
    """The value as its setting's type; a wrong one is a ConfigError naming the setting and where it came from."""
    try:
        return parser(value)
    except TypeError as exc:
        if config is not None:
            raise ConfigError(f"{config.prefix}{name} must be {exc}, got {value!r}", path=str(config.path)) from None
        raise ConfigError(f"setting {name} from {origin} must be {exc}, got {value!r}") from None


def _table(config: site.SiteConfig, name: str) -> dict[str, Any]:
    value = config.table.get(name, {})
    if not isinstance(value, dict):
        raise ConfigError(f"{config.prefix}{name} must be a table, got {value!r}", path=str(config.path))
    return value


def _prices(config: site.SiteConfig) -> dict[str, tuple[float, float]]:
    """`[prices] "model" = { input = USD, output = USD }` per million tokens, or `"model" = [input, output]`."""
    prices: dict[str, tuple[float, float]] = {}
    for model, spec in _table(config, "prices").items():
        if isinstance(spec, dict):
            site.refuse_unknown(set(spec) - {"input", "output"}, f'{config.prefix}prices."{model}".', config.path)
            pair = [spec.get("input"), spec.get("output")]
        else:
            pair = list(spec) if isinstance(spec, list) else []
        numbers = [float(v) for v in pair if isinstance(v, int | float) and not isinstance(v, bool)]
        if len(numbers) != 2 or len(pair) != 2:
            raise ConfigError(
                f'{config.prefix}prices."{model}": expected {{ input = USD, output = USD }} per million tokens, got {spec!r}',
                path=str(config.path),
            )
        prices[str(model)] = (numbers[0], numbers[1])
    return prices


def _batch(config: site.SiteConfig) -> BatchSettings:
    table = _table(config, "batch")
    site.refuse_unknown(set(table) - {f.name for f in dataclasses.fields(BatchSettings)}, f"{config.prefix}batch.", config.path)
    jobs = table.get("jobs")
    if jobs is not None and (isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1):
        raise ConfigError(f"{config.prefix}batch.jobs must be a whole number of at least 1, got {jobs!r}", path=str(config.path))
    inbox, to = (_parse(f"batch.{k}", table[k], _path, "", config) if k in table else None for k in ("inbox", "to"))
    return BatchSettings(jobs=jobs, inbox=inbox, to=to)


def load_settings(flags: Mapping[str, object] | None = None, start: Path | None = None) -> Settings:
    """Resolve every setting; `flags` holds command-line values by setting name (None: not given)."""
    given = {k: v for k, v in (flags or {}).items() if v is not None}
    stray = set(given) - set(_SCALARS) - {"api_key"}
    if stray:
        raise TypeError(f"not settings: {', '.join(sorted(stray))}")  # a bug in the caller, not the user's
    config = site.find_config(start)
    table = config.table if config is not None else {}
    values: dict[str, Any] = {}  # each checked by its parser above
    origins: dict[str, str] = {}
    if config is not None:
        site.refuse_unknown(set(table) - set(_SCALARS) - set(_TABLES), config.prefix, config.path, _REMOVED)
        values["prices"], values["batch"] = _prices(config), _batch(config)
        origins.update({name: str(config.path) for name in ("prices", "batch") if name in table})
    for name, (env, parser) in _SCALARS.items():
        if name in given:
            values[name], origins[name] = _parse(name, given[name], parser, "flag", None), "flag"
        elif env and os.environ.get(env):
            origin = f"environment {env}"
            values[name], origins[name] = _parse(name, os.environ[env], parser, origin, None), origin
        elif config is not None and name in table:
            values[name], origins[name] = _parse(name, table[name], parser, "", config), str(config.path)
    key_env = values.get("api_key_env", Settings.api_key_env)
    flag_key = given.get("api_key")
    api_key = (flag_key if isinstance(flag_key, str) else None) or os.environ.get(str(key_env)) or None
    if api_key:
        from enrich.redact import register_secret

        register_secret(api_key)
    defaults = Settings(site_root=site.site_root(start, config))
    config_path = config.path if config is not None else None
    return dataclasses.replace(defaults, **values, api_key=api_key, config_path=config_path, origins=origins)
