"""`enrich draft FILE` (also plain `enrich FILE`) and `enrich profile`."""

from __future__ import annotations

from pathlib import Path

import click

from enrich.cli import error_line, guarded
from enrich.cli.args import FilesCommand
from enrich.cli.options import PROFILE_FILE, DraftingOptions, drafting_options


@click.command("draft", cls=FilesCommand)
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@drafting_options
@click.option("--force", is_flag=True, help="Overwrite an existing draft.")
@click.option("--stdout", "to_stdout", is_flag=True, help="Print the draft instead of writing it.")
@guarded
def draft_command(files: tuple[Path, ...], drafting: DraftingOptions, force: bool, to_stdout: bool) -> int:
    """Draft front matter for transcripts (.txt, .md, .srt, .vtt) and write drafts for review."""
    from enrich.draft.build import build_drafter, draft_one
    from enrich.draft.output import refuse_existing
    from enrich.errors import EnrichError

    settings = drafting.settings()
    if len(files) == 1 and not force and not to_stdout:
        refuse_existing(files[0], settings.out)  # refused before the backend is even chosen
    drafter, notice = build_drafter(settings, profile_file=drafting.profile_file, backend=drafting.backend)
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
@click.option("--profile", "profile_file", type=PROFILE_FILE, help="Profile TOML to use.")
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
