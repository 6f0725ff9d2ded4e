"""How batch, status and review results look: rich tables and text, sized to the terminal.

Imported only by the commands that print these (never by `enrich check`, which must start fast).
On a terminal: colours and the terminal's width. Anywhere else (pipes, CI, tests): plain text, and
lines that carry a message (an error, a path) are never wrapped or cut, so they can be searched.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, TextIO

from rich import box
from rich.console import Console, Group, RenderableType
from rich.padding import Padding
from rich.rule import Rule
from rich.table import Table
from rich.text import Text

if TYPE_CHECKING:
    from enrich.batch.report import BatchResult
    from enrich.review.status import StatusReport
    from enrich.review.views import DraftView


def console(stream: TextIO | None = None, *, terminal: bool | None = None) -> Console:
    """A console on `stream` (stdout by default); `terminal` forces the terminal's behaviour on or off."""
    stream = stream if stream is not None else sys.stdout
    return Console(file=stream, force_terminal=terminal, highlight=False, markup=False, emoji=False)


def money(value: float | None) -> str:
    if value is None:
        return "unknown"
    return f"${value:,.4f}" if value < 1 else f"${value:,.2f}"


def clock(seconds: float | None) -> str:
    if seconds is None:
        return "--:--"
    seconds = int(seconds + 0.5)
    if seconds >= 3600:
        return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
    return f"{seconds // 60}:{seconds % 60:02d}"


def tokens(n: int) -> str:
    return f"{n / 1_000_000:.2f}M" if n >= 1_000_000 else f"{n / 1000:.1f}k" if n >= 1000 else str(n)


def _lines(out: Console, lines: list[str], indent: str = "  ") -> None:
    for line in lines:
        out.print(Text(indent + line), soft_wrap=True)


def _table(*, footer: bool = False) -> Table:
    """A plain table: a rule under the head (and over the footer), no frame."""
    return Table(box=box.SIMPLE, show_edge=False, pad_edge=False, show_footer=footer)


def show(out: Console, renderable: RenderableType) -> None:
    """Print a table or screen as it fits the terminal; elsewhere without the cells' trailing padding (logs, tests)."""
    if out.is_terminal:
        out.print(renderable)
        return
    with out.capture() as captured:
        out.print(renderable)
    out.file.write("".join(line.rstrip() + "\n" for line in captured.get().splitlines()))
    out.file.flush()


# -- batch ------------------------------------------------------------------------------------------


def batch_summary(out: Console, result: BatchResult) -> None:
    """The closing table of a run: how many files had each outcome and what it means, then the cost."""
    from enrich.batch.report import Outcome

    drafted = "drafted offline, without a model" if result.backend == "offline" else "drafted with the model"
    meanings = {
        Outcome.DRAFTED: drafted,
        Outcome.CACHED: "written from the cache (no model call)",
        Outcome.UNCHANGED: "draft already up to date",
        Outcome.KEPT: "draft edited by a person: kept, not replaced",
        Outcome.REVIEWED: "already approved or rejected: skipped",
        Outcome.FAILED: "failed",
        Outcome.NOT_STARTED: "not started",
    }
    table = _table(footer=True)
    table.add_column("outcome", footer="total", no_wrap=True)
    table.add_column("files", footer=str(len(result.files)), justify="right", no_wrap=True)
    table.add_column("", overflow="fold")
    for outcome, meaning in meanings.items():
        n = result.count(outcome)
        if n or outcome in (Outcome.DRAFTED, Outcome.FAILED):
            style = "red" if outcome == Outcome.FAILED and n else ""
            table.add_row(Text(str(outcome), style=style), str(n), Text(meaning))
    show(out, table)
    out.print(
        Text(
            f"{result.calls} model call(s), {result.tokens_in:,} tokens in + {result.tokens_out:,} out, "
            f"cost {money(result.cost)} ({result.model}), {result.wall_seconds:.1f}s"
        ),
        soft_wrap=True,
    )
    failed = [f.error or f.input for f in result.files if f.outcome == Outcome.FAILED and not f.fatal]
    if failed:
        out.print(Text("failed:", style="red"))
        _lines(out, failed)


