"""`enrich batch`, `enrich review`, `enrich approve`, `enrich reject`, `enrich status`.

Only parsing and printing: the work is in `enrich.batch` and `enrich.review`, imported lazily so the
other commands start fast. Progress and per-file lines go to stderr, the closing summary to stdout.
"""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import click

from enrich.cli import error_line, guarded

if TYPE_CHECKING:
    from enrich.batch import BatchResult, FileResult, Progress
    from enrich.draft.build import BackendChoice
    from enrich.review import DraftView, StatusReport
    from enrich.settings import Settings

DEFAULT_JOBS = 4
_PROFILE = click.Path(exists=True, dir_okay=False, path_type=Path)


def _money(value: float | None) -> str:
    if value is None:
        return "unknown"
    return f"${value:,.4f}" if value < 1 else f"${value:,.2f}"


def _clock(seconds: float | None) -> str:
    if seconds is None:
        return "--:--"
    seconds = int(seconds + 0.5)
    if seconds >= 3600:
        return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
    return f"{seconds // 60}:{seconds % 60:02d}"


def _tokens(n: int) -> str:
    return f"{n / 1_000_000:.2f}M" if n >= 1_000_000 else f"{n / 1000:.1f}k" if n >= 1000 else str(n)


class ProgressView:
    """A one-line bar redrawn in place on a terminal; one plain line per file otherwise."""

    def __init__(self, stream: TextIO, *, tty: bool) -> None:
        self.stream = stream
        self.tty = tty
        self._lock = threading.Lock()
        self._drawn = 0.0
        self._last: FileResult | None = None
        self._note: str | None = None
        self._width = 0

    def __call__(self, progress: Progress) -> None:
        with self._lock:
            if self.tty:
                self._draw(progress)
            else:
                self._lines(progress)

    def _lines(self, p: Progress) -> None:
        from enrich.batch import NOT_STARTED
        from enrich.redact import redact

        if p.last is not None and p.last is not self._last:
            self._last = p.last
            res = p.last
            name = Path(res.input).name
            if res.ok:
                extra = f" ({res.tokens_in}+{res.tokens_out} tokens)" if res.calls else ""
                flags = f", {len(res.flags)} flag(s)" if res.flags else ""
                line = f"{res.outcome:<11} {name}{extra}{flags}"
                if res.error:
                    line += f"; {res.error}"
            elif res.outcome == NOT_STARTED:
                line = ""  # counted in the summary; the reason is printed once
            elif not res.fatal:
                line = f"{res.outcome:<11} {res.error or name}"
            else:
                line = ""
            if line:
                self.stream.write(redact(f"[{p.finished}/{p.total}] {line}") + "\n")
        if p.note and p.note != self._note:
            countdown = "retrying in" in p.note
            if not (countdown and self._note and "retrying in" in self._note):
                self.stream.write(f"enrich: {p.note}\n")
        self._note = p.note
        self.stream.flush()

    def _draw(self, p: Progress) -> None:
        now = time.monotonic()
        if now - self._drawn < 0.1 and p.finished < p.total:
            return
        self._drawn = now
        width = 24
        filled = int(width * p.finished / p.total) if p.total else width
        bar = "#" * filled + "-" * (width - filled)
        text = (
            f"[{bar}] {p.finished}/{p.total}  ok {p.done}  failed {p.failed}  "
            f"{_tokens(p.tokens)} tokens  {_money(p.cost)}  ETA {_clock(p.eta())}"
        )
        if p.note:
            text += f"  {p.note}"
        pad = max(0, self._width - len(text))
        self._width = len(text)
        self.stream.write("\r" + text + " " * pad)
        self.stream.flush()

    def close(self) -> None:
        if self.tty and self._width:
            self.stream.write("\r" + " " * self._width + "\r")
            self.stream.flush()


