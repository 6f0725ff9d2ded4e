"""The offline floor, through `enrich eval --offline`: what drafting without a model scores against what people approved.

The 300 raw transcripts of ../shared/corpus/raw are paired with the posts of the same id; the site's
vocabulary is built from the 700 posts that are NOT among the pairs, so no approved answer leaks into
it. Drafting and scoring are `enrich eval`'s own (`enrich.eval.runner.run_eval`, as the CLI runs it):
names after canonical matching through the vocabulary, tags through twins, validity by `enrich check`.
It then scores the same drafts once more on their own, under tracemalloc, to say what eval adds.

    python bench/eval_offline.py [--limit N] [--shared PATH] [--jobs N] [--json FILE]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
import tracemalloc
from pathlib import Path

from enrich.draft.build import build_drafter
from enrich.eval.report import to_json, to_text
from enrich.eval.runner import EvalOptions, find_pairs, run_eval
from enrich.eval.wire import Scorer, read_values
from enrich.settings import load_settings
from enrich.vocab.build import build_vocabulary

ROOT = Path(__file__).resolve().parent.parent


def make_site(site: Path, corpus: Path, inputs: list[Path]) -> Path:
    """A site whose vocabulary comes from the posts not among the pairs, and an inbox of `inputs`."""
    pair_ids = {p.stem for p in (corpus / "raw").glob("*.txt")}
    posts = site / "vocab-posts"
    posts.mkdir(parents=True)
    for post in (corpus / "posts").glob("*.md"):
        if post.stem not in pair_ids:
            (posts / post.name).symlink_to(post)
    (site / "enrich.toml").write_text("", encoding="utf-8")
    result = build_vocabulary(posts, site / ".enrich" / "vocab.yaml")
    print(f"vocabulary from the {result.posts} posts not among the pairs: {len(result.vocab.tags)} tags")
    inbox = site / "raw"
    inbox.mkdir()
    for raw in inputs:
        (inbox / raw.name).symlink_to(raw)
    return inbox


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    parser.add_argument("--limit", type=int, default=0, help="only the first N transcripts by name")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--json", type=Path, help="also write the run's JSON here")
    args = parser.parse_args()
    corpus = args.shared / "corpus"
    if not (corpus / "raw").is_dir():
        print(f"skipped: {corpus} is absent")
        return 0
    raws = sorted((corpus / "raw").glob("*.txt"))
    if args.limit:
        raws = raws[: args.limit]
    with tempfile.TemporaryDirectory() as tmp:
        site = Path(tmp)
        inbox = make_site(site, corpus, raws)
        os.environ["ENRICH_CACHE_DIR"] = str(site / "user-cache")
        settings = load_settings({}, start=site)
        drafter, _ = build_drafter(settings, backend="offline", max_in_flight=args.jobs)
        options = EvalOptions(inputs=inbox, gold=corpus / "posts", jobs=args.jobs)
        t0 = time.perf_counter()
        result = run_eval(drafter, options)
        wall = time.perf_counter() - t0
        assert result.run is not None
        print(to_text(result.run))
        if args.json:
            args.json.write_text(to_json(result.run), encoding="utf-8")
        # what eval adds beyond drafting: reading the approved posts and scoring, measured once more alone
        pairs, _ = find_pairs(inbox, corpus / "posts")
        by_input = {Path(r.input).name: r for r in result.batch.files}
        tracemalloc.start()
        t1 = time.perf_counter()
        scorer = Scorer.for_drafter(drafter)
        for pair in pairs:
            scorer.score(pair, read_values(pair.gold), by_input[pair.transcript.name])
        alone = time.perf_counter() - t1
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    n = len(result.run.posts)
    print(
        f"\n{n} pairs; eval wall {wall:.1f} s: drafting (batch, offline) {result.batch.wall_seconds:.1f} s, "
        f"scoring {result.scoring_seconds:.2f} s in the run ({result.scoring_seconds / max(1, n) * 1000:.1f} ms per post); "
        f"scoring alone again {alone:.2f} s, peak {peak / 2**20:.1f} MiB allocated while scoring "
        "(2 shared cores: timings are noisy)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
