"""The README's pre-commit set-up, exactly as written, run by the real pre-commit framework.

A git repository in tmp gets the README's `.pre-commit-config.yaml` (its `repo:` pointing at a committed
snapshot of this checkout, its `rev:` at that snapshot's commit sha), `pre-commit install`, and two
commits: a post with an error fails with the finding, a good post passes. pre-commit builds the hook's
virtualenv with pip from the package registry, so this test needs the network the first time and takes
a minute or more; it is skipped, saying why, when git or pre-commit is missing.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.test_check import GOOD


def _pre_commit() -> str | None:
    """The pre-commit of this environment (the dev extras install it), else one on PATH."""
    beside = Path(sys.executable).with_name("pre-commit")
    return str(beside) if beside.is_file() else shutil.which("pre-commit")


GIT = shutil.which("git")
PRE_COMMIT = _pre_commit()
TIMEOUT = 900  # generous: the first run pip-installs enrich and its dependencies into the hook's venv

pytestmark = [
    pytest.mark.skipif(GIT is None, reason="git is not installed"),
    pytest.mark.skipif(PRE_COMMIT is None, reason="pre-commit is not installed (pip install -e '.[dev]')"),
    pytest.mark.skipif(not (REPO / ".git").exists(), reason="not a git checkout: nothing for pre-commit to clone"),
]


def readme_config() -> str:
    """The `.pre-commit-config.yaml` block of the README, as written."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    match = re.search(r"```yaml\n(# \.pre-commit-config\.yaml[^\n]*\n.*?)```", text, re.S)
    assert match, "the README has no ```yaml block starting with '# .pre-commit-config.yaml'"
    return match.group(1)


def git(*args: str, cwd: Path, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
        "GIT_CONFIG_NOSYSTEM": "1",
    }
    assert GIT is not None
    return subprocess.run([GIT, *args], cwd=cwd, env=env, capture_output=True, text=True, check=check, timeout=TIMEOUT)


def snapshot(dest: Path) -> str:
    """This checkout's files as they are now (committed or not) committed in a repository at dest; its sha."""
    listed = git("ls-files", "-z", "--cached", "--others", "--exclude-standard", cwd=REPO).stdout
    dest.mkdir()
    for name in filter(None, listed.split("\0")):
        src = REPO / name
        if src.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)
    git("init", "-q", cwd=dest)
    git("add", "-A", cwd=dest)
    git("commit", "-q", "-m", "snapshot of the checkout under test", cwd=dest)
    return git("rev-parse", "HEAD", cwd=dest).stdout.strip()


def test_readme_pre_commit_set_up_fails_a_bad_post_and_passes_a_good_one(tmp_path: Path, isolated: Path) -> None:
    enrich_repo = tmp_path / "enrich-src"
    sha = snapshot(enrich_repo)
    config = readme_config()
    assert re.search(r"^\s*- repo: .+$", config, re.M) and re.search(r"^\s*rev: .+$", config, re.M)
    config = re.sub(r"^(\s*- repo: ).+$", lambda m: m.group(1) + str(enrich_repo), config, flags=re.M)
    config = re.sub(r"^(\s*rev: ).+$", lambda m: m.group(1) + sha, config, flags=re.M)

    site = isolated  # an empty folder in tmp: the site's repository
    git("init", "-q", cwd=site)
    (site / ".pre-commit-config.yaml").write_text(config, encoding="utf-8")
    assert PRE_COMMIT is not None
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home")}
    env.pop("PRE_COMMIT", None)
    installed = subprocess.run(
        [PRE_COMMIT, "install"], cwd=site, env=env, capture_output=True, text=True, timeout=TIMEOUT, check=False
    )
    assert installed.returncode == 0, installed.stdout + installed.stderr

    def commit(name: str, text: str) -> subprocess.CompletedProcess[str]:
        path = site / "content" / "posts" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        git("add", "-A", cwd=site)
        done = subprocess.run(
            [GIT or "git", "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-m", f"add {name}"],
            cwd=site,
            env=env,
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            check=False,
        )
        return done

    bad = commit("bad.md", GOOD.replace("date: '2024-03-15'", "date: 2024-03-15"))
    output = bad.stdout + bad.stderr
    assert bad.returncode != 0, output
    assert "content/posts/bad.md:6:1: error date-unquoted" in output, output
    assert "Failed" in output
    assert git("rev-list", "--all", cwd=site, check=False).stdout.strip() == ""  # nothing was committed

    (site / "content" / "posts" / "bad.md").unlink()
    good = commit("good.md", GOOD)
    output = good.stdout + good.stderr
    assert good.returncode == 0, output
    assert "Passed" in output
    assert git("log", "--oneline", cwd=site).stdout.count("\n") == 1