def _summary(result: BatchResult) -> str:
    from enrich.batch import CACHED, DRAFTED, FAILED, KEPT, NOT_STARTED, REVIEWED, UNCHANGED

    rows = [
        (DRAFTED, "drafted offline, without a model" if result.backend == "offline" else "drafted with the model"),
        (CACHED, "written from the cache (no model call)"),
        (UNCHANGED, "draft already up to date"),
        (KEPT, "draft edited by a person: kept, not replaced"),
        (REVIEWED, "already approved or rejected: skipped"),
        (FAILED, "failed"),
        (NOT_STARTED, "not started"),
    ]
    lines = [f"{'outcome':<12} {'files':>6}"]
    for outcome, meaning in rows:
        n = result.count(outcome)
        if n or outcome in (DRAFTED, FAILED):
            lines.append(f"{outcome:<12} {n:>6}  {meaning}")
    lines.append(f"{'total':<12} {len(result.files):>6}")
    lines.append(
        f"{result.calls} model call(s), {result.tokens_in:,} tokens in + {result.tokens_out:,} out, "
        f"cost {_money(result.cost)} ({result.model}), {result.wall_seconds:.1f}s"
    )
    failed = [f for f in result.files if f.outcome == FAILED and not f.fatal]
    if failed:
        lines.append("failed:")
        lines.extend(f"  {f.error}" for f in failed)
    return "\n".join(lines) + "\n"


def _dry_run_summary(result: BatchResult) -> str:
    from enrich.batch import CACHED, FAILED, KEPT, PLANNED, REVIEWED, UNCHANGED

    to_draft = result.count(PLANNED)
    done = result.count(CACHED) + result.count(UNCHANGED)
    tin = sum(f.estimate_in for f in result.files)
    tout = sum(f.estimate_out for f in result.files)
    lines = [
        f"dry run: {len(result.files)} file(s) in {result.inbox}: {to_draft} to draft, {done} already drafted or cached, "
        f"{result.count(KEPT)} edited by a person, {result.count(REVIEWED)} reviewed, "
        f"{result.count(FAILED)} that cannot be drafted",
        f"tokens it would spend: {tin:,} in + about {tout:,} out (counted offline: {result.counting}); no model was called",
        "estimated cost:",
    ]
    for model, cost in result.estimates:
        mark = "  <- --model / config" if model == result.model else ""
        shown = _money(cost) if cost is not None else f'no price: add [prices] "{model}" to enrich.toml'
        lines.append(f"  {model:<16} {shown}{mark}")
    bad = [f for f in result.files if f.outcome == FAILED]
    if bad:
        lines.append("cannot be drafted:")
        lines.extend(f"  {f.error}" for f in bad)
    return "\n".join(lines) + "\n"


