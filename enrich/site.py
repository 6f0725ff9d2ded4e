"""Where a site is: its root, its config file and the user's cache folder, each found by one rule.

The config is the nearest `enrich.toml`, or `pyproject.toml` with a `[tool.enrich]` table, in the
current folder or above; the site root is the folder that holds it (else the folder we started in).
The user cache folder holds what is remembered across sites and runs (endpoint capabilities, the
check index, jieba's dictionary cache). Stdlib only: `enrich check` imports this at start-up.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from enrich.errors import ConfigError

CONFIG_NAME = "enrich.toml"
PYPROJECT_NAME = "pyproject.toml"
CACHE_ENV = "ENRICH_CACHE_DIR"


@dataclass(frozen=True)
class SiteConfig:
    """The site's config file and its enrich table (the whole file, or pyproject's [tool.enrich])."""

    path: Path
    table: dict[str, Any]

    @property
    def root(self) -> Path:
        return self.path.parent

    @property
    def prefix(self) -> str:
        """How a key of `table` is written in the file, for messages: "" or "tool.enrich."."""
        return "tool.enrich." if self.path.name == PYPROJECT_NAME else ""


def read_toml(path: Path) -> dict[str, Any]:
    """A TOML file as a table; unreadable or invalid TOML is a ConfigError naming the file."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read: {exc}", path=str(path)) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"invalid TOML: {exc}", path=str(path)) from None


def refuse_unknown(keys: set[str], table: str, path: Path | str, hints: dict[str, str] | None = None) -> None:
    """A ConfigError naming the first unknown key as the file spells it (`profile.fields.area.enum_values`).

    `table` is the dotted prefix of the table the keys are in; `hints` say why a removed setting is gone.
    """
    if keys:
        first, *others = sorted(keys)
        more = f" (and {', '.join(others)})" if others else ""
        hint = f" ({hints[first]})" if hints and first in hints else ""
        raise ConfigError(f"unknown setting {table}{first}{more}{hint}", path=str(path))


def find_config(start: Path | None = None) -> SiteConfig | None:
    """The nearest enrich.toml, or pyproject.toml with a [tool.enrich] table, at or above `start` (cwd)."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / CONFIG_NAME
        if candidate.is_file():
            return SiteConfig(candidate, read_toml(candidate))
        pyproject = folder / PYPROJECT_NAME
        if pyproject.is_file():
            tool = read_toml(pyproject).get("tool", {})
            table = tool.get("enrich") if isinstance(tool, dict) else None
            if isinstance(table, dict):
                return SiteConfig(pyproject, table)
    return None


def site_root(start: Path | None = None, config: SiteConfig | None = None) -> Path:
    """The folder of the site's config; without one, the folder we started in."""
    found = config if config is not None else find_config(start)
    return found.root if found is not None else (start or Path.cwd())


def user_cache_dir(configured: str | Path | None = None, *, start: Path | None = None) -> Path | None:
    """The user cache folder, by the one rule every caller follows.

    The `cache_dir` setting (`configured` when the caller already resolved it; else ENRICH_CACHE_DIR,
    else `cache_dir` in the site config), else $XDG_CACHE_HOME/enrich, else ~/.cache/enrich. None
    when there is no home folder to put it in: callers then simply remember nothing.
    """
    chosen = configured or os.environ.get(CACHE_ENV) or _configured_cache_dir(start)
    if chosen:
        return Path(chosen)
    root = os.environ.get("XDG_CACHE_HOME")
    if not root:
        try:
            root = str(Path.home() / ".cache")
        except RuntimeError:
            return None
    return Path(root) / "enrich"


def _configured_cache_dir(start: Path | None) -> str | None:
    found = find_config(start)
    value = found.table.get("cache_dir") if found is not None else None
    return value if isinstance(value, str) and value else None
