"""`enrich vocab build` over the 1,000 real posts: wall time, peak memory, and an incremental re-run.

Each build runs in a fresh subprocess (`python -m enrich vocab build`), so peak RSS is that process's
own (resource.getrusage(RUSAGE_CHILDREN) after it exits). Targets: under 10 s and under 300 MB.

    python bench/bench_vocab.py [--shared PATH]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _run(args: list[str], cwd: Path) -> tuple[float, float, str]:
    """(seconds, peak RSS in MB of the child, its stdout)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t0 = time.perf_counter()
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.run([sys.executable, "-m", "enrich", *args], cwd=cwd, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if proc.returncode != 0:
        raise SystemExit(f"failed ({proc.returncode}): {proc.stderr.strip()}")
    # ru_maxrss is the max over all children so far; each run here is larger than the last or equal
    return seconds, max(peak, before) / 1024, proc.stdout.strip()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    args = parser.parse_args()
    posts = args.shared / "corpus" / "posts"
    if not posts.is_dir():
        print(f"skipped: {posts} is absent")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        site = Path(tmp)
        shutil.copytree(posts, site / "posts")
        cold_s, cold_mb, cold_out = _run(["vocab", "build", "posts"], site)
        warm_s, _, warm_out = _run(["vocab", "build", "posts"], site)
        for i in range(10):  # ten new posts, one edited
            shutil.copy(next((site / "posts").glob("*.md")), site / "posts" / f"new-{i}.md")
        edited = sorted((site / "posts").glob("*.md"))[-1]
        edited.write_text(edited.read_text(encoding="utf-8") + "\nedited\n", encoding="utf-8")
        incr_s, _, incr_out = _run(["vocab", "build", "posts"], site)
        size = (site / ".enrich" / "vocab.yaml").stat().st_size
        state = (site / ".enrich" / "vocab-state.json").stat().st_size
    print("| run | wall time | notes |")
    print("|---|---|---|")
    print(f"| cold build, 1,000 posts | {cold_s:.2f} s | peak RSS {cold_mb:.0f} MB; {cold_out.split(': ', 1)[-1]} |")
    print(f"| re-run, nothing changed | {warm_s:.2f} s | {warm_out.split(': ', 1)[-1].split(',')[0]} |")
    print(f"| re-run, 10 new + 1 edited | {incr_s:.2f} s | {incr_out.split(': ', 1)[-1].split(',')[0]} |")
    print(f"\nvocab.yaml {size / 1024:.0f} KB, vocab-state.json {state / 1024:.0f} KB (times include Python start-up, ~0.3 s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