@click.command("batch")
@click.argument("inbox", type=click.Path(path_type=Path))
@click.option("--out", "out", type=click.Path(path_type=Path), help="Drafts folder (default: drafts/, or `out` in config).")
@click.option("-j", "--jobs", type=click.IntRange(1, 256), help=f"Files drafted at once ([batch] jobs, else {DEFAULT_JOBS}).")
@click.option("--dry-run", is_flag=True, help="Count tokens and estimate the cost offline; call no model.")
@click.option("--max-cost", type=click.FloatRange(min=0), help="Stop starting files before this many USD would be spent.")
@click.option("--report", type=click.Path(dir_okay=False, path_type=Path), help="Write every file's outcome to this JSON file.")
@click.option("--move-done", type=click.Path(file_okay=False, path_type=Path), help="Move inputs with a draft into this folder.")
@click.option("--model", help="Model name (default: ENRICH_MODEL, config, or gpt-4.1-mini).")
@click.option("--base-url", help="OpenAI-compatible endpoint (default: OPENAI_BASE_URL).")
@click.option("--api-version", help="Azure OpenAI API version (makes --base-url an Azure endpoint).")
@click.option("--offline", is_flag=True, help="Draft without any model.")
@click.option("--profile", "profile_file", type=_PROFILE, help="Profile TOML to use.")
@click.option("--response-format", type=click.Choice(["auto", "json_schema", "json_object", "text"]), help="Structured output.")
@click.option("--timeout", type=float, help="Seconds per request.")
@click.option("--deadline", type=float, help="Seconds per file, all retries included.")
@click.option("--max-input-tokens", type=int, help="Input budget; longer transcripts are drafted in chunks.")
@click.option("--progress/--no-progress", default=None, help="Progress bar (default: when stderr is a terminal).")
@guarded
def batch_command(
    inbox: Path,
    out: Path | None,
    jobs: int | None,
    dry_run: bool,
    max_cost: float | None,
    report: Path | None,
    move_done: Path | None,
    model: str | None,
    base_url: str | None,
    api_version: str | None,
    offline: bool,
    profile_file: Path | None,
    response_format: str | None,
    timeout: float | None,
    deadline: float | None,
    max_input_tokens: int | None,
    progress: bool | None,
) -> int:
    """Draft every transcript in INBOX concurrently: cached, resumable, never overwriting a person's edits."""
    from enrich.batch import BatchOptions, BatchRun, write_report
    from enrich.errors import ExitStatus
    from enrich.settings import load_settings

    flags = {
        "out": out,
        "model": model,
        "base_url": base_url,
        "api_version": api_version,
        "response_format": response_format,
        "timeout": timeout,
        "deadline": deadline,
        "max_input_tokens": max_input_tokens,
    }
    settings = load_settings(flags)  # flags not given are None; load_settings ignores them
    n_jobs = jobs or settings.batch.jobs or DEFAULT_JOBS
    drafter, notice = _drafter(settings, profile_file, backend="offline" if offline else "auto", planning=dry_run, jobs=n_jobs)
    if notice:
        error_line(notice)
    options = BatchOptions(inbox=inbox, out=settings.out, jobs=n_jobs, max_cost=max_cost, move_done=move_done)
    if dry_run:
        result = BatchRun(drafter, options).plan()
        click.echo(_dry_run_summary(result), nl=False)
        if report:
            write_report(result, report)
        return 0
    stream = sys.stderr
    tty = stream.isatty() if progress is None else progress
    view = ProgressView(stream, tty=tty)
    try:
        result = BatchRun(drafter, options, on_progress=view).run()
    finally:
        view.close()
    if report:
        write_report(result, report)
    click.echo(_summary(result), nl=False)
    if report:
        click.echo(f"report: {report}")
    if result.stopped:
        error_line(f"stopped early: {result.stopped}")
        if result.interrupted:
            return int(ExitStatus.INTERRUPTED)
        if result.stop_error is not None:
            return int(result.stop_error.exit_status)
    return 0 if result.ok else int(ExitStatus.FINDINGS)


def _drafter(
    settings: Settings, profile_file: Path | None, *, backend: BackendChoice, planning: bool, jobs: int
) -> tuple[Any, str | None]:
    """The shared Drafter; a dry run plans for the configured model even when no endpoint is set."""
    from enrich.draft.build import build_drafter

    return build_drafter(settings, profile_file=profile_file, backend=backend, planning=planning, max_in_flight=jobs)


# -- review -------------------------------------------------------------------------------------------


def _review_settings() -> Settings:
    from enrich.settings import load_settings

    return load_settings({})


def _to_dir(settings: Settings, to: Path | None) -> Path | None:
    if to is not None:
        return to
    return settings.batch.to


