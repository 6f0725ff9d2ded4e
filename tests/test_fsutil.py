"""Crash-safe writes: a file is either fully written with the right mode, or left as it was."""

from __future__ import annotations

import errno
import os
import stat
import subprocess
import sys
import textwrap
from pathlib import Path
from types import TracebackType
from typing import Any, BinaryIO

import pytest

from enrich.errors import ExistsError
from enrich.fsutil import atomic_write
from tests.conftest import REPO


def current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def file_mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def leftovers(folder: Path, *keep: Path) -> list[str]:
    """Files in `folder` other than `keep`: a temp file left behind would show here."""
    return sorted(p.name for p in folder.iterdir() if p not in keep)


# -- creating and replacing ------------------------------------------------------------------------


def test_a_new_file_gets_the_umask_mode_not_mkstemps_0600(isolated: Path) -> None:
    target = isolated / "drafts" / "post.md"
    atomic_write(target, "---\ntitle: x\n---\n")
    assert target.read_text(encoding="utf-8") == "---\ntitle: x\n---\n"
    assert file_mode(target) == 0o666 & ~current_umask()


@pytest.mark.parametrize("umask", [0o022, 0o027, 0o002, 0o077])
def test_a_new_file_follows_the_umask_of_the_process(isolated: Path, umask: int) -> None:
    """In a fresh interpreter started with a given umask, as a user's shell would start enrich."""
    script = textwrap.dedent(
        """
        import sys
        from pathlib import Path
        from enrich.fsutil import atomic_write
        atomic_write(Path(sys.argv[1]), "text")
        """
    )
    target = isolated / "post.md"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    subprocess.run([sys.executable, "-c", script, str(target)], check=True, env=env, preexec_fn=lambda: os.umask(umask))
    assert file_mode(target) == 0o666 & ~umask


def test_an_explicit_mode_wins(isolated: Path) -> None:
    target = isolated / "cache.json"
    atomic_write(target, "{}", mode=0o600)
    assert file_mode(target) == 0o600
    atomic_write(target, "{}", mode=0o640)
    assert file_mode(target) == 0o640


def test_replacing_a_file_keeps_its_mode(isolated: Path) -> None:
    target = isolated / "post.md"
    target.write_text("old", encoding="utf-8")
    target.chmod(0o640)
    atomic_write(target, "new")
    assert target.read_text(encoding="utf-8") == "new"
    assert file_mode(target) == 0o640


def test_replacing_swaps_in_a_new_file_instead_of_rewriting_the_old_one(isolated: Path) -> None:
    target = isolated / "post.md"
    target.write_text("old content", encoding="utf-8")
    snapshot = isolated / "snapshot.md"
    os.link(target, snapshot)  # a second name for the old file
    with target.open(encoding="utf-8") as reader:
        atomic_write(target, "new content")
        assert reader.read() == "old content"  # a reader that had it open never sees a half-written file
    assert target.read_text(encoding="utf-8") == "new content"
    assert snapshot.read_text(encoding="utf-8") == "old content"  # not truncated and rewritten in place
    assert leftovers(isolated, target, snapshot) == []


def test_a_shorter_replacement_leaves_nothing_of_the_old_content(isolated: Path) -> None:
    target = isolated / "post.md"
    target.write_text("a much longer old text\n" * 10, encoding="utf-8")
    atomic_write(target, "short\n")
    assert target.read_bytes() == b"short\n"


def test_missing_parent_folders_are_created(isolated: Path) -> None:
    target = isolated / "a" / "b" / "c" / "post.md"
    atomic_write(target, "x")
    assert target.read_text(encoding="utf-8") == "x"


def test_a_successful_write_leaves_no_temp_file(isolated: Path) -> None:
    target = isolated / "post.md"
    atomic_write(target, "one")
    atomic_write(target, "two")
    assert leftovers(isolated) == ["post.md"]


# -- bytes and str ---------------------------------------------------------------------------------


def test_str_is_written_as_utf8_without_newline_translation(isolated: Path) -> None:
    target = isolated / "post.md"
    text = "title: 拆分单体应用的真实代价\r\nline two\n“quoted” ✓\n"
    atomic_write(target, text)
    assert target.read_bytes() == text.encode("utf-8")


def test_bytes_are_written_verbatim(isolated: Path) -> None:
    target = isolated / "blob.bin"
    data = bytes(range(256)) + b"\xff\xfe\x00not utf-8"
    atomic_write(target, data)
    assert target.read_bytes() == data


def test_empty_data_makes_an_empty_file(isolated: Path) -> None:
    target = isolated / "empty"
    target.write_text("something", encoding="utf-8")
    atomic_write(target, b"")
    assert target.read_bytes() == b""


# -- exclusive -------------------------------------------------------------------------------------


def test_exclusive_creates_a_new_file(isolated: Path) -> None:
    target = isolated / "drafts" / "post.md"
    atomic_write(target, "draft", exclusive=True)
    assert target.read_text(encoding="utf-8") == "draft"
    assert file_mode(target) == 0o666 & ~current_umask()
    assert leftovers(target.parent, target) == []


def test_exclusive_refuses_an_existing_file_and_leaves_it_untouched(isolated: Path) -> None:
    target = isolated / "post.md"
    target.write_text("a person's edits", encoding="utf-8")
    target.chmod(0o640)
    before = target.stat()
    with pytest.raises(ExistsError) as caught:
        atomic_write(target, "a new draft", exclusive=True)
    assert caught.value.path == str(target)
    assert "--force" in caught.value.message
    assert target.read_text(encoding="utf-8") == "a person's edits"
    after = target.stat()
    assert (after.st_ino, after.st_mtime_ns, stat.S_IMODE(after.st_mode)) == (before.st_ino, before.st_mtime_ns, 0o640)
    assert leftovers(isolated, target) == []


