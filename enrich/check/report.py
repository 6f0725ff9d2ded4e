"""What `enrich check` prints: one line per finding that says error or warning, and one summary.

    posts/a.md:5:1: error date-unquoted date: unquoted date 2025-09-11; quote it as '2025-09-11' (fixable)
    enrich check: 1 error, 0 warnings in 1 of 3 files; `enrich fix` fixes 1 of them (marked fixable)

A finding is "fixable" when `enrich fix` would change that line for that rule: the Fixer is asked in
dry-run, only for the files with findings, so a clean run never loads it. Under pre-commit
(PRE_COMMIT=1) each of the parallel processes sees only its own chunk of files, so a summary would be
one partial count per chunk: there the lines alone are printed, and each says all a person needs.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from enrich.check.checker import Finding

if TYPE_CHECKING:
    from enrich.check.fixer import Fixer

FIXABLE = " (fixable)"


def fixable_findings(findings: Iterable[Finding], fixer: Fixer) -> set[Finding]:
    """The findings `enrich fix` would resolve: same file, same line, same rule as one of its changes."""
    from enrich.frontmatter.split import BlockError

    by_path: dict[str, list[Finding]] = {}
    for finding in findings:
        by_path.setdefault(finding.path, []).append(finding)
    out: set[Finding] = set()
    for path, found in by_path.items():
        try:
            result = fixer.fix_file(path, dry_run=True)
        except (BlockError, OSError):
            continue
        if not result.changed:
            continue
        edits = {(c.line, c.rule) for c in result.changes}
        out.update(f for f in found if (f.line, f.rule) in edits)
    return out


def finding_line(finding: Finding, fixable: bool = False) -> str:
    """`path:line:col: severity rule-id message`, plus "(fixable)" when `enrich fix` resolves it."""
    return finding.format() + (FIXABLE if fixable else "")


def _count(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


@dataclass(frozen=True)
class Summary:
    errors: int
    warnings: int
    files_hit: int
    files_checked: int
    fixable: int

    def line(self) -> str:
        text = (
            f"enrich check: {_count(self.errors, 'error')}, {_count(self.warnings, 'warning')}"
            f" in {self.files_hit} of {_count(self.files_checked, 'file')}"
        )
        if self.fixable:
            text += f"; `enrich fix` fixes {self.fixable} of them (marked fixable)"
        return text


def summarise(findings: list[Finding], files_checked: int, fixable: set[Finding]) -> Summary:
    counts = Counter(f.severity for f in findings)
    return Summary(counts["error"], counts["warning"], len({f.path for f in findings}), files_checked, len(fixable))


def under_pre_commit(environ: Mapping[str, str]) -> bool:
    """pre-commit sets PRE_COMMIT=1 for the hooks it runs."""
    return environ.get("PRE_COMMIT") == "1"


def text_report(findings: list[Finding], files_checked: int, fixable: set[Finding], *, summary: bool) -> tuple[str, str | None]:
    """(the finding lines, the summary line or None): nothing at all when there is nothing to report."""
    lines = "\n".join(finding_line(f, f in fixable) for f in findings)
    if not findings or not summary:
        return lines, None
    return lines, summarise(findings, files_checked, fixable).line()
