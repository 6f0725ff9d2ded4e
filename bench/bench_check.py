"""Benchmark of `enrich check` and `enrich fix` on the real posts of ../shared/corpus/posts.

    python bench/bench_check.py [--runs 5] [--corpus PATH]

Prints, for the 1,000 real posts and a 10,000-post tree made by replicating them:
  * wall time of `enrich-check` (one process over all files, as pre-commit runs it) against
    check-jsonschema 0.39 on the same front matter extracted to YAML files, with a JSON Schema
    generated from the profile (check-jsonschema must be installed: `pip install check-jsonschema==0.39.*`;
    it is not a project dependency);
  * wall time of one file, interpreter start-up included;
  * counts per rule over the 1,000 posts (without and with a vocabulary built from them), with samples;
  * `enrich fix` on a copy: findings fixed, and a proof that every line it did not fix is byte-identical.
Everything runs in a temporary folder; the corpus is never written.
"""

from __future__ import annotations

import argparse
import collections
import difflib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from enrich.check.checker import Checker, Finding
from enrich.check.fixer import Fixer
from enrich.frontmatter.split import read_block
from enrich.profile import Profile, load_profile
from enrich.vocab.index import VocabFinder

REPO = Path(__file__).resolve().parents[1]

CHECK_ENTRY = [sys.executable, "-c", "from enrich.cli.check_cmd import main; main()"]


def json_schema(profile: Profile) -> dict[str, Any]:
    """The profile as a JSON Schema (the value rules check-jsonschema can express)."""
    props: dict[str, Any] = {}
    required = []
    for name, spec in profile.fields.items():
        if spec.type == "list":
            item: dict[str, Any] = {"type": "string"}
            if spec.pattern:
                item["pattern"] = spec.pattern
            prop: dict[str, Any] = {"type": "array", "items": item, "uniqueItems": True}
            if spec.min_items is not None:
                prop["minItems"] = spec.min_items
            if spec.max_items is not None:
                prop["maxItems"] = spec.max_items
        elif spec.type == "bool":
            prop = {"type": "boolean"}
        else:
            prop = {"type": "string"}
            pattern = spec.compiled_pattern()
            if pattern is not None:
                prop["pattern"] = pattern.pattern
            if spec.type == "date":
                prop["format"] = "date"
            if spec.enum is not None:
                prop["enum"] = list(spec.enum)
            if spec.min_length is not None:
                prop["minLength"] = spec.min_length
            if spec.max_length is not None:
                prop["maxLength"] = spec.max_length
        props[name] = prop
        if spec.required:
            required.append(name)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "properties": props,
        "required": required,
        "additionalProperties": False,
    }


def wall(cmd: list[str], cwd: Path, runs: int, env: dict[str, str] | None = None) -> tuple[float, int]:
    """Median wall seconds of a command over `runs` runs, and its exit status."""
    times, code = [], 0
    for _ in range(runs):
        start = time.perf_counter()
        proc = subprocess.run(cmd, cwd=cwd, capture_output=True, env=env)
        times.append(time.perf_counter() - start)
        code = proc.returncode
    return statistics.median(times), code


def extract(posts: list[Path], out: Path) -> list[str]:
    """Each post's front matter as a .yaml file (the only way check-jsonschema can read it)."""
    out.mkdir(parents=True)
    names = []
    for post in posts:
        block = read_block(str(post))
        if block is None:
            continue
        target = out / (post.stem + ".yaml")
        target.write_text(block.text + "\n", encoding="utf-8")
        names.append(target.name)
    return names


def replicate(posts: list[Path], root: Path, copies: int) -> list[str]:
    names = []
    for i in range(copies):
        folder = root / f"c{i:02d}"
        folder.mkdir(parents=True)
        for post in posts:
            shutil.copyfile(post, folder / post.name)
            names.append(f"c{i:02d}/{post.name}")
    return names