def test_a_second_exclusive_write_loses(isolated: Path) -> None:
    target = isolated / "post.md"
    atomic_write(target, "first", exclusive=True)
    with pytest.raises(ExistsError):
        atomic_write(target, "second", exclusive=True)
    assert target.read_text(encoding="utf-8") == "first"


def test_exclusive_refuses_a_dangling_symlink(isolated: Path) -> None:
    target = isolated / "post.md"
    target.symlink_to(isolated / "nowhere.md")
    with pytest.raises(ExistsError):
        atomic_write(target, "x", exclusive=True)
    assert not (isolated / "nowhere.md").exists()
    assert leftovers(isolated, target) == []


# -- failures part-way -----------------------------------------------------------------------------


class FullDisk:
    """A file handle whose write stores a few bytes and then fails like a full disk."""

    def __init__(self, handle: BinaryIO) -> None:
        self._handle = handle

    def __enter__(self) -> FullDisk:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self._handle.close()

    def write(self, data: bytes) -> int:
        self._handle.write(data[:3])
        self._handle.flush()
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    def flush(self) -> None:
        self._handle.flush()

    def fileno(self) -> int:
        return self._handle.fileno()


def fail_on_write(monkeypatch: pytest.MonkeyPatch) -> None:
    real_fdopen = os.fdopen

    def fdopen(fd: int, *args: Any, **kwargs: Any) -> FullDisk:
        return FullDisk(real_fdopen(fd, *args, **kwargs))

    monkeypatch.setattr(os, "fdopen", fdopen)


def fail_on_fsync(monkeypatch: pytest.MonkeyPatch) -> None:
    def fsync(fd: int) -> None:
        raise OSError(errno.EIO, os.strerror(errno.EIO))

    monkeypatch.setattr(os, "fsync", fsync)


def fail_on_replace(monkeypatch: pytest.MonkeyPatch) -> None:
    def replace(src: Any, dst: Any) -> None:
        raise OSError(errno.EXDEV, os.strerror(errno.EXDEV))

    monkeypatch.setattr(os, "replace", replace)


def interrupt_on_replace(monkeypatch: pytest.MonkeyPatch) -> None:
    def replace(src: Any, dst: Any) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", replace)


FAILURES = {
    "write-enospc": (fail_on_write, OSError),
    "fsync-eio": (fail_on_fsync, OSError),
    "replace-exdev": (fail_on_replace, OSError),
    "ctrl-c": (interrupt_on_replace, KeyboardInterrupt),
}


@pytest.mark.parametrize("failure", list(FAILURES))
def test_a_failed_write_keeps_the_old_file_and_leaves_no_temp_file(
    isolated: Path, monkeypatch: pytest.MonkeyPatch, failure: str
) -> None:
    target = isolated / "post.md"
    target.write_text("the old post", encoding="utf-8")
    target.chmod(0o644)
    inject, error = FAILURES[failure]
    with monkeypatch.context() as patched, pytest.raises(error):
        inject(patched)
        atomic_write(target, "the new post, which never fully arrives")
    assert target.read_text(encoding="utf-8") == "the old post"
    assert file_mode(target) == 0o644
    assert leftovers(isolated, target) == []


@pytest.mark.parametrize("failure", list(FAILURES)[:2])
def test_a_failed_first_write_creates_nothing(isolated: Path, monkeypatch: pytest.MonkeyPatch, failure: str) -> None:
    inject, error = FAILURES[failure]
    with monkeypatch.context() as patched, pytest.raises(error):
        inject(patched)
        atomic_write(isolated / "post.md", "x")
    assert leftovers(isolated) == []


def test_the_error_of_a_full_disk_reaches_the_caller(isolated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fail_on_write(monkeypatch)
    with pytest.raises(OSError) as caught:
        atomic_write(isolated / "post.md", "x")
    assert caught.value.errno == errno.ENOSPC


# -- durability ------------------------------------------------------------------------------------


def record_fsyncs(monkeypatch: pytest.MonkeyPatch, target: Path) -> list[tuple[str, bytes | None]]:
    """Each fsync as (what was synced, the target's content at that moment), then really fsync."""
    calls: list[tuple[str, bytes | None]] = []
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        kind = "folder" if stat.S_ISDIR(os.fstat(fd).st_mode) else "file"
        calls.append((kind, target.read_bytes() if target.exists() else None))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    return calls


@pytest.mark.parametrize("exclusive", [False, True])
def test_the_file_is_synced_before_and_the_folder_after_it_appears(
    isolated: Path, monkeypatch: pytest.MonkeyPatch, exclusive: bool
) -> None:
    target = isolated / "drafts" / "post.md"
    target.parent.mkdir()
    if not exclusive:
        target.write_bytes(b"old")
    calls = record_fsyncs(monkeypatch, target)
    atomic_write(target, b"new", exclusive=exclusive)
    before = None if exclusive else b"old"
    assert calls == [("file", before), ("folder", b"new")]


def test_the_folder_synced_is_the_one_holding_the_file(isolated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = isolated / "drafts" / "post.md"
    synced: list[tuple[int, int]] = []
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            synced.append((info.st_dev, info.st_ino))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    atomic_write(target, "x")
    folder = target.parent.stat()
    assert synced == [(folder.st_dev, folder.st_ino)]


def test_a_folder_that_cannot_be_synced_does_not_fail_the_write(isolated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Some filesystems refuse fsync on a directory; the file itself is already safe by then."""
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        if stat.S_ISDIR(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, os.strerror(errno.EINVAL))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    target = isolated / "post.md"
    atomic_write(target, "x")
    assert target.read_text(encoding="utf-8") == "x"
