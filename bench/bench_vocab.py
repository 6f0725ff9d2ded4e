"""`enrich vocab build` over the 1,000 real posts: wall time, peak memory, an incremental re-run, and
what the vocabulary makes of them (issue 10: a vocabulary that never guesses).

Each build runs in a fresh subprocess (`python -m enrich vocab build`), so peak RSS is that process's
own (resource.getrusage(RUSAGE_CHILDREN) after it exits). Targets: under 10 s and under 300 MB.
Then, on the same copy: ambiguous aliases and conflicts, `enrich check` findings by rule without and
with the vocabulary, and every change `enrich fix --dry-run` would make (`--list` prints them all).

    python bench/bench_vocab.py [--shared PATH] [--list]
"""

from __future__ import annotations

import argparse
import collections
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
    parser.add_argument("--list", action="store_true", help="print every change enrich fix would make")
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
        for i in range(10):
            (site / "posts" / f"new-{i}.md").unlink()
        _run(["vocab", "build", "posts"], site)
        quality = _quality(site, args.list)
    print("| run | wall time | notes |")
    print("|---|---|---|")
    print(
        f"| cold build, 1,000 posts | {cold_s:.2f} s | peak RSS {cold_mb:.0f} MB; {cold_out.splitlines()[0].split(': ', 1)[-1]} |"
    )
    print(f"| re-run, nothing changed | {warm_s:.2f} s | {warm_out.split(': ', 1)[-1].split(',')[0]} |")
    print(f"| re-run, 10 new + 1 edited | {incr_s:.2f} s | {incr_out.split(': ', 1)[-1].split(',')[0]} |")
    print(f"\nvocab.yaml {size / 1024:.0f} KB, vocab-state.json {state / 1024:.0f} KB (times include Python start-up, ~0.3 s)")
    print("(timings are noisy: 2 cores shared with other work)\n")
    print("\n".join(quality))
    return 0


def _quality(site: Path, list_all: bool) -> list[str]:
    """Ambiguous aliases, conflicts, check findings by rule and the fixes, on the 1,000 posts."""
    from enrich.check.checker import check_paths
    from enrich.check.fixer import Fixer
    from enrich.profile import load_profile
    from enrich.vocab.file import load_vocabulary
    from enrich.vocab.index import VocabFinder

    vocab_file = site / ".enrich" / "vocab.yaml"
    vocab = load_vocabulary(site, vocab_file)
    assert vocab is not None
    conflicts = [m for m in vocab.merges if m.reason.startswith("conflict")]
    lines = [f"ambiguous aliases: {vocab.index.ambiguous_count()}; conflicts needing a person: {len(conflicts)}"]
    for kind, table in vocab.index.names.items():
        for alias, owners in list(table.ambiguous.items())[:3]:
            lines.append(f"  ambiguous {kind}: {alias} -> {' / '.join(owners)}")
    lines += [f"  conflict {m.kind}: {m.source} / {m.target}" for m in conflicts[:5]]
    posts = sorted(str(p) for p in (site / "posts").glob("*.md"))
    profile = load_profile()
    cwd = os.getcwd()
    os.chdir(site)
    try:
        without = collections.Counter(f.rule for f in check_paths(posts, profile, VocabFinder(enabled=False)))
        found = check_paths(posts, profile, VocabFinder(vocab_file))
        with_vocab = collections.Counter(f.rule for f in found)
        fixer = Fixer(profile, VocabFinder(vocab_file))
        changes = [(Path(p).name, c) for p in posts for c in fixer.fix_bytes(p, Path(p).read_bytes()).changes]
    finally:
        os.chdir(cwd)
    lines.append("\n| rule | check, no vocabulary | check after vocab build |")
    lines.append("|---|---|---|")
    for rule in sorted(set(without) | set(with_vocab), key=lambda r: -with_vocab.get(r, 0)):
        lines.append(f"| {rule} | {without.get(rule, 0)} | {with_vocab.get(rule, 0)} |")
    lines.append(f"| total | {sum(without.values())} | {sum(with_vocab.values())} |")
    by_rule = collections.Counter(c.rule for _, c in changes)
    lines.append(f"\nenrich fix --dry-run: {len(changes)} change(s) in {len({n for n, _ in changes})} post(s): {dict(by_rule)}")
    vocab_changes = [(n, c) for n, c in changes if c.rule in ("name-noncanonical", "tag-twin")]
    shown = vocab_changes if list_all else vocab_changes[:15]
    lines += [f"  {name}:{c.line}: {c.description}" for name, c in shown]
    if len(shown) < len(vocab_changes):
        lines.append(f"  ... {len(vocab_changes) - len(shown)} more vocabulary change(s) (--list prints them)")
    return lines


if __name__ == "__main__":
    raise SystemExit(main())