def timing(posts: list[Path], work: Path, runs: int) -> None:
    # As installed by pre-commit: byte code compiled once (here into a temp folder, not the repo).
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "ENRICH_CACHE_DIR": str(work / "cache"),
        "PYTHONPYCACHEPREFIX": str(work / "pycache"),
    }
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    schema = work / "schema.json"
    schema.write_text(json.dumps(json_schema(load_profile()), indent=1))
    cjs = shutil.which("check-jsonschema") or str(Path(sys.executable).with_name("check-jsonschema"))
    if not Path(cjs).exists():
        print("check-jsonschema is not installed: pip install 'check-jsonschema==0.39.*'")
        return
    version = subprocess.run([cjs, "--version"], capture_output=True, text=True).stdout.strip()
    for warm in (CHECK_ENTRY, [cjs]):
        subprocess.run([*warm, "--help"], capture_output=True, env=env)
    print(f"## wall time (median of {runs} runs; {version}; schema from the profile)")
    print(f"{'tree':<26}{'enrich check':>14}{'check-jsonschema':>18}{'speed-up':>10}")
    for label, copies in (("1,000 real posts", 1), ("10,000 replicated posts", 10)):
        tree = work / f"tree{copies}"
        names = replicate(posts, tree / "md", copies)
        yaml_dir = tree / "yaml"
        yaml_names = []
        for i in range(copies):
            sub = extract(posts, yaml_dir / f"c{i:02d}")
            yaml_names += [f"c{i:02d}/{n}" for n in sub]
        ours, code_ours = wall([*CHECK_ENTRY, "--no-vocab", *names], tree / "md", runs, env)
        theirs, code_theirs = wall([cjs, "--schemafile", str(schema), *yaml_names], yaml_dir, runs, env)
        print(f"{label:<26}{ours:>12.3f} s{theirs:>16.3f} s{theirs / ours:>9.1f}x   (exit {code_ours} / {code_theirs})")
    one = posts[0]
    single = work / "single"
    single.mkdir()
    shutil.copyfile(one, single / one.name)
    extract([one], single / "yaml")
    ours, _ = wall([*CHECK_ENTRY, "--no-vocab", one.name], single, max(runs, 15), env)
    theirs, _ = wall([cjs, "--schemafile", str(schema), f"yaml/{one.stem}.yaml"], single, max(runs, 5), env)
    print(f"{'1 file (with start-up)':<26}{ours * 1000:>11.0f} ms{theirs * 1000:>15.0f} ms{theirs / ours:>9.1f}x")
    vocab = work / "vocab" / ".enrich" / "vocab.yaml"
    if vocab.is_file():
        shutil.copyfile(one, vocab.parent.parent / one.name)
        wall([*CHECK_ENTRY, one.name], vocab.parent.parent, 1, env)  # first run fills the index cache
        with_vocab, _ = wall([*CHECK_ENTRY, one.name], vocab.parent.parent, max(runs, 15), env)
        print(f"{'1 file, with vocabulary':<26}{with_vocab * 1000:>11.0f} ms")
        big = work / "tree10" / "md"
        shutil.copytree(vocab.parent, big / ".enrich")
        names = sorted(str(p.relative_to(big)) for p in big.rglob("*.md"))
        ten_k, _ = wall([*CHECK_ENTRY, *names], big, runs, env)
        print(f"{'10,000 posts, vocabulary':<26}{ten_k:>12.3f} s")


def build_vocab(posts_dir: Path, work: Path) -> Path | None:
    """A vocabulary of the corpus, built by `enrich vocab` (issue 3) when that module is present."""
    try:
        from enrich.vocab import build_vocabulary
    except ImportError:
        return None
    out = work / "vocab" / ".enrich" / "vocab.yaml"
    start = time.perf_counter()
    build_vocabulary(posts_dir, out=out)
    print(f"(vocabulary built from the corpus by enrich.vocab in {time.perf_counter() - start:.1f} s)")
    return out


