"""A full disk or a file-size limit during the other kinds of write: `enrich fix` and `enrich vocab build`.

Each fails with exit 3 and one line naming the file and the cause; the old file is byte-identical and no
temp file is left; once space is back, the same command succeeds.
"""

from __future__ import annotations

import errno
import os
import shutil
from pathlib import Path

import pytest

from tests.conftest import FIXTURES
from tests.faults import clean_failure, cli


def _full_disk(patch: pytest.MonkeyPatch, code: int) -> None:
    def full(fd: int) -> None:
        raise OSError(code, os.strerror(code))

    patch.setattr("enrich.fsutil.os.fsync", full)


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EFBIG])
def test_fix_on_a_full_disk_leaves_the_post_as_it_was(isolated: Path, monkeypatch: pytest.MonkeyPatch, code: int) -> None:
    post = isolated / "post.md"
    shutil.copy(FIXTURES / "posts" / "many-problems.md", post)
    before = post.read_bytes()
    with monkeypatch.context() as patch:
        _full_disk(patch, code)
        err = clean_failure(cli("fix", str(post)), 3)
    assert "post.md" in err
    assert post.read_bytes() == before
    assert not [p for p in isolated.iterdir() if p.name.endswith(".tmp")]
    cli("fix", str(post))
    assert post.read_bytes() != before  # with space back, the safe fixes are applied


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EFBIG])
def test_vocab_build_on_a_full_disk_keeps_the_old_vocabulary(isolated: Path, monkeypatch: pytest.MonkeyPatch, code: int) -> None:
    shutil.copytree(FIXTURES / "vocab" / "posts", isolated / "content")
    assert cli("vocab", "build", "content").exit_code == 0
    vocab = isolated / ".enrich" / "vocab.yaml"
    before = vocab.read_bytes()
    (isolated / "content" / "new.md").write_text(
        "---\ntitle: t\ntags: [brand-new-tag]\npeople: [Ada Lovelace]\n---\n\nbody\n", encoding="utf-8"
    )
    with monkeypatch.context() as patch:
        _full_disk(patch, code)
        err = clean_failure(cli("vocab", "build", "content"), 3)
    assert "vocab" in err
    assert vocab.read_bytes() == before
    assert not [p for p in vocab.parent.iterdir() if p.name.endswith(".tmp")]
    assert cli("vocab", "build", "content").exit_code == 0
    assert b"brand-new-tag" in vocab.read_bytes()
