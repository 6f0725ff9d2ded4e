"""Options more than one command takes, each defined once so that `draft` and `batch` cannot drift apart."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from enrich.settings import RESPONSE_FORMATS  # light: no client, no tokenizer

if TYPE_CHECKING:
    from enrich.draft.build import BackendChoice
    from enrich.settings import Settings

PROFILE_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


@dataclass(frozen=True)
class DraftingOptions:
    """What every drafting command accepts: where drafts go, which model, how to ask it."""

    out: Path | None = None
    model: str | None = None
    base_url: str | None = None
    api_version: str | None = None
    response_format: str | None = None
    timeout: float | None = None
    deadline: float | None = None
    max_input_tokens: int | None = None
    rpm: float | None = None
    tpm: float | None = None
    offline: bool = False
    profile_file: Path | None = None

    def settings_flags(self) -> dict[str, Any]:
        """The flags that are settings, as `load_settings` takes them (None: not given, so not applied)."""
        flags = asdict(self)
        del flags["offline"], flags["profile_file"]
        return flags

    @property
    def backend(self) -> BackendChoice:
        """The drafting backend asked for: offline, or the model when an endpoint is set (chosen once, in build_drafter)."""
        return "offline" if self.offline else "auto"

    def settings(self) -> Settings:
        from enrich.settings import load_settings

        return load_settings(self.settings_flags())


_DRAFTING_OPTIONS = (
    click.option("--out", "out", type=click.Path(path_type=Path), help="Drafts folder (default: drafts/, or `out` in config)."),
    click.option("--model", help="Model name (default: ENRICH_MODEL, config, or gpt-4.1-mini)."),
    click.option("--base-url", help="OpenAI-compatible endpoint, e.g. http://localhost:11434/v1 (default: OPENAI_BASE_URL)."),
    click.option("--api-version", help="Azure OpenAI API version (makes --base-url an Azure endpoint)."),
    click.option("--offline", is_flag=True, help="Draft without any model."),
    click.option("--profile", "profile_file", type=PROFILE_FILE, help="Profile TOML to use."),
    click.option("--response-format", type=click.Choice(list(RESPONSE_FORMATS)), help="Structured output mode."),
    click.option("--timeout", type=float, help="Seconds per request."),
    click.option("--deadline", type=float, help="Seconds per file, all retries included."),
    click.option("--max-input-tokens", type=int, help="Input budget; longer transcripts are drafted in chunks."),
    click.option(
        "--rpm",
        type=click.FloatRange(min=0, min_open=True),
        help="Requests per minute the endpoint allows (default: learned from its headers).",
    ),
    click.option(
        "--tpm",
        type=click.FloatRange(min=0, min_open=True),
        help="Tokens per minute the endpoint allows, prompt plus answer room (default: learned).",
    ),
)
_DRAFTING_NAMES = tuple(f.name for f in fields(DraftingOptions))


def drafting_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Add the drafting options to a command, which receives them together as `drafting=DraftingOptions(...)`."""

    @functools.wraps(command)
    def with_drafting(*args: Any, **kwargs: Any) -> Any:
        drafting = DraftingOptions(**{name: kwargs.pop(name) for name in _DRAFTING_NAMES})
        return command(*args, drafting=drafting, **kwargs)

    wrapped: Callable[..., Any] = with_drafting
    for option in reversed(_DRAFTING_OPTIONS):
        wrapped = option(wrapped)
    return wrapped
