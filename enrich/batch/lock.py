"""One batch per inbox and per output folder at a time: flocks that a killed run cannot leave behind."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

from enrich.batch.cache import now_iso
from enrich.batch.state import enrich_dir
from enrich.errors import LockedError


def lock_path(site_root: Path, inbox: Path) -> Path:
    """The lock file of an inbox, under the site's `.enrich/locks/` (named by the inbox's real path)."""
    digest = hashlib.sha1(str(inbox.resolve()).encode()).hexdigest()[:16]
    return enrich_dir(site_root) / "locks" / f"batch-{digest}.lock"


class InboxLock:
    """An flock on a per-inbox lock file, on the inbox folder and on the `out` folder drafts go to:
    refused while another run holds one, released when its process dies."""

    def __init__(self, path: Path, inbox: Path, *, out: Path | None = None) -> None:
        self.path = path
        self.inbox = inbox
        self.out = out
        self._fd: int | None = None
        self._folder_fd: int | None = None
        self._out_fd: int | None = None

    def __enter__(self) -> InboxLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            self._lock_folder()
        except BlockingIOError:
            holder = os.pread(fd, 200, 0).decode("utf-8", "replace").strip()
            os.close(fd)
            who = f" ({holder})" if holder else ""
            raise LockedError(
                f"another enrich batch is running on this inbox{who}; wait for it to finish or stop it",
                path=str(self.inbox),
            ) from None
        with contextlib.suppress(OSError):  # who holds it, for the message of a refused run: best effort
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"pid {os.getpid()}, started {now_iso()}\n".encode(), 0)
        self._fd = fd
        try:
            self._lock_out()
        except BaseException:
            self.__exit__()
            raise
        return self

    def _lock_out(self) -> None:
        if self.out is not None:
            self._out_fd = hold_out_folder(self.out)

    def _lock_folder(self) -> None:
        """Also lock the inbox folder itself: the same folder whatever the site root (a run started from
        another folder), the spelling of its path or a symlink to it. Raises BlockingIOError when held."""
        if self._folder_fd is None and self.inbox.is_dir():
            folder = os.open(self.inbox.resolve(), os.O_RDONLY | os.O_DIRECTORY)
            try:
                fcntl.flock(folder, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(folder)
                raise
            self._folder_fd = folder

    def __exit__(self, *exc: object) -> None:
        if self._out_fd is not None:
            os.close(self._out_fd)
            self._out_fd = None
        if self._folder_fd is not None:
            os.close(self._folder_fd)
            self._folder_fd = None
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, 0)
            os.close(self._fd)  # closing releases the flock
            self._fd = None


def hold_out_folder(out: Path) -> int | None:
    """An flock on the folder drafts go to (made if missing): two batches with different inboxes must not
    write into one folder, whatever the site root, path spelling or symlink. LockedError while another run
    holds it; the fd to close when done, or None when `out` cannot be a folder (the first write says so)."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        folder = os.open(out.resolve(), os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return None
    try:
        fcntl.flock(folder, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(folder)
        raise LockedError(
            "another enrich batch is writing drafts into this --out folder; wait for it to finish, or choose another --out",
            path=str(out),
        ) from None
    return folder


@contextlib.contextmanager
def out_lock(out: Path) -> Iterator[None]:
    """`hold_out_folder` for the length of a `with` block."""
    fd = hold_out_folder(out)
    try:
        yield
    finally:
        if fd is not None:
            os.close(fd)
