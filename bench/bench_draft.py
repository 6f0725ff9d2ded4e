"""Benchmark: draft every raw transcript of ../shared/corpus/raw against the fake server.

Reports drafts written, crashes, the time per file spent outside the model call (target: median
under 50 ms) and prompt tokens sent per transcript token (target: at most 1.15 for the median
transcript). Run: python bench/bench_draft.py [--limit N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from enrich.testing.fakeserver import FakeLLM

REPO = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--corpus", type=Path, default=REPO.parent / "shared" / "corpus" / "raw")
    parser.add_argument("--limit", type=int, default=0)
    args = parser.parse_args()
    if not args.corpus.is_dir():
        print(f"skipped: {args.corpus} not found")
        return 0
    files = sorted(args.corpus.glob("*.txt"))
    if args.limit:
        files = files[: args.limit]

    from enrich.draft.build import build_drafter
    from enrich.draft.output import write_draft
    from enrich.settings import load_settings
    from enrich.tokens import count_tokens

    outside: list[float] = []
    ratios: list[tuple[int, float]] = []
    failures: list[str] = []
    with FakeLLM(count_tokens=True) as llm, tempfile.TemporaryDirectory() as tmp:
        os.environ.update(OPENAI_BASE_URL=llm.base_url, OPENAI_API_KEY="sk-bench-key-000000000000", ENRICH_CACHE_DIR=tmp)
        os.chdir(tmp)
        settings = load_settings()
        drafter, _ = build_drafter(settings)
        started = time.perf_counter()
        for path in files:
            t0 = time.perf_counter()
            try:
                draft = drafter.draft(path)
                write_draft(draft, drafter.profile, Path(tmp) / "drafts")
            except Exception as exc:  # a benchmark counts crashes instead of stopping
                failures.append(f"{path.name}: {type(exc).__name__}: {exc}")
                continue
            elapsed = time.perf_counter() - t0
            outside.append(elapsed - draft.model_seconds)
            transcript_tokens = count_tokens(path.read_text(encoding="utf-8"))
            ratios.append((transcript_tokens, draft.provenance.tokens_in / transcript_tokens))
        wall = time.perf_counter() - started
        written = len(list((Path(tmp) / "drafts").glob("*.md")))
    ratios.sort()
    median_ratio = ratios[len(ratios) // 2][1] if ratios else float("nan")
    print(f"files: {len(files)}  drafts written: {written}  failures: {len(failures)}  wall: {wall:.1f}s")
    for line in failures[:10]:
        print("  failed:", line)
    if outside:
        q = statistics.quantiles(outside, n=20)
        print(
            f"time outside the model call per file: median {statistics.median(outside) * 1000:.1f} ms, "
            f"p95 {q[18] * 1000:.1f} ms, max {max(outside) * 1000:.1f} ms  (target: median < 50 ms)"
        )
        print(
            f"prompt tokens sent per transcript token: median transcript ({ratios[len(ratios) // 2][0]} tokens) "
            f"{median_ratio:.3f}; over all files min {min(r for _, r in ratios):.3f}, max {max(r for _, r in ratios):.3f}"
            "  (target: <= 1.15)"
        )
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
