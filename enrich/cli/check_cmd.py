"""`enrich check FILES` (the pre-commit gate) and `enrich fix FILES`.

`main()` is the `enrich-check` console script the pre-commit hook runs: the check command alone,
without the rest of the CLI's options. Core modules are imported inside the commands, and none of
them imports openai or tiktoken, so a pre-commit run pays only for click, PyYAML and the profile.
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from enrich.cli import error_line, guarded
from enrich.cli.args import FilesCommand
from enrich.errors import ExitStatus


def _shared_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """--profile, --vocab and --no-vocab, the same for check and fix."""
    fn = click.option("--no-vocab", is_flag=True, help="Skip the vocabulary rules.")(fn)
    fn = click.option(
        "--vocab",
        "vocab_file",
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        help="Vocabulary file (default: the nearest .enrich/vocab.yaml at or above each file, or the current folder).",
    )(fn)
    return click.option(
        "--profile",
        "profile_file",
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        help="Profile TOML to use (default: the site's enrich.toml or pyproject.toml, else the default profile).",
    )(fn)


@click.command("check", cls=FilesCommand)
@click.argument("files", nargs=-1, type=click.Path(path_type=str))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="text: one `path:line:col: severity rule-id message` per line; json: one document for tools.",
)
@click.option("--strict", is_flag=True, help="Fail on warnings too (exit 1 when any finding is reported).")
@_shared_options
@guarded
def check_command(
    files: tuple[str, ...], fmt: str, strict: bool, profile_file: Path | None, vocab_file: Path | None, no_vocab: bool
) -> int:
    """Check the front matter of Markdown posts (files or folders) against the site profile.

    Silent when everything is fine. Each line says `error` or `warning`, and "(fixable)" when
    `enrich fix` would fix it; one summary line follows on stderr (none under pre-commit, whose
    parallel chunks would each print a partial one). Exit 1 when a finding of severity "error" is
    reported (any finding with --strict), 0 otherwise.
    """
    from enrich.check.checker import check_paths, expand_paths, has_errors
    from enrich.profile import load_profile
    from enrich.vocab.index import VocabFinder

    profile = load_profile(profile_file=profile_file)
    vocab = VocabFinder(vocab_file, enabled=not no_vocab)
    paths = expand_paths(files)
    findings = check_paths(paths, profile, vocab)
    failed = has_errors(findings, strict)
    if fmt == "json":
        import json

        counts = Counter(f.severity for f in findings)
        document = {
            "version": 1,
            "ok": not failed,
            "errors": counts["error"],
            "warnings": counts["warning"],
            "findings": [f.to_dict() for f in findings],
        }
        click.echo(json.dumps(document, ensure_ascii=False, indent=1))
    elif findings:
        import os

        from enrich.check.fixer import Fixer  # only when there is something to report
        from enrich.check.report import fixable_findings, text_report, under_pre_commit

        fixable = fixable_findings(findings, Fixer(profile, vocab))
        lines, summary = text_report(findings, len(paths), fixable, summary=not under_pre_commit(os.environ))
        click.echo(lines)
        if summary:
            click.echo(summary, err=True)
    return int(ExitStatus.FINDINGS) if failed else 0


@click.command("fix", cls=FilesCommand)
@click.argument("files", nargs=-1, type=click.Path(path_type=str))
@click.option("--dry-run", is_flag=True, help="Show the changes as a unified diff; write nothing (exit 1 if any).")
@_shared_options
@guarded
def fix_command(files: tuple[str, ...], dry_run: bool, profile_file: Path | None, vocab_file: Path | None, no_vocab: bool) -> int:
    """Apply the safe fixes to the front matter of posts, changing nothing else in the files.

    Quotes dates, writes empty values in the profile's form, drops repeated or empty list items,
    kebab-cases tags, respells names to the vocabulary's form when certain (spelling variants, accepted merges),
    and straightens enumeration values. Run `enrich check` afterwards for what is left.
    """
    from enrich.check.checker import expand_paths
    from enrich.check.fixer import Fixer
    from enrich.frontmatter.split import BlockError
    from enrich.profile import load_profile
    from enrich.vocab.index import VocabFinder

    profile = load_profile(profile_file=profile_file)
    fixer = Fixer(profile, VocabFinder(vocab_file, enabled=not no_vocab))
    changed = unreadable = 0
    for path in expand_paths(files):
        try:
            result = fixer.fix_file(path, dry_run=dry_run)
        except BlockError as exc:
            error_line(f"{path}: {exc}")
            unreadable += 1
            continue
        if result.refused:
            error_line(f"{path}: not fixed: {result.refused}")
        if not result.changed:
            continue
        changed += 1
        if dry_run:
            click.echo(result.diff(), nl=False)
        else:
            rules = Counter(c.rule for c in result.changes)
            summary = ", ".join(f"{rule} x{n}" if n > 1 else rule for rule, n in sorted(rules.items()))
            click.echo(f"{path}: fixed {len(result.changes)}: {summary}")
    if unreadable:
        return int(ExitStatus.INPUT)
    return int(ExitStatus.FINDINGS) if dry_run and changed else 0


def register(group: click.Group) -> None:
    group.add_command(check_command)
    group.add_command(fix_command)


def main() -> None:
    """The `enrich-check` console script (pre-commit hook): `enrich check` on its own."""
    check_command.main(args=sys.argv[1:], prog_name="enrich-check")


if __name__ == "__main__":
    main()
