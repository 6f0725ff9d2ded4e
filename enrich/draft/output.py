"""A drafted post and where it is written: one file per input, atomic, never replacing without force."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from enrich.errors import ConfigError
from enrich.frontmatter.provenance import Flag, Provenance
from enrich.profile import Profile


@dataclass
class Draft:
    """A drafted post, not yet written."""

    path: Path  # the input
    values: dict[str, Any]
    body: str
    provenance: Provenance
    model_seconds: float = 0.0
    total_seconds: float = 0.0

    @property
    def flags(self) -> list[Flag]:
        return self.provenance.flags

    def render(self, profile: Profile) -> str:
        from enrich.frontmatter.emit import render_document

        return render_document(self.values, profile, self.body, trailer=self.provenance.to_comment())


def output_path(input_path: Path, out_dir: Path) -> Path:
    return out_dir / f"{input_path.stem}.md"


def refuse_existing(input_path: Path, out_dir: Path) -> None:
    """Refuse, before any drafting is paid for, when the draft exists and --force was not given."""
    from enrich.errors import ExistsError

    target = output_path(input_path, out_dir)
    if target.exists() or target.is_symlink():
        raise ExistsError("already exists; use --force to overwrite", path=str(target))


def probe_out_dir(out_dir: Path) -> None:
    """Refuse, before any drafting is paid for, an --out folder that cannot be written: a file where a
    folder should be, no permission, a read-only file system. Tried by creating a file, not os.access,
    which says yes to root on a folder the kernel would still refuse (read-only mounts)."""
    import os
    import tempfile

    from enrich.errors import WriteError

    folder = out_dir
    while not folder.exists() and not folder.is_symlink() and folder.parent != folder:
        folder = folder.parent  # the nearest folder that exists: the rest is made at the first write
    if not folder.is_dir():
        raise WriteError(f"cannot write: {folder} is a file, not a folder", path=str(out_dir))
    try:
        fd, probe = tempfile.mkstemp(prefix=".enrich-probe.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise WriteError(f"cannot write: {(exc.strerror or str(exc)).lower()}", path=str(out_dir), errno=exc.errno) from None
    os.close(fd)
    os.unlink(probe)


def write_draft(draft: Draft, profile: Profile, out_dir: Path, *, force: bool = False) -> Path:
    """Write the draft atomically; never replace an existing file unless `force`."""
    from enrich.errors import ExistsError
    from enrich.fsutil import atomic_write
    from enrich.temps import remove_leftovers

    target = output_path(draft.path, out_dir)
    if target.resolve() == draft.path.resolve():
        raise ConfigError("the draft would replace its own input; choose another --out folder", path=str(draft.path))
    remove_leftovers(out_dir, names={target.name})  # what a killed run left; never a write in progress
    try:
        atomic_write(target, draft.render(profile), exclusive=not force)
    except ExistsError:  # it was not there when this run started (refuse_existing): another run wrote it
        raise ExistsError(
            "appeared while drafting (another enrich run?) and is kept; this draft is not written: use --force to replace it",
            path=str(target),
        ) from None
    return target
