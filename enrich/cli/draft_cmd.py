"""`enrich draft FILE` (also plain `enrich FILE`) and `enrich profile`."""

from __future__ import annotations

from pathlib import Path

import click

from enrich.cli import error_line, guarded


@click.command("draft")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--out", "out", type=click.Path(path_type=Path), help="Drafts folder (default: drafts/, or `out` in config).")
@click.option("--model", help="Model name (default: ENRICH_MODEL, config, or gpt-4.1-mini).")
@click.option("--base-url", help="OpenAI-compatible endpoint, e.g. http://localhost:11434/v1 (default: OPENAI_BASE_URL).")
@click.option("--api-version", help="Azure OpenAI API version (makes --base-url an Azure endpoint).")
@click.option("--offline", is_flag=True, help="Draft without any model.")
@click.option("--force", is_flag=True, help="Overwrite an existing draft.")
@click.option(
    "--profile", "profile_file", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="Profile TOML to use."
)
@click.option(
    "--response-format", type=click.Choice(["auto", "json_schema", "json_object", "text"]), help="Structured output mode."
)
@click.option("--timeout", type=float, help="Seconds per request.")
@click.option("--deadline", type=float, help="Seconds per file, all retries included.")
@click.option("--max-input-tokens", type=int, help="Input budget; longer transcripts are drafted in chunks.")
@click.option("--stdout", "to_stdout", is_flag=True, help="Print the draft instead of writing it.")
@guarded
def draft_command(
    files: tuple[Path, ...],
    out: Path | None,
    model: str | None,
    base_url: str | None,
    api_version: str | None,
    offline: bool,
    force: bool,
    profile_file: Path | None,
    response_format: str | None,
    timeout: float | None,
    deadline: float | None,
    max_input_tokens: int | None,
    to_stdout: bool,
) -> int:
    """Draft front matter for transcripts (.txt, .md, .srt, .vtt) and write drafts for review."""
    from enrich.draft.build import build_drafter, draft_one
    from enrich.errors import EnrichError
    from enrich.settings import load_settings

    settings = load_settings(
        dict(  # flags not given are None; load_settings ignores them
            out=out,
            model=model,
            base_url=base_url,
            api_version=api_version,
            response_format=response_format,
            timeout=timeout,
            deadline=deadline,
            max_input_tokens=max_input_tokens,
        )
    )
    drafter, notice = build_drafter(settings, profile_file=profile_file, backend="offline" if offline else "auto")
    if notice:
        error_line(notice)
    failures = 0
    last_error: EnrichError | None = None
    for path in files:
        try:
            outcome = draft_one(drafter, path, settings.out, force=force, to_stdout=to_stdout)
        except EnrichError as exc:
            if len(files) == 1:
                raise
            error_line(str(exc) if exc.path else f"{path}: {exc}")
            failures, last_error = failures + 1, exc
            continue
        if to_stdout:
            click.echo(outcome.text, nl=False)
        else:
            click.echo(outcome.summary)
    if failures and last_error is not None:
        return int(last_error.exit_status)
    return 0


@click.command("profile")
@click.option(
    "--profile", "profile_file", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="Profile TOML to use."
)
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@guarded
def profile_command(profile_file: Path | None, as_json: bool) -> int:
    """Show the effective site profile and where each setting came from."""
    from enrich.profile import describe_profile
    from enrich.settings import load_settings

    click.echo(describe_profile(profile_file=profile_file, as_json=as_json, settings=load_settings()), nl=False)
    return 0


def register(group: click.Group) -> None:
    group.add_command(draft_command)
    group.add_command(profile_command)