def _show(view: DraftView, index: int, total: int) -> str:
    lines = [click.style(f"── {view.path}  ({index}/{total})", bold=True)]
    about = f"   from {view.input or '?'} · {view.model or '?'} · {len(view.flags)} flag(s)"
    lines.append(about + (" · reviewed" if view.reviewed else ""))
    width = max((len(r.key) for r in view.rows), default=4)
    for row in view.rows:
        value = row.value if len(row.value) <= 100 else row.value[:97] + "..."
        source = f"[{row.source}]" if row.source else ""
        mark = click.style(" !", fg="yellow", bold=True) if row.flags else ""
        lines.append(f"  {row.key:<{width}}  {value}  {click.style(source, dim=True)}{mark}")
        for flag in row.flags:
            lines.append(click.style(f"  {'':<{width}}    ! {flag}", fg="yellow"))
    shown = {r.key for r in view.rows}
    for general in (f for f in view.flags if f.field not in shown):
        lines.append(click.style(f"  ! {general.kind}: {general.describe()}", fg="yellow"))
    if view.error:
        lines.append(click.style(f"  ! {view.error}", fg="red"))
    return "\n".join(lines)


def _ask(prompt: str, choices: str) -> str:
    """One key press (no Enter on a terminal); unknown keys ask again."""
    while True:
        click.echo(prompt, nl=False)
        try:
            key = click.getchar()
        except (EOFError, click.exceptions.Abort):
            key = ""
        if not key:  # end of input
            click.echo()
            return "q"
        click.echo(key if key.isprintable() else "")
        key = key.lower()
        if key in choices:
            return key
        if key in ("\x03", "\x04"):
            return "q"
        click.echo(f"press one of: {', '.join(choices)}")


@click.command("review")
@click.argument("drafts", nargs=-1, type=click.Path(path_type=Path))
@click.option("--to", type=click.Path(file_okay=False, path_type=Path), help="Accepting approves into this folder ([batch] to).")
@click.option("--all", "show_all", is_flag=True, help="Include drafts already marked reviewed.")
@click.option("--reason", default=None, help="Reason recorded with rejections.")
@guarded
def review_command(drafts: tuple[Path, ...], to: Path | None, show_all: bool, reason: str | None) -> int:
    """Step through drafts: [a]ccept, [e]dit in $EDITOR, [r]eject, [s]kip, [q]uit."""
    from enrich.errors import EnrichError
    from enrich.profile import load_profile
    from enrich.review import Reviewer, find_drafts

    settings = _review_settings()
    profile = load_profile(settings.site_root)
    reviewer = Reviewer(settings.site_root, profile)
    paths = find_drafts(list(drafts) or [settings.out], include_reviewed=show_all)
    if not paths:
        click.echo(f"nothing to review in {', '.join(str(d) for d in drafts) or settings.out}")
        return 0
    target = _to_dir(settings, to)
    counts = {"accepted": 0, "approved": 0, "edited": 0, "rejected": 0, "skipped": 0}
    accept_help = f"[a]ccept (approve into {target})" if target else "[a]ccept"
    for index, path in enumerate(paths, start=1):
        while True:
            try:
                view = reviewer.view(path)
            except EnrichError as exc:
                error_line(str(exc))
                counts["skipped"] += 1
                break
            click.echo(_show(view, index, len(paths)))
            key = _ask(f"{accept_help}  [e]dit  [r]eject  [s]kip  [q]uit > ", "aersq")
            if key == "q":
                click.echo(_review_summary(counts))
                return 0
            if key == "s":
                counts["skipped"] += 1
                break
            if key == "e":
                click.edit(filename=str(path))
                try:
                    changes = reviewer.record_edit(path, view)
                except EnrichError as exc:
                    error_line(str(exc))
                    continue
                counts["edited"] += 1
                click.echo(f"edited: {', '.join(c['key'] for c in changes) or 'no front matter change'}")
                continue
            try:
                if key == "r":
                    moved = reviewer.reject(path, reason=reason)
                    counts["rejected"] += 1
                    click.echo(f"rejected: moved to {moved}")
                elif target is not None:
                    outcome = reviewer.approve(path, target)
                    counts["approved"] += 1
                    click.echo(f"approved: {outcome.target}")
                else:
                    reviewer.accept(path)
                    counts["accepted"] += 1
                    click.echo("accepted: marked reviewed (approve it with `enrich approve` or review with --to)")
            except EnrichError as exc:
                error_line(str(exc))
                continue
            break
    click.echo(_review_summary(counts))
    return 0


