"""Pacing at the provider's limits: `enrich batch` against a fake server that enforces them.

    python bench/bench_limits.py [--jobs 16] [--latency 0.3] [--only a|b] [--warm]

(a) 80 corpus transcripts under 300 requests/minute with a burst of 10: all drafted, wall time
    against the rate-limit ideal (80 - 10) / 5 per second = 14 s (target <= 1.1x), share of
    requests answered 429 (target <= 5%).
(b) 40 corpus transcripts under 400,000 tokens/minute (one minute's bucket; a request counts its
    prompt tokens plus the answer room it asks for): all drafted, wall time against the token ideal
    (tokens counted - 400,000) / (400,000 / 60 per second) (target <= 1.1x), share answered 429 (<= 5%).

Each run starts with an empty user cache (nothing learned yet: the first run of a new endpoint);
`--warm` runs once more with the limits the first run remembered. Timings on a shared machine are noisy.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from enrich.testing.bench import compile_like_an_install
from enrich.testing.fakeserver import FakeLLM
from enrich.testing.ratelimits import RateLimits

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus" / "raw"


def run_batch(site: Path, base_url: str, inbox: Path, jobs: int) -> tuple[int, float, float, str]:
    """(exit status, wall seconds, when it started on the perf_counter clock, output tail)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "ENRICH_"))}
    env.update(OPENAI_BASE_URL=base_url, OPENAI_API_KEY="sk-bench-not-a-key", ENRICH_CACHE_DIR=str(site / "user-cache"))
    args = ["batch", str(inbox), "--jobs", str(jobs), "--out", "drafts", "--report", "report.json", "--no-progress"]
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "enrich", *args], cwd=site, env=env, capture_output=True, check=False)
    wall = time.perf_counter() - started
    tail = (proc.stdout + proc.stderr).decode("utf-8", "replace").strip().splitlines()[-6:]
    return proc.returncode, wall, started, "\n".join(tail)


def timeline(limits: RateLimits, started: float, latency: float, ideal: float) -> str:
    """Where the time went: start-up until the first request, the paced part against the ideal, when the 429s came."""
    events = sorted(limits.events)
    if not events:
        return "no request reached the server"
    first, last = events[0][0] - started, events[-1][0] - started
    learning = first + latency  # until the first answer (and its headers) is back
    early = sum(1 for t, kind in events if kind != "ok" and t - started <= learning)
    late = [f"{t - started:.1f}s" for t, kind in events if kind != "ok" and t - started > learning]
    paced = last - first + latency
    return (
        f"first request at {first:.2f}s (start-up); first to last answer {paced:.2f}s vs ideal + one latency "
        f"{ideal + latency:.2f}s -> {paced / (ideal + latency):.2f}x; 429s before the first answer: {early}, "
        f"after it: {len(late)}" + (f" (at {', '.join(late[:8])})" if late else "")
    )


def inbox_of(count: int, tmp: Path) -> Path:
    inbox = tmp / "inbox"
    inbox.mkdir()
    for path in sorted(CORPUS.glob("*.txt"))[:count]:
        (inbox / path.name).symlink_to(path)
    return inbox


def drafted(site: Path) -> int:
    data: dict[str, Any] = json.loads((site / "report.json").read_text(encoding="utf-8"))
    return sum(1 for f in data["files"] if f["outcome"] == "drafted")


def scenario(name: str, count: int, limits_of: Any, ideal_of: Any, args: argparse.Namespace) -> bool:
    ok = True
    with tempfile.TemporaryDirectory(prefix="enrich-bench-limits-") as tmp_name:
        tmp = Path(tmp_name)
        inbox = inbox_of(count, tmp)
        site = tmp / "site"
        site.mkdir()
        for run in ("cold", "warm") if args.warm else ("cold",):
            if run == "warm":
                for old in (site / "drafts", site / ".enrich"):
                    subprocess.run(["rm", "-rf", str(old)], check=True)
            limits: RateLimits = limits_of()
            with FakeLLM(latency=args.latency, limits=limits) as llm:
                status, wall, started, tail = run_batch(site, llm.base_url, inbox, args.jobs)
                sent = len(llm.requests)
                tokens = limits.counted_tokens
            done = drafted(site)
            ideal = ideal_of(tokens)
            share = limits.refusals / max(sent, 1)
            good = status == 0 and done == count and wall <= 1.1 * ideal and share <= 0.05
            ok &= good
            print(
                f"({name}) {run}: {count} files, --jobs {args.jobs}, latency {args.latency}s: "
                f"exit {status}, {done}/{count} drafted, "
                f"{wall:.2f}s wall vs ideal {ideal:.2f}s -> {wall / ideal:.2f}x (target <= 1.1x); {sent} requests, "
                f"{limits.refusals} answered 429 = {share:.1%} (target <= 5%); {tokens} tokens sent"
                + ("" if good else "  MISSED")
            )
            print("   " + timeline(limits, started, args.latency, ideal))
            if status != 0:
                print("   " + tail.replace("\n", "\n   "))
    return ok


def main() -> int:
    compile_like_an_install()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=16)
    parser.add_argument("--latency", type=float, default=0.3)
    parser.add_argument("--only", choices=("a", "b"))
    parser.add_argument("--warm", action="store_true", help="run again with the limits the first run remembered")
    args = parser.parse_args()
    ok = True
    if args.only in (None, "a"):
        ok &= scenario("a", 80, lambda: RateLimits(rpm=300, burst=10), lambda _tokens: (80 - 10) / 5, args)
    if args.only in (None, "b"):
        tpm = 400_000
        ok &= scenario("b", 40, lambda: RateLimits(tpm=tpm), lambda tokens: max(tokens - tpm, 0) / (tpm / 60), args)
    print("ALL TARGETS MET" if ok else "SOME TARGETS MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
