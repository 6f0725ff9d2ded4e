"""`enrich eval` with a small real model: the smallest 20 transcripts of ../shared/corpus, drafted by the local
llama.cpp server (../shared/tools/local-llm: `serve.sh` serves Qwen2.5-Coder-1.5B at http://127.0.0.1:8080/v1).

The site (kept in --site, so a second run is all cache hits) has the vocabulary of the 700 posts that are
not among the pairs; the transcripts are scored against the posts of the same id. It runs the CLI as a
user would, `enrich eval INBOX --gold POSTS --jobs 1 --max-input-tokens 7000`, then prints the table by
field and, per post, tokens, seconds, calls and what went wrong.

    python bench/eval_local_model.py [--count 20] [--limit K] [--max-output-tokens N] [--site DIR] [--base-url URL]

`--limit K` scores only the first K of those transcripts by name (the order batch drafts them in), for
when the model could not draft all of them in the time there was. Slow: about a minute per 3,000-token
transcript on 2 free cores, far more when the cores are shared. Not for the test suite.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def server_up(base_url: str) -> bool:
    try:
        with urllib.request.urlopen(base_url.removesuffix("/v1") + "/health", timeout=5) as reply:
            return bool(reply.status == 200)
    except OSError:
        return False


def enrich(site: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "OPENAI_API_KEY": os.environ.get("OPENAI_API_KEY", "local"), "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "enrich", *args]
    return subprocess.run(cmd, cwd=site, env=env, capture_output=True, text=True, check=False)


def make_site(site: Path, corpus: Path, names: list[str], base_url: str) -> Path:
    """The site, its vocabulary (built once) and an inbox holding exactly `names`."""
    site.mkdir(parents=True, exist_ok=True)
    (site / "enrich.toml").write_text(f'base_url = "{base_url}"\nmodel = "local"\n', encoding="utf-8")
    if not (site / ".enrich" / "vocab.yaml").is_file():
        pair_ids = {p.stem for p in (corpus / "raw").glob("*.txt")}
        posts = site / "vocab-posts"
        posts.mkdir(exist_ok=True)
        for post in (corpus / "posts").glob("*.md"):
            if post.stem not in pair_ids and not (posts / post.name).exists():
                (posts / post.name).symlink_to(post)
        built = enrich(site, "vocab", "build", "vocab-posts")
        print(built.stdout.strip() or built.stderr.strip())
    inbox = site / "inbox"
    inbox.mkdir(exist_ok=True)
    for old in inbox.iterdir():
        if old.name not in names:
            old.unlink()
    for name in names:
        if not (inbox / name).exists():
            (inbox / name).symlink_to(corpus / "raw" / name)
    return inbox


def per_post(run: dict[str, Any]) -> None:
    print("\n| post | tokens in | tokens out | seconds | calls | valid | problem |")
    print("|---|---|---|---|---|---|---|")
    for p in run["posts"]:
        c = p["cost"]
        problem = (p["error"] or "").split(": ", 1)[-1][:90]
        cells = [p["post"], c["tokens_in"], c["tokens_out"], f"{c['seconds']:.0f}", c["calls"], p["valid"], problem]
        print("| " + " | ".join(str(x) for x in cells) + " |")
    drafted = [p for p in run["posts"] if not p["error"]]
    n = max(1, len(drafted))
    print(
        f"\n{len(drafted)} of {len(run['posts'])} drafted; per drafted post: "
        f"{sum(p['cost']['tokens_in'] for p in drafted) / n:.0f} tokens in, "
        f"{sum(p['cost']['tokens_out'] for p in drafted) / n:.0f} out, "
        f"{sum(p['cost']['seconds'] for p in drafted) / n:.0f} s, {sum(p['cost']['calls'] for p in drafted) / n:.2f} calls"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    parser.add_argument("--site", type=Path, default=Path("/tmp/enrich-bench-local-model"))
    parser.add_argument("--base-url", default="http://127.0.0.1:8080/v1")
    parser.add_argument("--count", type=int, default=20, help="the N smallest transcripts")
    parser.add_argument("--limit", type=int, default=0, help="only the first K of them by name")
    parser.add_argument("--skip", default="", help="comma-separated transcripts to leave out (say why with the figures)")
    parser.add_argument("--max-output-tokens", type=int, default=0, help="bound each answer (ENRICH_MAX_OUTPUT_TOKENS)")
    args = parser.parse_args()
    corpus = args.shared / "corpus"
    if not (corpus / "raw").is_dir():
        print(f"skipped: {corpus} is absent")
        return 0
    if not server_up(args.base_url):
        print(f"skipped: no server at {args.base_url} (start it: ../shared/tools/local-llm/serve.sh)")
        return 0
    smallest = sorted(sorted((corpus / "raw").glob("*.txt"), key=lambda p: p.stat().st_size)[: args.count])
    skipped = set(filter(None, args.skip.split(",")))
    names = [p.name for p in smallest][: args.limit or None]
    if skipped:
        print(f"left out: {', '.join(sorted(skipped & set(names)))}")
        names = [n for n in names if n not in skipped]
    inbox = make_site(args.site, corpus, names, args.base_url)
    if args.max_output_tokens:
        os.environ["ENRICH_MAX_OUTPUT_TOKENS"] = str(args.max_output_tokens)
    out = args.site / "run.json"
    out.unlink(missing_ok=True)
    common = ["--jobs", "1", "--max-input-tokens", "7000", "--timeout", "600", "--deadline", "1800", "--no-progress"]
    t0 = time.perf_counter()
    outputs = ["--json", str(out), "--html", "page.html", "--force"]
    done = enrich(args.site, "eval", str(inbox), "--gold", str(corpus / "posts"), *common, *outputs)
    wall = time.perf_counter() - t0
    rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(done.stdout)
    if done.returncode != 0 or not out.is_file():
        print(f"enrich eval exited {done.returncode}: {done.stderr.strip()[-2000:]}")
        return 1
    run = json.loads(out.read_text(encoding="utf-8"))
    per_post(run)
    extra = run["run"]["extra"]
    print(
        f"\nenrich eval: {wall:.0f} s wall, {extra['requests this run']} requests this run, "
        f"{extra['from the cache']} from the cache; scoring {extra['scoring seconds']} s; "
        f"peak RSS of the enrich process {rss:.0f} MiB; page {args.site / 'page.html'} (2 shared cores: timings are noisy)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