def dry_run_summary(out: Console, result: BatchResult) -> None:
    """What a run would draft and what it would cost on each priced model."""
    from enrich.batch.report import Outcome

    to_draft = result.count(Outcome.PLANNED)
    done = result.count(Outcome.CACHED) + result.count(Outcome.UNCHANGED)
    tokens_in, tokens_out = result.estimated_tokens
    head = [
        f"dry run: {len(result.files)} file(s) in {result.inbox}: {to_draft} to draft, {done} already drafted or cached, "
        f"{result.count(Outcome.KEPT)} edited by a person, {result.count(Outcome.REVIEWED)} reviewed, "
        f"{result.count(Outcome.FAILED)} that cannot be drafted",
        f"tokens it would spend: {tokens_in:,} in + about {tokens_out:,} out (counted offline: {result.counting}); "
        "no model was called",
    ]
    _lines(out, head, indent="")
    table = _table()
    table.add_column("model", no_wrap=True)
    table.add_column("estimated cost", justify="right")
    table.add_column("")
    for model, cost in result.estimates:
        shown = money(cost) if cost is not None else f'no price: add [prices] "{model}" to enrich.toml'
        chosen = model == result.model
        table.add_row(Text(model, style="bold" if chosen else ""), Text(shown), "<- --model / config" if chosen else "")
    show(out, table)
    bad = [f.error or f.input for f in result.files if f.outcome == Outcome.FAILED]
    if bad:
        out.print(Text("cannot be drafted:", style="red"))
        _lines(out, bad)


# -- status -----------------------------------------------------------------------------------------


def status(out: Console, report: StatusReport, *, verbose: bool) -> None:
    """The inbox at a glance: files per state, then those that need a person (every file with `verbose`)."""
    from enrich.review.views import STATES

    counts = report.counts()
    out.print(Text(f"{report.inbox} -> {report.out}", style="bold"), soft_wrap=True)
    table = _table(footer=True)
    table.add_column("state", footer="total", no_wrap=True)
    table.add_column("files", footer=str(len(report.items)), justify="right", no_wrap=True)
    for state in STATES:
        table.add_row(Text(state), str(counts.get(state, 0)))
    show(out, table)
    items = report.items if verbose else [i for i in report.items if i.state in ("failed", "flagged")][:10]
    if not items:
        return
    if not verbose:
        out.print(Text("needs attention (-v lists all):"))
    state_width = max(len(i.state) for i in items)
    name_width = max(len(i.name) for i in items)
    _lines(out, [f"{i.state:<{state_width}}  {i.name:<{name_width}}  {i.detail}".rstrip() for i in items])


# -- review -----------------------------------------------------------------------------------------


def review_screen(view: DraftView, index: int, total: int) -> Group:
    """One draft as the reviewer sees it: each field with its source, flags under the fields they concern."""
    about = f"from {view.input or '?'} · {view.model or '?'} · {len(view.flags)} flag(s)"
    grid = Table.grid(padding=(0, 2))
    grid.add_column(no_wrap=True, style="bold")
    grid.add_column(ratio=1)
    grid.add_column(no_wrap=True, style="dim")
    grid.add_column(no_wrap=True, style="bold yellow")
    for row in view.rows:
        value = Text(row.value, no_wrap=True, overflow="ellipsis")
        grid.add_row(Text(row.key), value, Text(f"[{row.source}]" if row.source else ""), "!" if row.flags else "")
        for flag in row.flags:
            grid.add_row("", Text(f"! {flag}", style="yellow"), "", "")
    parts: list[RenderableType] = [
        Rule(Text(f"{view.path}  ({index}/{total})", style="bold"), align="left"),
        Text("   " + about + (" · reviewed" if view.reviewed else "")),
        Padding(grid, (0, 0, 0, 2)),
    ]
    shown = {r.key for r in view.rows}
    parts.extend(Text(f"  ! {f.kind}: {f.describe()}", style="yellow") for f in view.flags if f.field not in shown)
    if view.error:
        parts.append(Text(f"  ! {view.error}", style="red"))
    return Group(*parts)
