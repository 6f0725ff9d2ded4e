"""The temp files of atomic writes (`.NAME.XXXX.tmp` beside the target): held, found, abandoned.

* Held: a writer keeps an flock on its temp file from creation to rename, and the system drops it when
  the process dies. So a temp file nobody holds is a crash's (`kill -9`) leftover and is removed at
  once by the next run, while a write in progress in another process is never touched.
* Abandoned: a hard stop (a second Ctrl-C) removes the temp files of writes still in progress and lets
  no new one start, then the process ends: no partial file is left, and every target is old or whole.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import tempfile
import threading
from pathlib import Path

_open: set[str] = set()  # temp files this process is writing now
_guard = threading.RLock()  # held for good by `abandon_all` (re-entrant: it runs in a signal handler)


def create(target: Path) -> tuple[int, str]:
    """A new temp file beside `target`, flocked by this process: (fd, path). Release it with `release`."""
    while True:
        with _guard:
            fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
            _open.add(tmp)
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            if os.stat(tmp).st_ino == os.fstat(fd).st_ino:
                return fd, tmp
        except FileNotFoundError:
            pass  # a cleaner took it between its creation and our lock: take another
        release(fd, tmp)


def release(fd: int, tmp: str) -> None:
    """The write is over (renamed, or failed): drop the lock and forget the temp file."""
    with _guard:
        _open.discard(tmp)
    os.close(fd)


def remove_if_leftover(path: Path) -> bool:
    """A temp file that no live writer holds: remove it while holding its lock. True when removed."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return False  # a write in progress
    try:
        if os.path.samestat(os.stat(path, follow_symlinks=False), os.fstat(fd)):
            os.unlink(path)
            return True
        return False
    except OSError:
        return False
    finally:
        os.close(fd)


def remove_leftovers(folder: Path, *, names: set[str] | None = None, recursive: bool = False) -> int:
    """Remove the temp files crashed writes left in `folder` (and below it, when `recursive`); how many.

    Only temp files of targets named in `names` when given (a folder a person also keeps files in),
    and never one a live writer holds."""
    removed = 0
    try:
        candidates = list(folder.rglob(".*.tmp") if recursive else folder.glob(".*.tmp"))
    except OSError:
        return 0
    for candidate in candidates:
        if names is not None and candidate.name[1:].rsplit(".", 2)[0] not in names:
            continue
        removed += remove_if_leftover(candidate)
    return removed


def abandon_all() -> None:
    """A hard stop: remove the temp files of every write in progress and let no new write start.

    Never returns the guard: the caller ends the process right after (os._exit)."""
    _guard.acquire()
    for tmp in list(_open):
        with contextlib.suppress(OSError):
            os.unlink(tmp)
    _open.clear()
