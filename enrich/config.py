"""Where settings come from: flag > environment > enrich.toml / [tool.enrich] > default.

Each setting remembers its origin so `enrich profile` and error messages can say why a value is what
it is. The API key is read from the environment only (or from the variable the config names in
`api_key_env`): a key never sits in a file enrich reads or writes.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from enrich.errors import ConfigError
from enrich.profile import find_site_config

DEFAULT_MODEL = "gpt-4.1-mini"
RESPONSE_FORMATS = ("auto", "json_schema", "json_object", "text")

# setting -> (environment variable, default, type)
_SPEC: dict[str, tuple[str | None, Any, type]] = {
    "base_url": ("OPENAI_BASE_URL", None, str),
    "model": ("ENRICH_MODEL", DEFAULT_MODEL, str),
    "out": ("ENRICH_OUT", "drafts", str),
    "api_key_env": (None, "OPENAI_API_KEY", str),
    "api_version": ("OPENAI_API_VERSION", None, str),  # set for Azure OpenAI
    "timeout": ("ENRICH_TIMEOUT", 120.0, float),  # per request
    "deadline": ("ENRICH_DEADLINE", 600.0, float),  # per file, all calls and waits included
    "max_attempts": ("ENRICH_MAX_ATTEMPTS", 4, int),  # per request, for 429/5xx/timeouts
    "temperature": ("ENRICH_TEMPERATURE", 0.2, float),
    "max_output_tokens": ("ENRICH_MAX_OUTPUT_TOKENS", 2000, int),
    "max_input_tokens": ("ENRICH_MAX_INPUT_TOKENS", None, int),
    "response_format": ("ENRICH_RESPONSE_FORMAT", "auto", str),
    "prompts_dir": ("ENRICH_PROMPTS_DIR", None, str),
    "cache_dir": ("ENRICH_CACHE_DIR", None, str),
}


@dataclass
class Settings:
    """The effective settings for one run, with the origin of each."""

    values: dict[str, Any]
    origins: dict[str, str]
    api_key: str | None = field(default=None, repr=False)
    config_path: Path | None = None
    site_root: Path = field(default_factory=Path.cwd)

    def __getattr__(self, name: str) -> Any:
        values = self.__dict__.get("values", {})
        if name in values:
            return values[name]
        raise AttributeError(name)

    @property
    def has_endpoint(self) -> bool:
        return bool(self.values.get("base_url") or self.api_key)

    @property
    def endpoint_host(self) -> str:
        from urllib.parse import urlsplit

        base = self.values.get("base_url") or "https://api.openai.com/v1"
        return urlsplit(base).hostname or "unknown"

    @property
    def user_cache_dir(self) -> Path:
        configured = self.values.get("cache_dir")
        if configured:
            return Path(configured)
        root = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        return Path(root) / "enrich"


def _convert(name: str, value: Any, kind: type, origin: str) -> Any:
    if value is None:
        return None
    try:
        return kind(value)
    except (TypeError, ValueError):
        raise ConfigError(f"setting {name} from {origin} must be {kind.__name__}, got {value!r}") from None


def load_settings(flags: dict[str, Any] | None = None, start: Path | None = None) -> Settings:
    """Resolve every setting; `flags` holds command-line values (None means not given)."""
    flags = {k: v for k, v in (flags or {}).items() if v is not None}
    found = find_site_config(start or Path.cwd())
    table: dict[str, Any] = {}
    config_path: Path | None = None
    if found is not None:
        config_path, table = found
        unknown = set(table) - set(_SPEC) - {"profile", "prices", "batch", "vocab"}
        if unknown:
            raise ConfigError(f"unknown setting(s): {', '.join(sorted(unknown))}", path=str(config_path))
    values: dict[str, Any] = {}
    origins: dict[str, str] = {}
    for name, (env, default, kind) in _SPEC.items():
        if name in flags:
            values[name], origins[name] = _convert(name, flags[name], kind, "flag"), "flag"
        elif env and os.environ.get(env):
            values[name], origins[name] = _convert(name, os.environ[env], kind, env), f"environment {env}"
        elif name in table:
            values[name], origins[name] = _convert(name, table[name], kind, str(config_path)), str(config_path)
        else:
            values[name], origins[name] = default, "default"
    if values["response_format"] not in RESPONSE_FORMATS:
        raise ConfigError(f"response_format must be one of {', '.join(RESPONSE_FORMATS)}")
    key_env = values["api_key_env"]
    api_key = flags.get("api_key") or os.environ.get(key_env) or None
    if api_key:
        from enrich.redact import register_secret

        register_secret(api_key)
    for extra in ("prices", "batch", "vocab"):
        if extra in table:
            values[extra], origins[extra] = table[extra], str(config_path)
    site_root = config_path.parent if config_path else (start or Path.cwd())
    return Settings(values=values, origins=origins, api_key=api_key, config_path=config_path, site_root=site_root)


NO_ENDPOINT_HELP = (
    "no model endpoint configured: set OPENAI_API_KEY for OpenAI, or pass --base-url "
    "(e.g. http://localhost:11434/v1 for Ollama, http://localhost:8000/v1 for vLLM, "
    "http://localhost:8080/v1 for llama.cpp) or set base_url in enrich.toml"
)
