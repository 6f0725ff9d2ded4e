"""The command line: parse options, call one core function, print its result.

Nothing here decides anything: the core never imports click, and every failure is an EnrichError
carrying its own exit status, turned into one line on stderr by `guarded` (the only place that maps
exceptions to exit codes). Command modules import their core lazily, inside the command, so that
`enrich check` starts without loading openai or tiktoken.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from typing import Any, ClassVar, TypeVar

import click

from enrich import __version__

F = TypeVar("F", bound=Callable[..., Any])
INTERNAL_ERROR = 70
SIGPIPE_EXIT = 141  # 128 + SIGPIPE: what a tool killed by a closed pipe reports


def error_line(message: str) -> None:
    """Print one redacted error line to stderr."""
    from enrich.redact import redact

    click.echo(f"enrich: {redact(message)}", err=True)


def _debug_traceback() -> None:
    """ENRICH_DEBUG=1: the traceback on stderr, redacted like every other line (an error may quote a key)."""
    import traceback

    from enrich.redact import redact

    sys.stderr.write(redact(traceback.format_exc()))


def _quiet_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush does not fail again on the closed pipe."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
    finally:
        os.close(devnull)


def guarded(fn: F) -> F:
    """Run a command body, mapping every failure to one line and its exit status."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from enrich.errors import EnrichError, ExitStatus

        try:
            code = fn(*args, **kwargs)
        except EnrichError as exc:
            if os.environ.get("ENRICH_DEBUG") == "1":
                _debug_traceback()
            error_line(str(exc))
            sys.exit(int(exc.exit_status))
        except BrokenPipeError:  # piped into `head`: the reader has gone, so stop quietly as other tools do
            _quiet_stdout()
            sys.exit(SIGPIPE_EXIT)
        except KeyboardInterrupt:
            error_line("interrupted")
            sys.exit(int(ExitStatus.INTERRUPTED))
        except (click.exceptions.Exit, click.ClickException, SystemExit):
            raise
        except Exception as exc:  # the last line of defence: never a traceback for a user
            if os.environ.get("ENRICH_DEBUG") == "1":
                _debug_traceback()
            error_line(f"internal error: {type(exc).__name__}: {exc} (ENRICH_DEBUG=1 shows the traceback)")
            sys.exit(INTERNAL_ERROR)
        sys.exit(int(code or 0))

    return wrapper  # type: ignore[return-value]


class DefaultGroup(click.Group):
    """`enrich FILE` means `enrich draft FILE`: a first word that is a file (even `-x.txt`) drafts.

    A first word that is no command and no file, and looks like a misspelt command, is a usage error
    with "did you mean" (exit 2). `enrich draft check` drafts a file named `check`.
    """

    default_command = "draft"
    # command -> the module that registers it, imported only when that command runs (or --help lists
    # them): `enrich check` and the `enrich-check` hook never pay for the other commands' imports
    lazy_commands: ClassVar[dict[str, str]] = {
        "draft": "draft_cmd",
        "profile": "draft_cmd",
        "check": "check_cmd",
        "fix": "check_cmd",
        "vocab": "vocab_cmd",
        "batch": "batch_cmd",
        "review": "review_cmd",
        "approve": "review_cmd",
        "reject": "review_cmd",
        "status": "review_cmd",
        "eval": "eval_cmd",
        "init": "init_cmd",
    }

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *self.lazy_commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in self.lazy_commands:
            import importlib

            importlib.import_module(f"enrich.cli.{self.lazy_commands[cmd_name]}").register(self)
        return self.commands.get(cmd_name)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        from enrich.cli.args import default_group_args

        return super().parse_args(ctx, default_group_args(self, ctx, args, self.default_command))


@click.group(cls=DefaultGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="enrich")
def main() -> None:
    """Draft, check and review the front matter of Markdown posts.

    \b
    enrich FILE            draft front matter for one transcript (same as `enrich draft FILE`)
    enrich batch INBOX     draft a whole folder: concurrent, cached, resumable
    enrich review          step through drafts: accept, edit, reject
    enrich check FILES     check posts against the site profile (the pre-commit hook)
    enrich vocab build DIR learn the site's tags and names from its posts
    enrich eval INPUTS --gold POSTS  score drafts against the posts people approved
    enrich profile         show the effective site profile and where each setting came from
    enrich init DIR        learn the site's format from its posts into enrich.toml
    """
