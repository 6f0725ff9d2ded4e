"""python-frontmatter with and without enrich's handler: how many posts survive a load and dump unchanged.

    python bench/bench_frontmatter_handler.py [--posts ../shared/corpus/posts]

For every post: `frontmatter.load(path, handler=EnrichHandler())` then `frontmatter.dumps(post)`, and
the same with plain python-frontmatter (`frontmatter.load(path)` / `frontmatter.dumps(post)`). Counts
the files written back byte-identical, and the posts whose front matter (the text between the
delimiters) changed. Also one edit through the handler (a status changed): how many lines of the file
changed. The corpus is only read.
"""

from __future__ import annotations

import argparse
import difflib
import sys
import time
from pathlib import Path

import frontmatter

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from enrich.frontmatter.handler import EnrichHandler  # noqa: E402
from enrich.frontmatter.split import split_text  # noqa: E402


def block_text(text: str) -> str | None:
    parts = split_text(text.lstrip("\ufeff"))
    return parts.block.text if parts is not None and parts.closed else None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--posts", type=Path, default=REPO.parent / "shared" / "corpus" / "posts")
    args = parser.parse_args()
    paths = sorted(args.posts.glob("*.md"))
    if not paths:
        print(f"no posts at {args.posts}", file=sys.stderr)
        return 2
    results = {}
    for name in ("EnrichHandler", "plain python-frontmatter"):
        identical = fm_changed = 0
        started = time.perf_counter()
        for path in paths:
            raw = path.read_bytes()
            if name == "EnrichHandler":
                out = frontmatter.dumps(frontmatter.load(str(path), handler=EnrichHandler()))
            else:
                out = frontmatter.dumps(frontmatter.load(str(path)))
            identical += out.encode("utf-8") == raw
            fm_changed += block_text(out) != block_text(raw.decode("utf-8"))
        results[name] = (identical, fm_changed, time.perf_counter() - started)
    print(f"## load + dumps round-trip of {len(paths):,} posts in {args.posts} (2 shared cores: timings noisy)")
    for name, (identical, fm_changed, seconds) in results.items():
        print(
            f"{name}: {identical:,} of {len(paths):,} byte-identical ({100 * identical / len(paths):.1f}%); "
            f"front matter rewritten in {fm_changed:,} ({100 * fm_changed / len(paths):.1f}%); {seconds:.1f} s"
        )
    changed_lines = []
    for path in paths:
        post = frontmatter.load(str(path), handler=EnrichHandler())
        post["status"] = "seedling" if post.get("status") != "seedling" else "budding"
        before, after = path.read_text(encoding="utf-8").split("\n"), frontmatter.dumps(post).split("\n")
        diff = [d for d in difflib.ndiff(before, after) if d[:1] in "+-"]
        changed_lines.append(all(d[2:].startswith("status:") for d in diff) and len(diff) <= 2)
    one = sum(changed_lines)
    print(f"status changed through EnrichHandler: only the status line changed (or was added) in {one:,} of {len(paths):,}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
