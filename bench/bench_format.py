"""What `enrich init` learns from the real site, and how many current-format posts enrich would write as they are.

    python bench/bench_format.py [--posts ../shared/corpus/posts] [--recent 100]

1. runs the learning of `enrich init` on the posts and prints what it learned, with its evidence;
2. writes the learned enrich.toml into a temporary site and loads the profile from it, as a user's
   commands would;
3. for the current-format posts (those whose first key is `author`), re-emits each post's values
   through the one emitter (what a draft, a fix or an approval writes) with the learned profile, and
   compares the bytes with the post's own front matter: same key order, indentation and quoting. The
   same with the default profile, for comparison. Mismatches are listed by their first differing line.

The corpus is only read.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from enrich.frontmatter.emit import dump_front_matter  # noqa: E402
from enrich.frontmatter.split import split_text  # noqa: E402
from enrich.frontmatter.yaml12 import load_data  # noqa: E402
from enrich.learn.learn import learn  # noqa: E402
from enrich.learn.write import render_toml, report  # noqa: E402
from enrich.profile import Profile, load_profile  # noqa: E402


def compare(posts: Path, profile: Profile) -> tuple[int, int, Counter[str], list[str]]:
    """(current-format posts, written byte-identical, kinds of first difference, examples)."""
    total = same = 0
    kinds: Counter[str] = Counter()
    examples: list[str] = []
    for path in sorted(posts.glob("*.md")):
        parts = split_text(path.read_text(encoding="utf-8"))
        if parts is None or not parts.closed or not parts.block.lines or not parts.block.lines[0].startswith("author:"):
            continue
        total += 1
        original = parts.block.text + "\n"
        written = dump_front_matter(load_data(parts.block.text), profile)
        if written == original:
            same += 1
            continue
        diff = next((a, b) for a, b in zip(original.split("\n"), written.split("\n"), strict=False) if a != b)
        kind = (
            "indent"
            if diff[0].strip() == diff[1].strip()
            else "order"
            if diff[0].split(":")[0] != diff[1].split(":")[0]
            else "quoting"
        )
        kinds[kind] += 1
        if len(examples) < 12:
            examples.append(f"  {path.name}: post {diff[0][:60]!r}  enrich {diff[1][:60]!r}")
    return total, same, kinds, examples


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--posts", type=Path, default=REPO.parent / "shared" / "corpus" / "posts")
    parser.add_argument("--recent", type=int, default=100)
    args = parser.parse_args()
    if not args.posts.is_dir():
        print(f"no posts at {args.posts}", file=sys.stderr)
        return 2
    started = time.perf_counter()
    learned = learn(args.posts, load_profile(profile_file=REPO / "enrich" / "profiles" / "default.toml"), args.recent)
    seconds = time.perf_counter() - started
    print(f"## enrich init on {args.posts} ({seconds:.1f} s; 2 shared cores, timings noisy)\n")
    print(report(learned))
    with tempfile.TemporaryDirectory() as site:
        (Path(site) / "enrich.toml").write_text(render_toml(learned), encoding="utf-8")
        learned_profile = load_profile(Path(site))
    default_profile = load_profile(profile_file=REPO / "enrich" / "profiles" / "default.toml")
    for name, profile in (("learned profile", learned_profile), ("default profile", default_profile)):
        total, same, kinds, examples = compare(args.posts, profile)
        print(f"## front matter re-emitted with the {name}")
        print(f"{same} of {total} current-format posts byte-identical ({100 * same / max(total, 1):.1f}%)")
        if kinds:
            print("first difference: " + ", ".join(f"{k} {n}" for k, n in kinds.most_common()))
            print("\n".join(examples))
        print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
