"""`enrich init CONTENT_DIR`: learn the site's front-matter format from its posts into enrich.toml."""

from __future__ import annotations

from pathlib import Path

import click

from enrich.cli import guarded


@click.command("init")
@click.argument("content_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("enrich.toml"),
    show_default=True,
    help="Where to write the learned profile.",
)
@click.option(
    "--recent",
    type=click.IntRange(min=1),
    default=100,
    show_default=True,
    help="Learn the format from the N newest posts (by date).",
)
@click.option("--force", is_flag=True, help="Replace an existing config file.")
@click.option("--dry-run", is_flag=True, help="Print what was learned and the config, write nothing.")
@guarded
def init_cmd(content_dir: Path, config_path: Path, recent: int, force: bool, dry_run: bool) -> int:
    """Learn the site's format (key order, indentation, quoting, mirrored keys, enumerations) from the
    posts in CONTENT_DIR and write it, commented with its evidence, to enrich.toml."""
    from enrich.errors import ConfigError
    from enrich.learn.learn import learn
    from enrich.learn.write import render_toml, report, write_config
    from enrich.profile import load_profile

    if config_path.exists() and not force and not dry_run:
        raise ConfigError("already exists; review it, or run `enrich init --force` to replace it", path=str(config_path))
    # enrich's bundled profile supplies the known enumeration values, so a re-run learns the same
    default = load_profile(profile_file=Path(__file__).resolve().parents[1] / "profiles" / "default.toml")
    learned = learn(content_dir, default, recent)
    text = render_toml(learned)
    click.echo(report(learned), nl=False)
    if dry_run:
        click.echo(text, nl=False)
        return 0
    write_config(config_path, text, force=force)
    click.echo(f"wrote {config_path}: review it, then `enrich profile` shows the learned settings with their evidence")
    return 0


def register(main: click.Group) -> None:
    main.add_command(init_cmd)
