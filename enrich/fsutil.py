"""Crash-safe file writes, shared by every module that writes (drafts, caches, manifests, fixes).

A write either fully happens or not at all: temp file in the same folder, write, flush, fsync,
rename over the target, fsync the folder. `exclusive=True` refuses to replace an existing file,
atomically (link instead of rename), so two processes can never both "create" the same draft.
The temp file is flocked by its writer until renamed (`enrich.temps`): the next run removes what a
`kill -9` left at once, and never a write in progress in another process.
"""

from __future__ import annotations

import contextlib
import errno
import os
from pathlib import Path

from enrich import temps
from enrich.errors import ExistsError, WriteError

_WRITE_FAULTS = {
    errno.ENOSPC: "no space left on the device",
    errno.EFBIG: "file too large (a file-size limit)",
    errno.EDQUOT: "disk quota exceeded",
    errno.EROFS: "read-only file system",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
    errno.ENOTDIR: "a path component is a file, not a folder",
    errno.EEXIST: "a path component is a file, not a folder",
}


def atomic_write(path: Path, data: str | bytes, *, mode: int | None = None, exclusive: bool = False) -> None:
    """Write `data` to `path` atomically; keep the existing file's mode unless `mode` is given.

    A write the system refuses (disk full, size limit, read-only, a file where a folder should be) is
    one WriteError naming the file and the cause; the old file is left as it was."""
    try:
        _atomic_write(path, data, mode=mode, exclusive=exclusive)
    except OSError as exc:
        raise write_error(exc, path) from None


def write_error(exc: OSError, path: Path) -> OSError:
    """The WriteError (one line: the file and the cause) for a write the system refused; else `exc` itself."""
    if isinstance(exc, WriteError) or exc.errno not in _WRITE_FAULTS:
        return exc
    return WriteError(
        f"cannot write: {_WRITE_FAULTS[exc.errno]}; the previous file is unchanged", path=str(path), errno=exc.errno
    )


def _atomic_write(path: Path, data: str | bytes, *, mode: int | None, exclusive: bool) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    if mode is None:
        try:
            mode = path.stat().st_mode & 0o777
        except FileNotFoundError:
            mode = 0o666 & ~_UMASK
    fd, tmp = temps.create(path)  # held (flocked) until renamed: a cleaner in another run leaves it alone
    try:
        with os.fdopen(fd, "wb", closefd=False) as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        if exclusive:
            try:
                os.link(tmp, path)  # fails if the target exists, atomically
            except FileExistsError:
                raise ExistsError("already exists; use --force to overwrite", path=str(path)) from None
            finally:
                os.unlink(tmp)
        else:
            os.replace(tmp, path)
        _fsync_dir(path.parent)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    finally:
        temps.release(fd, tmp)


def _read_umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


_UMASK = _read_umask()  # read once at import: os.umask is process-wide and not thread-safe


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
