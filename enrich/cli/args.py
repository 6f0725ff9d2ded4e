"""Arguments that are files, even when their names start with `-`, and "did you mean" for commands.

YouTube ids may start with `-` (`-Et3GJRSI_0.txt`): click would read such a name as an option. The
rule here: a word that is exactly one of the command's option names is that option; any other word
that names an existing file or folder is a file. `FilesCommand` moves those words behind a `--` so
click takes them as arguments, keeping every argument in its order.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

import click


def is_existing_path(word: str) -> bool:
    return word not in ("-", "--") and os.path.lexists(word)


def _option_names(command: click.Command, ctx: click.Context) -> tuple[set[str], set[str]]:
    """(every option name, the names of options that take a value)."""
    names: set[str] = set()
    valued: set[str] = set()
    for param in command.get_params(ctx):
        if not isinstance(param, click.Option):
            continue
        opts = set(param.opts) | set(param.secondary_opts)
        names |= opts
        if not param.is_flag and not param.count:
            valued |= set(param.opts)
    return names, valued


def split_file_words(args: list[str], names: set[str], valued: set[str]) -> list[str]:
    """`args` with the words that are files behind a `--` when any of them starts with `-`."""
    options: list[str] = []
    positional: list[str] = []
    dashed = False
    words = iter(args)
    for word in words:
        if word == "--":
            positional.extend(words)
            break
        if word in names or (word.startswith("--") and word.split("=", 1)[0] in names):
            options.append(word)
            if word in valued:
                options.append(next(words, ""))
            continue
        if word.startswith("-") and is_existing_path(word):
            positional.append(word)
            dashed = True
        elif word.startswith("-"):
            options.append(word)  # click reports it as an unknown option, as before
        else:
            positional.append(word)
    if not dashed:
        return args
    return [*options, "--", *positional]


class FilesCommand(click.Command):
    """A command whose arguments are paths: `enrich check -x.md` checks the file `-x.md`."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        names, valued = _option_names(self, ctx)
        return super().parse_args(ctx, split_file_words(args, names, valued))


def close_command(word: str, commands: Iterable[str]) -> str | None:
    """The command a misspelt word most likely meant, or None when the word looks like a file name."""
    if any(ch in word for ch in "./\\") or not word.replace("-", "").replace("_", "").isalnum():
        return None
    import difflib  # only for a word that is no command and no file

    matches = difflib.get_close_matches(word.lower(), list(commands), n=1, cutoff=0.6)
    return matches[0] if matches else None


def default_group_args(group: click.Group, ctx: click.Context, args: list[str], default: str) -> list[str]:
    """The group's arguments with the default command inserted when the first word is a file.

    Raises a UsageError (exit 2) for a word that is no file and looks like a misspelt command.
    """
    if not args:
        return args
    first = args[0]
    names = group.list_commands(ctx)
    if first in names:
        return args
    if first == "--":
        return [default, *args]
    if first.startswith("-"):
        group_names = {opt for p in group.get_params(ctx) if isinstance(p, click.Option) for opt in p.opts}
        if first in group_names or not is_existing_path(first):
            return args
        return [default, *args]
    if not is_existing_path(first):
        guess = close_command(first, names)
        if guess is not None:
            raise click.UsageError(f"no such command '{first}'; did you mean '{guess}'?", ctx)
    return [default, *args]
