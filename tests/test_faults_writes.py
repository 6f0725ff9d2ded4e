"""A full disk or a file-size limit during the other kinds of write: `enrich fix` and `enrich vocab build`.

Each fails with exit 3 and one line naming the file and the cause; the old file is byte-identical and no
temp file is left; once space is back, the same command succeeds.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
from pathlib import Path

import pytest

from enrich.testing.fakeserver import FakeLLM
from tests.conftest import FIXTURES
from tests.faults import clean_failure, cli, fail_writes, inbox, temp_files


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


# -- the batch's own files, the report and the approval: a full disk in the middle of each --------------


@pytest.fixture
def drafted(fake_llm: FakeLLM, isolated: Path) -> Path:
    """A site where a first batch drafted two files (so a manifest, a cache and a report exist)."""
    inbox(isolated, 2)
    assert cli("batch", "inbox", "--report", "report.json").exit_code == 0
    return isolated


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EFBIG])
def test_a_full_disk_for_the_batch_manifest_stops_the_batch_with_one_line(
    drafted: Path, fake_llm: FakeLLM, monkeypatch: pytest.MonkeyPatch, code: int
) -> None:
    manifest = drafted / ".enrich" / "manifest.jsonl"
    before = manifest.read_bytes()
    inbox(drafted, 4)  # two new files
    with monkeypatch.context() as patch:
        fail_writes(patch, code, "manifest.jsonl")
        err = clean_failure(cli("batch", "inbox"), 3)
    assert "manifest.jsonl" in err and os.strerror(code).lower().split()[0] in err.lower(), err
    assert manifest.read_bytes() == before
    assert temp_files(drafted) == []
    sent = len(fake_llm.requests)
    again = cli("batch", "inbox")
    assert again.exit_code == 0, again.output
    assert len(fake_llm.requests) == sent  # the answers paid for before the disk filled come from the cache
    assert len(list((drafted / "drafts").glob("*.md"))) == 4
    assert all(f"t0{i}.md" in manifest.read_text(encoding="utf-8") for i in range(4))


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EFBIG])
def test_a_full_disk_for_the_report_keeps_the_old_report(
    drafted: Path, fake_llm: FakeLLM, monkeypatch: pytest.MonkeyPatch, code: int
) -> None:
    report = drafted / "report.json"
    before = report.read_bytes()
    inbox(drafted, 3)
    with monkeypatch.context() as patch:
        fail_writes(patch, code, "report.json")
        result = cli("batch", "inbox", "--report", "report.json")
        err = clean_failure(result, 3)
    assert "report.json" in err and "previous file is unchanged" in err, err
    assert "model call(s)" in result.stdout, result.stdout  # what the run did is still told
    assert report.read_bytes() == before
    assert temp_files(drafted) == []
    sent = len(fake_llm.requests)
    assert cli("batch", "inbox", "--report", "report.json").exit_code == 0
    assert len(fake_llm.requests) == sent
    assert len(json.loads(report.read_text(encoding="utf-8"))["files"]) == 3


@pytest.fixture
def approvable(fake_llm: FakeLLM, isolated: Path) -> Path:
    """A site with one draft that passes `enrich check` (its input has a yt-dlp sidecar: a source)."""
    (isolated / "inbox").mkdir()
    for name in ("xK3mP9qL2wA.txt", "xK3mP9qL2wA.info.json"):
        shutil.copy(FIXTURES / name, isolated / "inbox" / name)
    assert cli("batch", "inbox").exit_code == 0
    return isolated


@pytest.mark.parametrize("where", ["content/", "review-log.jsonl"])
def test_a_full_disk_during_approve_keeps_the_draft_and_finishes_once_space_is_back(
    approvable: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    drafted = approvable
    draft = drafted / "drafts" / "xK3mP9qL2wA.md"
    before = draft.read_bytes()
    log = drafted / ".enrich" / "review-log.jsonl"
    with monkeypatch.context() as patch:
        fail_writes(patch, errno.ENOSPC, where)
        err = clean_failure(cli("approve", str(draft), "--to", "content"), 3)
    assert ("xK3mP9qL2wA.md" if where == "content/" else "review-log.jsonl") in err and "no space left" in err, err
    assert draft.read_bytes() == before
    assert not log.exists() or log.read_text(encoding="utf-8") == ""
    assert not (drafted / "content" / "xK3mP9qL2wA.md").exists()  # nothing published that is not recorded
    assert temp_files(drafted) == []
    assert cli("approve", str(draft), "--to", "content").exit_code == 0
    assert (drafted / "content" / "xK3mP9qL2wA.md").is_file() and not draft.exists()
    assert [json.loads(line)["action"] for line in log.read_text(encoding="utf-8").splitlines()] == ["approve"]


@pytest.mark.parametrize("where", ["content/", "review-log.jsonl"])
def test_a_full_disk_during_an_approval_in_review_says_so_and_stays_on_the_draft(
    approvable: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    drafted = approvable
    draft = drafted / "drafts" / "xK3mP9qL2wA.md"
    before = draft.read_bytes()
    with monkeypatch.context() as patch:
        fail_writes(patch, errno.ENOSPC, where)
        result = cli("review", "--to", "content", "drafts/xK3mP9qL2wA.md", input="aq")
    err = clean_failure(result, 3)
    assert "no space left" in err and err.count("\n") == 1, err
    assert "review: nothing decided" in result.output, result.output  # it stayed on the draft, then quit
    assert draft.read_bytes() == before
    assert temp_files(drafted) == []
    again = cli("review", "--to", "content", "drafts/xK3mP9qL2wA.md", input="a")
    assert again.exit_code == 0, again.output
    assert (drafted / "content" / "xK3mP9qL2wA.md").is_file() and not draft.exists()


def test_a_full_disk_during_reject_keeps_the_draft_and_sets_nothing_aside(
    approvable: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    draft = approvable / "drafts" / "xK3mP9qL2wA.md"
    before = draft.read_bytes()
    rejected = approvable / ".enrich" / "rejected"
    with monkeypatch.context() as patch:
        fail_writes(patch, errno.ENOSPC, "review-log.jsonl")
        err = clean_failure(cli("reject", str(draft)), 3)
    assert "review-log.jsonl" in err and "no space left" in err, err
    assert draft.read_bytes() == before
    assert not rejected.exists() or list(rejected.iterdir()) == []  # not set aside twice by the re-run
    assert cli("reject", str(draft)).exit_code == 0
    assert [p.name for p in rejected.iterdir()] == ["xK3mP9qL2wA.md"] and not draft.exists()


def test_a_full_disk_for_the_lock_file_does_not_stop_the_batch(
    fake_llm: FakeLLM, isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    inbox(isolated, 2)
    with monkeypatch.context() as patch:
        fail_writes(patch, errno.ENOSPC, "/locks/")  # the lock holds; only the line saying who holds it is lost
        result = cli("batch", "inbox")
    assert result.exit_code == 0, result.output
    assert len(list((isolated / "drafts").glob("*.md"))) == 2