def _review_summary(counts: dict[str, int]) -> str:
    done = ", ".join(f"{n} {k}" for k, n in counts.items() if n)
    return f"review: {done or 'nothing decided'}"


@click.command("approve")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--to", type=click.Path(file_okay=False, path_type=Path), help="Folder the approved posts go to ([batch] to).")
@guarded
def approve_command(files: tuple[Path, ...], to: Path | None) -> int:
    """Check, apply the profile's approval changes, strip provenance and move drafts into --to."""
    from enrich.errors import ConfigError, EnrichError
    from enrich.profile import load_profile
    from enrich.review import Reviewer

    settings = _review_settings()
    target = _to_dir(settings, to)
    if target is None:
        raise ConfigError("where to? pass --to DIR (or set `to` in [batch] of enrich.toml)")
    reviewer = Reviewer(settings.site_root, load_profile(settings.site_root))
    return _each(files, lambda p: f"approved {p} -> {reviewer.approve(p, target).target}", EnrichError)


@click.command("reject")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--reason", default=None, help="Why, for the review log.")
@guarded
def reject_command(files: tuple[Path, ...], reason: str | None) -> int:
    """Set drafts aside (moved to .enrich/rejected/) and record the decision; the input is not drafted again."""
    from enrich.errors import EnrichError
    from enrich.profile import load_profile
    from enrich.review import Reviewer

    settings = _review_settings()
    reviewer = Reviewer(settings.site_root, load_profile(settings.site_root))
    return _each(files, lambda p: f"rejected {p} -> {reviewer.reject(p, reason=reason)}", EnrichError)


def _each(files: tuple[Path, ...], action: Any, error_type: type[Exception]) -> int:
    """Apply `action` to every file; one bad file is reported and the others still go."""
    from enrich.errors import EnrichError

    status = 0
    for path in files:
        try:
            click.echo(action(path))
        except EnrichError as exc:
            if len(files) == 1:
                raise
            error_line(str(exc))
            status = status or int(exc.exit_status)
    return status


@click.command("status")
@click.argument("inbox", required=False, type=click.Path(path_type=Path))
@click.option("--out", "out", type=click.Path(path_type=Path), help="Drafts folder (default: drafts/, or `out` in config).")
@click.option("-v", "--verbose", is_flag=True, help="List every file with its state.")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@guarded
def status_command(inbox: Path | None, out: Path | None, verbose: bool, as_json: bool) -> int:
    """The inbox at a glance: new, drafted, flagged, approved, rejected, failed."""
    import json

    from enrich.review import inbox_status
    from enrich.settings import load_settings

    settings = load_settings({"out": out} if out else {})
    folder = inbox or settings.batch.inbox or Path("inbox")
    report = inbox_status(settings.site_root, folder, settings.out)
    if as_json:
        click.echo(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
        return 0
    click.echo(_status_text(report, verbose))
    return 0


def _status_text(report: StatusReport, verbose: bool) -> str:
    from enrich.review import STATES

    counts = report.counts()
    lines = [f"{report.inbox} -> {report.out}"]
    lines.extend(f"  {state:<9} {counts.get(state, 0):>5}" for state in STATES)
    lines.append(f"  {'total':<9} {len(report.items):>5}")
    if verbose:
        for item in report.items:
            lines.append(f"{item.state:<9} {item.name}" + (f"  {item.detail}" if item.detail else ""))
    else:
        attention = [i for i in report.items if i.state in ("failed", "flagged")][:10]
        if attention:
            lines.append("needs attention (-v lists all):")
            lines.extend(f"  {i.state:<8} {i.name}  {i.detail}" for i in attention)
    return "\n".join(lines)


def register(group: click.Group) -> None:
    for command in (batch_command, review_command, approve_command, reject_command, status_command):
        group.add_command(command)
