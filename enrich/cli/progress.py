"""Watching a batch run: a live bar on a terminal, one plain line per file anywhere else.

Both are `enrich.batch.progress` callbacks, called from the workers after every file; they only format
what the run already counted (no work of their own per file).
"""

from __future__ import annotations

import contextlib
import dataclasses
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from rich.console import Console, RenderableType

    from enrich.batch.progress import Progress
    from enrich.batch.report import FileResult


def file_line(res: FileResult) -> str:
    """What a finished file says ('' for one counted in the summary only: not started, or a fatal error)."""
    from enrich.batch.report import Outcome

    name = Path(res.input).name
    if res.ok:
        extra = f" ({res.tokens_in}+{res.tokens_out} tokens)" if res.calls else ""
        flags = f", {len(res.flags)} flag(s)" if res.flags else ""
        return f"{res.outcome:<11} {name}{extra}{flags}" + (f"; {res.error}" if res.error else "")
    if res.outcome == Outcome.NOT_STARTED or res.fatal:
        return ""  # the reason is printed once, at the end
    return f"{res.outcome:<11} {res.error or name}"


class PlainProgress:
    """One line per finished file and one per new note, for logs, CI and pipes."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self._lock = threading.Lock()
        self._last: FileResult | None = None
        self._note: str | None = None

    def __call__(self, p: Progress) -> None:
        from enrich.redact import redact

        with self._lock:
            if p.last is not None and p.last is not self._last:
                self._last = p.last
                line = file_line(p.last)
                if line:
                    self.stream.write(redact(f"[{p.finished}/{p.total}] {line}") + "\n")
            if p.note and p.note != self._note:
                countdown = "retrying in" in p.note
                if not (countdown and self._note and "retrying in" in self._note):  # a countdown once, not every second
                    self.stream.write(f"enrich: {p.note}\n")
            self._note = p.note
            self.stream.flush()


class LiveProgress:
    """A bar redrawn in place: files, ok and failed, tokens, cost, elapsed and ETA; below it, what the run waits for.

    The bar gives way first on a narrow terminal. Files that fail are printed above it as they happen;
    it goes when the run ends.
    """

    def __init__(self, out: Console) -> None:
        from rich.live import Live

        self._shown: Progress | None = None
        self._last: FileResult | None = None
        self._lock = threading.Lock()
        self.live = Live(
            console=out,
            get_renderable=self._render,
            transient=True,
            refresh_per_second=4,
            redirect_stdout=False,
            redirect_stderr=False,
        )

    def __call__(self, p: Progress) -> None:
        from rich.text import Text

        from enrich.redact import redact

        with self._lock:
            self._shown = dataclasses.replace(p)  # a copy: the workers go on counting while it is drawn
            if not self.live.is_started:
                self.live.start()
            if p.last is not None and p.last is not self._last:
                self._last = p.last
                if not p.last.ok and (line := file_line(p.last)):
                    self.live.console.print(Text(redact(line), style="red"), soft_wrap=True)

    def _render(self) -> RenderableType:
        from rich.console import Group
        from rich.progress_bar import ProgressBar
        from rich.table import Table
        from rich.text import Text

        from enrich.cli.render import clock, money, tokens

        p = self._shown
        if p is None:
            return Text("")
        counts = (
            f"{p.finished}/{p.total}  ok {p.done}  failed {p.failed}  {tokens(p.tokens)} tokens  {money(p.cost)}"
            f"  {clock(p.elapsed())}  ETA {clock(p.eta())}"
        )
        line = Table.grid(padding=(0, 1), expand=True)
        line.add_column(ratio=1, min_width=5)
        line.add_column(no_wrap=True, overflow="ellipsis")
        line.add_row(ProgressBar(total=max(p.total, 1), completed=p.finished), Text(counts))
        if not p.note:
            return line
        return Group(line, Text(p.note, style="yellow", no_wrap=True, overflow="ellipsis"))

    def close(self) -> None:
        with self._lock:
            self.live.stop()


@contextlib.contextmanager
def progress_view(stream: TextIO, *, live: bool | None = None) -> Iterator[PlainProgress | LiveProgress]:
    """The view for `stream`: live when it is a terminal (or `live` says so), plain lines otherwise."""
    if not (stream.isatty() if live is None else live):
        yield PlainProgress(stream)
        return
    from enrich.cli.render import console

    view = LiveProgress(console(stream, terminal=True))
    try:
        yield view
    finally:
        view.close()
