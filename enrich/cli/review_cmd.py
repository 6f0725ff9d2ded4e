"""`enrich review`, `enrich approve`, `enrich reject`, `enrich status`: a person's side of the batch.

Only parsing, keys and printing: the decisions are `enrich.review`'s, imported inside each command.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import click

from enrich.cli import error_line, guarded
from enrich.cli.args import FilesCommand

if TYPE_CHECKING:
    from enrich.review.approve import Reviewer
    from enrich.settings import Settings

_FOLDER = click.Path(file_okay=False, path_type=Path)
_FILES = click.Path(path_type=Path)


def _settings(out: Path | None = None) -> Settings:
    from enrich.settings import load_settings

    return load_settings({"out": out} if out else {})


def _reviewer(settings: Settings) -> Reviewer:
    from enrich.profile import load_profile
    from enrich.review.approve import Reviewer

    return Reviewer(settings.site_root, load_profile(settings.site_root))


def _to_dir(settings: Settings, to: Path | None) -> Path | None:
    if to is not None:
        return to
    return settings.batch.to


def _ask(prompt: str, choices: str) -> str:
    """One key press (no Enter on a terminal; piped keys are read one by one); unknown keys ask again."""
    while True:
        click.echo(prompt, nl=False)
        try:
            key = click.getchar() if sys.stdin.isatty() else sys.stdin.read(1)
        except (EOFError, click.exceptions.Abort):
            key = ""
        if not key:  # end of input
            click.echo()
            return "q"
        click.echo(key if key.isprintable() else "")
        key = key.lower()
        if key in choices:
            return key
        if key in ("\x03", "\x04"):
            return "q"
        click.echo(f"press one of: {', '.join(choices)}")


@click.command("review", cls=FilesCommand)
@click.argument("drafts", nargs=-1, type=_FILES)
@click.option("--to", type=_FOLDER, help="Accepting approves into this folder ([batch] to).")
@click.option("--all", "show_all", is_flag=True, help="Include drafts already marked reviewed.")
@click.option("--reason", default=None, help="Reason recorded with rejections.")
@guarded
def review_command(drafts: tuple[Path, ...], to: Path | None, show_all: bool, reason: str | None) -> int:
    """Step through drafts: [a]ccept, [e]dit in $EDITOR, [r]eject, [s]kip, [q]uit."""
    from enrich.cli.render import console, review_screen, show
    from enrich.errors import EnrichError, WriteError
    from enrich.review.views import find_drafts

    settings = _settings()
    reviewer = _reviewer(settings)
    paths = find_drafts(list(drafts) or [Path(settings.out)], include_reviewed=show_all)
    if not paths:
        click.echo(f"nothing to review in {', '.join(str(d) for d in drafts) or settings.out}")
        return 0
    screen = console()
    target = _to_dir(settings, to)
    counts = {"accepted": 0, "approved": 0, "edited": 0, "rejected": 0, "skipped": 0}
    status = 0  # a decision the disk refused makes it 3
    accept_help = f"[a]ccept (approve into {target})" if target else "[a]ccept"
    for index, path in enumerate(paths, start=1):
        while True:
            try:
                view = reviewer.view(path)
            except EnrichError as exc:
                error_line(str(exc))
                counts["skipped"] += 1
                break
            show(screen, review_screen(view, index, len(paths)))
            key = _ask(f"{accept_help}  [e]dit  [r]eject  [s]kip  [q]uit > ", "aersq")
            if key == "q":
                click.echo(_review_summary(counts))
                return status
            if key == "s":
                counts["skipped"] += 1
                break
            if key == "e":
                try:
                    click.edit(filename=str(path))
                except click.ClickException as exc:  # no editor, or it failed: say so and stay on this draft
                    error_line(f"{path}: the editor failed ({exc.format_message()}); set $VISUAL or $EDITOR")
                    continue
                try:
                    changes = reviewer.record_edit(path, view)
                except EnrichError as exc:
                    error_line(str(exc))
                    continue
                counts["edited"] += 1
                click.echo(f"edited: {', '.join(c['key'] for c in changes) or 'no front matter change'}")
                continue
            try:
                if key == "r":
                    moved = reviewer.reject(path, reason=reason)
                    counts["rejected"] += 1
                    click.echo(f"rejected: moved to {moved}")
                elif target is not None:
                    outcome = reviewer.approve(path, target)
                    counts["approved"] += 1
                    click.echo(f"approved: {outcome.target}")
                else:
                    reviewer.accept(path)
                    counts["accepted"] += 1
                    click.echo("accepted: marked reviewed (approve it with `enrich approve` or review with --to)")
            except EnrichError as exc:
                error_line(str(exc))
                if isinstance(exc, WriteError):  # a full disk: said, and the review ends with exit 3
                    status = int(exc.exit_status)
                continue
            break
    click.echo(_review_summary(counts))
    return status


def _review_summary(counts: dict[str, int]) -> str:
    done = ", ".join(f"{n} {k}" for k, n in counts.items() if n)
    return f"review: {done or 'nothing decided'}"


@click.command("approve", cls=FilesCommand)
@click.argument("files", nargs=-1, required=True, type=_FILES)
@click.option("--to", type=_FOLDER, help="Folder the approved posts go to ([batch] to).")
@guarded
def approve_command(files: tuple[Path, ...], to: Path | None) -> int:
    """Check, apply the profile's approval changes, strip provenance and move drafts into --to."""
    from enrich.errors import ConfigError

    settings = _settings()
    target = _to_dir(settings, to)
    if target is None:
        raise ConfigError("where to? pass --to DIR (or set `to` in [batch] of enrich.toml)")
    reviewer = _reviewer(settings)
    return _each(files, lambda p: f"approved {p} -> {reviewer.approve(p, target).target}")


@click.command("reject", cls=FilesCommand)
@click.argument("files", nargs=-1, required=True, type=_FILES)
@click.option("--reason", default=None, help="Why, for the review log.")
@guarded
def reject_command(files: tuple[Path, ...], reason: str | None) -> int:
    """Set drafts aside (moved to .enrich/rejected/) and record the decision; the input is not drafted again."""
    reviewer = _reviewer(_settings())
    return _each(files, lambda p: f"rejected {p} -> {reviewer.reject(p, reason=reason)}")


def _each(files: tuple[Path, ...], action: Callable[[Path], str]) -> int:
    """Apply `action` to every file; one bad file is reported and the others still go (exit: the first failure's)."""
    from enrich.errors import EnrichError

    status = 0
    for path in files:
        try:
            click.echo(action(path))
        except EnrichError as exc:
            if len(files) == 1:
                raise
            error_line(str(exc))
            status = status or int(exc.exit_status)
    return status


@click.command("status", cls=FilesCommand)
@click.argument("inbox", required=False, type=_FILES)
@click.option("--out", "out", type=_FILES, help="Drafts folder (default: drafts/, or `out` in config).")
@click.option("-v", "--verbose", is_flag=True, help="List every file with its state.")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@guarded
def status_command(inbox: Path | None, out: Path | None, verbose: bool, as_json: bool) -> int:
    """The inbox at a glance: new, drafted, flagged, approved, rejected, failed."""
    from enrich.review.status import inbox_status

    settings = _settings(out)
    folder = inbox or settings.batch.inbox or Path("inbox")
    report = inbox_status(settings.site_root, folder, settings.out)
    if as_json:
        import json

        click.echo(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
        return 0
    from enrich.cli.render import console, status

    status(console(), report, verbose=verbose)
    return 0


def register(group: click.Group) -> None:
    for command in (review_command, approve_command, reject_command, status_command):
        group.add_command(command)
