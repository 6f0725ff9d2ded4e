"""Benchmark `enrich batch` on the 300 real transcripts of ../shared/corpus/raw against a fake model.

    python bench/bench_batch.py [--jobs 16] [--latency 0.5] [--limit N] [--runs 3] [--real-answers]

Starts FakeLLM in this process and runs the CLI as a subprocess pointed at it (OPENAI_BASE_URL), so
the CLI's own CPU, threads and memory are measured as a user would meet them. Byte code is compiled
once before timing (into a temporary PYTHONPYCACHEPREFIX), as an installed copy has it. Prints:

1. wall time of the 300-file run against the ideal files x latency / jobs (target <= 1.2x; the
   median of --runs fresh runs, each into an empty site), where the time went (start-up until the
   first request reached the server, how busy the slots were, the end after the last answer), and
   the peak RSS of the CLI process (target < 250 MB);
2. the same with 20% of calls answered 429 + Retry-After 2 s: every file drafted, none lost;
3. a re-run on the unchanged inbox: zero model calls, under 3 s wall.

`--real-answers`: the fake answers each transcript with its approved post's own values from
../shared/corpus/posts (`enrich.testing.approved`: dozens of names in some, each with its mention),
not a minimal valid object, so validating, grounding and writing cost what they cost on real answers.

The corpus is only read: drafts, cache and reports go to a temporary site folder.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from enrich.testing.approved import ApprovedAnswers
from enrich.testing.bench import compile_like_an_install
from enrich.testing.fakeserver import FakeLLM, Reply, answer, error, valid_answer

REPO = Path(__file__).resolve().parents[1]

CORPUS = REPO.parent / "shared" / "corpus" / "raw"
POSTS = REPO.parent / "shared" / "corpus" / "posts"
CPU = [0.0]  # CPU seconds of the last CLI run


PYCACHE: list[Path] = []  # set in main: byte code compiled once, as an installed copy has it


def run_cli(site: Path, base_url: str, *args: str, started_at: list[float] | None = None) -> tuple[int, float, float, str]:
    """(exit status, wall seconds, peak RSS in MB, output tail) of one `enrich` subprocess."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "ENRICH_"))}
    env.update(OPENAI_BASE_URL=base_url, OPENAI_API_KEY="sk-bench-not-a-key", ENRICH_CACHE_DIR=str(site / "user-cache"))
    if PYCACHE:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(PYCACHE[0])
    started = time.perf_counter()
    if started_at is not None:
        started_at[:] = [started]
    proc = subprocess.Popen(
        [sys.executable, "-m", "enrich", *args], cwd=site, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    out_chunks: list[bytes] = []
    err_chunks: list[bytes] = []
    readers = [
        threading.Thread(target=lambda: out_chunks.append(proc.stdout.read() if proc.stdout else b"")),
        threading.Thread(target=lambda: err_chunks.append(proc.stderr.read() if proc.stderr else b"")),
    ]
    for reader in readers:
        reader.start()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    for reader in readers:
        reader.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    tail = (b"".join(out_chunks) + b"".join(err_chunks)).decode("utf-8", "replace").strip().splitlines()[-12:]
    CPU[0] = usage.ru_utime + usage.ru_stime
    return proc.returncode, wall, usage.ru_maxrss / 1024, "\n".join(tail)


def inbox_of(limit: int | None, tmp: Path) -> tuple[Path, int]:
    files = sorted(CORPUS.glob("*.txt"))
    if limit is None or limit >= len(files):
        return CORPUS, len(files)
    inbox = tmp / "inbox"
    inbox.mkdir()
    for path in files[:limit]:
        (inbox / path.name).symlink_to(path)
    return inbox, limit


def report_totals(site: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((site / "report.json").read_text(encoding="utf-8"))
    totals: dict[str, Any] = data["totals"]
    return totals


def main() -> int:
    compile_like_an_install()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=16)
    parser.add_argument("--latency", type=float, default=0.5)
    parser.add_argument("--limit", type=int, default=None, help="only the first N transcripts")
    parser.add_argument("--runs", type=int, default=3, help="fresh 300-file runs; the median counts (default 3)")
    parser.add_argument("--skip-429", action="store_true", help="skip the 429 run (it takes a while)")
    parser.add_argument("--real-answers", action="store_true", help="answer with the approved posts' own values")
    args = parser.parse_args()
    if not CORPUS.is_dir():
        print(f"no corpus at {CORPUS}: nothing to measure")
        return 0
    ok = True
    with tempfile.TemporaryDirectory(prefix="enrich-bench-") as raw_tmp:
        tmp = Path(raw_tmp)
        inbox, count = inbox_of(args.limit, tmp)
        ideal = count * args.latency / args.jobs
        batch = ["batch", str(inbox), "--jobs", str(args.jobs), "--out", "drafts", "--report", "report.json", "--no-progress"]

        # 1. the whole inbox, and its peak memory: the median of --runs fresh runs
        PYCACHE.append(tmp / "pycache")
        with FakeLLM(latency=0) as warm:  # compile byte code once, as an installed copy has it
            (tmp / "warm").mkdir()
            run_cli(tmp / "warm", warm.base_url, "batch", str(inbox_of(1, tmp / "warm")[0]), "--out", "drafts", "--no-progress")
        arrivals: list[float] = []
        lock = threading.Lock()

        approved = ApprovedAnswers(CORPUS, POSTS) if args.real_answers else None

        def timed(request: dict[str, Any]) -> Reply:
            with lock:
                arrivals.append(time.perf_counter())
            return approved(request) if approved is not None else answer(valid_answer(request))

        runs: list[dict[str, Any]] = []
        with FakeLLM(latency=args.latency) as llm:
            llm.responder = timed
            for number in range(args.runs):
                site = tmp / f"site{number}"
                site.mkdir()
                arrivals.clear()
                started_at: list[float] = []
                requests_before = len(llm.requests)
                status, wall, rss, tail = run_cli(site, llm.base_url, *batch, started_at=started_at)
                first, last = min(arrivals) - started_at[0], max(arrivals) - started_at[0]
                busy = len(arrivals) * args.latency / (args.jobs * (last + args.latency - first))
                runs.append(
                    dict(
                        status=status,
                        wall=wall,
                        rss=rss,
                        tail=tail,
                        site=site,
                        cpu=CPU[0],
                        first=first,
                        busy=busy,
                        end=wall - last - args.latency,
                        requests=len(llm.requests) - requests_before,
                        drafted=report_totals(site)["drafted"],
                    )
                )
            runs.sort(key=lambda run: float(run["wall"]))
            median = runs[len(runs) // 2]
            walls = ", ".join(f"{run['wall']:.2f}" for run in runs)
            print(
                f"1. {count} files, latency {args.latency}s, --jobs {args.jobs}: median of {len(runs)} runs "
                f"{median['wall']:.2f}s wall (runs: {walls}); ideal {ideal:.2f}s -> {median['wall'] / ideal:.2f}x "
                f"(target <= 1.2x); exit {median['status']}, {median['drafted']} drafted, {median['requests']} requests, "
                f"peak concurrency {llm.max_active}; peak RSS {max(run['rss'] for run in runs):.0f} MB (target < 250 MB)"
            )
            print(
                f"   where the time went (median run): first request at {median['first']:.2f}s; "
                f"slots {median['busy']:.1%} busy from then to the last answer; {median['end']:.2f}s after it; "
                f"CLI CPU {median['cpu']:.1f}s"
            )
            if approved is not None:
                replaced = ", ".join(f"{k} x{v}" for k, v in sorted(approved.replaced.items())) or "none"
                print(
                    f"   answers: the approved post's values for {approved.matched} requests ({approved.names} names in all, "
                    f"{approved.names / max(approved.matched, 1):.1f} a request), {approved.unmatched} other requests "
                    f"answered minimally; values the schema refused, replaced: {replaced}"
                )
            ok &= all(run["status"] == 0 and run["drafted"] == count for run in runs)
            ok &= median["wall"] <= 1.2 * ideal and max(run["rss"] for run in runs) < 250
            for run in runs:
                if run["status"] != 0:
                    print(run["tail"])
            site = median["site"]
            llm.responder = None

            # 3. the same inbox again: nothing to do
            before = len(llm.requests)
            status, wall, rss, tail = run_cli(site, llm.base_url, *batch)
            calls = len(llm.requests) - before
            totals = report_totals(site)
            print(
                f"3. re-run on the unchanged inbox: exit {status}, {wall:.2f}s wall (target < 3 s), "
                f"{calls} model calls (target 0), {totals['unchanged']} unchanged"
            )
            ok &= status == 0 and calls == 0 and wall < 3.0

        # 2. one call in five answered 429 + Retry-After 2 s
        if not args.skip_429:
            site = tmp / "site-429"
            site.mkdir()
            counter = {"n": 0}
            lock = threading.Lock()

            def responder(request: dict[str, Any]) -> Reply:
                with lock:
                    counter["n"] += 1
                    limited = counter["n"] % 5 == 0
                if limited:
                    return error(429, "Rate limit reached", code="rate_limit_exceeded", headers={"retry-after": "2"})
                return answer(valid_answer(request))

            with FakeLLM(latency=args.latency) as llm:
                llm.responder = responder
                status, wall, rss, tail = run_cli(site, llm.base_url, *batch)
                totals = report_totals(site)
                limited = sum(1 for i in range(1, counter["n"] + 1) if i % 5 == 0)
                print(
                    f"2. with 20% of calls answered 429 + Retry-After 2s: exit {status}, {wall:.2f}s wall, "
                    f"{totals['drafted']}/{count} drafted, {totals['failed']} failed, {totals['not_started']} not started, "
                    f"{counter['n']} requests of which {limited} were 429"
                )
                ok &= status == 0 and totals["drafted"] == count
                if status != 0:
                    data = json.loads((site / "report.json").read_text(encoding="utf-8"))
                    for row in data["files"]:
                        if row["outcome"] != "drafted":
                            print(f"   {row['outcome']}: {row['error']}")
    print("all targets met" if ok else "SOME TARGETS MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
