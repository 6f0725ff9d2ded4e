"""Benchmark `enrich batch --via batch-api` on the 300 transcripts of ../shared/corpus/raw against the fake Batch API.

    python bench/bench_batch_api.py [--limit N] [--repairs 10] [--phase 0.5] [--poll 0.2]

Starts FakeLLM in this process and runs the CLI as a subprocess pointed at it, so the CLI's own CPU and
memory are measured as a user would meet them. `--repairs` of the batch's answers fail validation (they
must be repaired live). Prints: every file drafted; live calls (target: only the repairs); the cost at
the batch price against the same tokens at the live price (target: half); the wall time, the time the
batch spent at the provider (created to completed) and what enrich adds around it (target under 10 s),
and the CLI's peak RSS (target under 250 MB). The corpus is only read.
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

from enrich.batch.prices import DEFAULT_PRICES, Price
from enrich.testing.bench import compile_like_an_install
from enrich.testing.fakeserver import FakeLLM, answer, completion, valid_answer

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus" / "raw"
MODEL = "gpt-4.1-mini"


def run_cli(site: Path, base_url: str, *args: str) -> tuple[int, float, float, float, list[tuple[float, str]]]:
    """(exit status, wall seconds, CPU seconds, peak RSS in MB, timestamped output lines) of one `enrich` subprocess."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "ENRICH_"))}
    env.update(OPENAI_BASE_URL=base_url, OPENAI_API_KEY="sk-bench-not-a-key", ENRICH_CACHE_DIR=str(site / "user-cache"))
    started = time.perf_counter()
    command = [sys.executable, "-m", "enrich", *args]
    proc = subprocess.Popen(command, cwd=site, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    lines: list[tuple[float, str]] = []
    assert proc.stdout is not None
    for raw in proc.stdout:
        lines.append((time.perf_counter() - started, raw.decode("utf-8", "replace").rstrip()))
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    return os.waitstatus_to_exitcode(status), wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, lines


def seen(lines: list[tuple[float, str]], text: str) -> float:
    return next(t for t, line in lines if text in line)


def main() -> int:
    compile_like_an_install()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=None, help="only the first N transcripts")
    parser.add_argument("--repairs", type=int, default=10, help="batch answers that fail validation (repaired live)")
    parser.add_argument("--phase", type=float, default=0.5, help="seconds per batch state at the fake provider")
    parser.add_argument("--poll", type=float, default=0.2, help="enrich's --poll")
    args = parser.parse_args()
    if not CORPUS.is_dir():
        print(f"no corpus at {CORPUS}: nothing to measure")
        return 0
    files = sorted(CORPUS.glob("*.txt"))[: args.limit]
    with tempfile.TemporaryDirectory(prefix="enrich-bench-api-") as raw_tmp:
        tmp = Path(raw_tmp)
        inbox = tmp / "inbox"
        inbox.mkdir()
        for path in files:
            (inbox / path.name).symlink_to(path)
        site = tmp / "site"
        site.mkdir()
        bad = [0]

        def batch_answer(body: dict[str, Any]) -> dict[str, Any]:
            if bad[0] < args.repairs:
                bad[0] += 1
                return completion(json.dumps({"title": ""}))  # fails validation: repaired live
            reply = answer(valid_answer(body))
            data: dict[str, Any] = json.loads(reply.body or b"{}")
            return data

        with FakeLLM() as llm:
            llm.batch.answer = batch_answer
            llm.batch.phase_seconds = args.phase
            cmd = [
                "batch",
                str(inbox),
                "--via",
                "batch-api",
                "--poll",
                str(args.poll),
                "--model",
                MODEL,
                "--report",
                "report.json",
            ]
            status, wall, cpu, rss, lines = run_cli(site, llm.base_url, *cmd)
            [batch] = llm.batch.batches.values()
            provider = batch["_finished"] - batch["_started"]
            live_names = [r["response_format"]["json_schema"]["name"] for r in llm.requests if r.get("response_format")]
            created = llm.batch.created
        report = json.loads((site / "report.json").read_text(encoding="utf-8"))
        totals = report["totals"]
        price = Price(*DEFAULT_PRICES[MODEL])
        live_cost = price.cost(totals["tokens_in"], totals["tokens_out"])
        before = seen(lines, "created for")
        after = wall - seen(lines, "completed (")
        repairs, notes = live_names.count("front_matter"), live_names.count("notes")
        print(f"files: {len(files)}, drafted {totals['drafted']}, exit {status}, batches created {created}")
        print(
            f"live calls: {len(llm.requests)} ({repairs} repairs, {notes} notes); batch answers needing a repair: {args.repairs}"
        )
        print(f"cost: ${totals['cost']:.4f} reported; the same tokens at the live price ${live_cost:.4f} (repairs: live price)")
        print(f"wall {wall:.2f}s; the batch at the fake provider {provider:.2f}s (created to completed)")
        print(f"enrich around it: {before:.2f}s before (start, read, export, upload, create) + {after:.2f}s after (collect)")
        print(f"  = {before + after:.2f}s (target < 10 s); CPU {cpu:.2f}s; peak RSS {rss:.0f} MB (target < 250 MB)")
        ok = status == 0 and totals["drafted"] == len(files) and created == 1 and len(llm.requests) == args.repairs
        ok = ok and before + after < 10 and rss < 250
        if not ok:
            print("\n".join(line for _, line in lines[-8:]))
        print("OK" if ok else "NOT MET")
        return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
