"""`enrich vocab build` and `enrich vocab show`: the site's own vocabulary, learned from its posts."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from enrich.cli import guarded

if TYPE_CHECKING:
    from enrich.vocab.model import Vocabulary


@click.group("vocab")
def vocab_group() -> None:
    """Build and explain the site vocabulary (.enrich/vocab.yaml)."""


@vocab_group.command("build")
@click.argument("content_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path(".enrich/vocab.yaml"),
    show_default=True,
    help="Where to write the vocabulary (its state file goes beside it).",
)
@click.option(
    "--names-in",
    type=click.Choice(["en", "zh"]),
    default=None,
    help="Write canonical names in this language when the site writes both (default: the form most posts write).",
)
@click.option("-v", "--verbose", is_flag=True, help="List every skipped post, not only the first few.")
@guarded
def build_cmd(content_dir: Path, out: Path, names_in: str | None, verbose: bool) -> int:
    """Read every post of CONTENT_DIR (only changed ones on a re-run) and write the vocabulary."""
    from enrich.vocab.build import build_vocabulary

    result = build_vocabulary(content_dir, out, names_in)
    vocab = result.vocab
    names = sum(len(t) for t in vocab.entities.values())
    click.echo(
        f"{result.out}: {vocab.posts} posts ({result.read} read, {result.reused} unchanged), "
        f"{len(vocab.tags)} tags, {names} names, {result.merges} merge suggestions "
        f"({sum(m.accepted for m in vocab.merges)} accepted)"
    )
    conflicts = sum(1 for m in vocab.merges if m.reason.startswith("conflict") and not (m.accepted or m.rejected))
    click.echo(
        f"{vocab.index.ambiguous_count()} ambiguous alias(es) (never applied; `enrich check` names the candidates), "
        f"{conflicts} conflict(s) need a person (a name that is an entry and another entry's alias: "
        "accept or reject its merge)"
    )
    shown = result.skipped if verbose else result.skipped[:10]
    for line in shown:
        click.echo(f"skipped {line}", err=True)
    if len(result.skipped) > len(shown):
        click.echo(f"skipped {len(result.skipped) - len(shown)} more post(s) (--verbose lists them)", err=True)
    return 0


@vocab_group.command("show")
@click.argument("name")
@click.option(
    "--vocab",
    "vocab_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="The vocabulary file (default: .enrich/vocab.yaml at or above the current folder).",
)
@guarded
def show_cmd(name: str, vocab_file: Path | None) -> int:
    """Explain a tag or name: count, aliases, merges and a few posts that use it."""
    from enrich.errors import ConfigError
    from enrich.vocab.file import load_vocabulary

    vocab = load_vocabulary(Path.cwd(), vocab_file)
    if vocab is None:
        raise ConfigError("no .enrich/vocab.yaml here or above; run `enrich vocab build CONTENT_DIR` first")
    entries = vocab.explain(name)
    if not entries:
        click.echo(f"{name!r} is not in the vocabulary")
        return 1
    for entry in entries:
        _print_entry(vocab, entry)
    return 0


def _print_entry(vocab: Vocabulary, entry: dict[str, Any]) -> None:
    from enrich.vocab.build import posts_using

    if entry.get("ambiguous"):
        names = " and ".join(f"{c} ({n} post(s))" for c, n in entry["ambiguous"])
        click.echo(f"{entry['kind']}: {entry['name']} is ambiguous: an alias of {names}")
        click.echo("  drafting and `enrich fix` apply none of them; `enrich check` asks which one is meant")
        return
    click.echo(f"{entry['kind']}: {entry['name']} (used by {entry['count']} post(s))")
    if entry.get("suggested_for"):
        click.echo(
            f"  {entry['suggested_for']!r} is an alias of it, not a spelling: `enrich check` suggests it, "
            "`enrich fix` leaves it (accept a merge to apply it)"
        )
    if entry.get("aliases"):
        click.echo(f"  aliases: {', '.join(entry['aliases'])}")
    if entry.get("twins"):
        click.echo(f"  spelling twins: {', '.join(entry['twins'])}")
    context = entry.get("context") or {}
    for key in ("areas", "categories"):
        if context.get(key):
            ranked = sorted(context[key].items(), key=lambda kv: -kv[1])
            click.echo(f"  {key}: {', '.join(f'{k} ({v})' for k, v in ranked[:5])}")
    for merge in entry.get("merges", []):
        state = "accepted" if merge["accepted"] else ("rejected" if merge.get("rejected") else "suggested")
        if str(merge["reason"]).startswith("conflict") and state == "suggested":
            state = "needs a person: set accepted: true to merge, or rejected: true to keep both"
        click.echo(f"  merge {merge['from']} -> {merge['to']} ({merge['reason']}, {state})")
    used = posts_using(vocab, entry)
    if used is None:
        click.echo("  posts: unknown (the state file beside the vocabulary is missing; run vocab build)")
    elif used[0]:
        paths, total = used
        more = f" and {total - len(paths)} more" if total > len(paths) else ""
        click.echo(f"  posts: {', '.join(paths)}{more}")


def register(group: click.Group) -> None:
    group.add_command(vocab_group)