def counts(posts: list[Path], vocab: Path | None) -> None:
    profile = load_profile()
    for label, finder in (
        ("profile rules only", VocabFinder(enabled=False)),
        ("with the corpus vocabulary", VocabFinder(vocab) if vocab else None),
    ):
        if finder is None:
            continue
        checker = Checker(profile, finder)
        findings: list[Finding] = []
        start = time.perf_counter()
        for post in posts:
            findings.extend(checker.check_file(str(post)))
        elapsed = time.perf_counter() - start
        by_rule = collections.Counter(f.rule for f in findings)
        files = len({f.path for f in findings})
        print(f"\n## findings in {len(posts)} real posts, {label} ({elapsed:.2f} s in-process)")
        print(f"{len(findings)} findings in {files} files; {len(posts) - files} posts raise nothing")
        for rule, n in by_rule.most_common():
            print(f"  {rule:<20}{n:>5}  ({profile.rule_severity(rule)})")
        print("samples:")
        shown: collections.Counter[str] = collections.Counter()
        for f in findings:
            if shown[f.rule] < 2:
                shown[f.rule] += 1
                print("  " + f.format().replace(str(f.path), Path(f.path).name))


def fix_proof(posts: list[Path], work: Path, vocab: Path | None) -> None:
    profile = load_profile()
    for label, finder in (
        ("profile rules only", VocabFinder(enabled=False)),
        ("with the corpus vocabulary", VocabFinder(vocab) if vocab else None),
    ):
        if finder is None:
            continue
        copy = work / ("fix-vocab" if vocab and finder.enabled else "fix")
        shutil.copytree(posts[0].parent, copy)
        checker, fixer = Checker(profile, finder), Fixer(profile, finder)
        before: collections.Counter[str] = collections.Counter()
        after: collections.Counter[str] = collections.Counter()
        changed_files = edits = lines_total = untouched = refused = 0
        start = time.perf_counter()
        for post in sorted(copy.glob("*.md")):
            original = post.read_bytes()
            before.update(f.rule for f in checker.check_bytes(str(post), original))
            result = fixer.fix_file(str(post))
            refused += result.refused is not None
            fixed = post.read_bytes()
            after.update(f.rule for f in checker.check_file(str(post)))
            old = original.splitlines(keepends=True)
            lines_total += len(old)
            if not result.changed:
                untouched += len(old)
                continue
            changed_files += 1
            edits += len(result.changes)
            fix_lines = {c.line - 1 for c in result.changes}
            new = fixed.splitlines(keepends=True)
            matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
            for tag, i1, i2, _j1, _j2 in matcher.get_opcodes():
                if tag == "equal":
                    untouched += i2 - i1
                    continue
                stray = [i + 1 for i in range(i1, i2) if i not in fix_lines]
                assert not stray, f"{post.name}: lines {stray} changed without a fix"
            assert fixed.endswith(original[len(b"".join(old[: max(fix_lines) + 1])) :]), post.name
        elapsed = time.perf_counter() - start
        fixed_by_rule = {r: before[r] - after[r] for r in before if before[r] > after[r]}
        print(f"\n## enrich fix on a copy of the {len(posts)} posts, {label} ({elapsed:.2f} s)")
        print(
            f"findings before {sum(before.values())}, after {sum(after.values())}: "
            f"{sum(before.values()) - sum(after.values())} fixed in {changed_files} files ({edits} edits); "
            f"{refused} files refused by the safety check"
        )
        for rule, n in sorted(fixed_by_rule.items(), key=lambda kv: -kv[1]):
            print(f"  {rule:<20}{n:>5} fixed, {after[rule]} left")
        left = {r: n for r, n in after.items() if r not in fixed_by_rule}
        print(f"  left for a person: {dict(sorted(left.items()))}")
        print(
            f"proof: {lines_total} lines in all; every changed line is a line a fix names, and the other "
            f"{untouched} lines are byte-identical (difflib over the bytes of each file, asserted)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=REPO.parent / "shared" / "corpus" / "posts")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--skip-timing", action="store_true")
    args = parser.parse_args()
    if not args.corpus.is_dir():
        sys.exit(f"corpus not found: {args.corpus}")
    posts = sorted(args.corpus.glob("*.md"))
    with tempfile.TemporaryDirectory(prefix="enrich-bench-") as tmp:
        work = Path(tmp)
        os.environ["ENRICH_CACHE_DIR"] = str(work / "cache")
        vocab = build_vocab(args.corpus, work)
        if not args.skip_timing:
            timing(posts, work, args.runs)
        counts(posts, vocab)
        fix_proof(posts, work, vocab)


if __name__ == "__main__":
    main()
