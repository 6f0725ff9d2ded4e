"""`enrich init`: the learned format as a commented, reviewable `enrich.toml`, and as a report."""

from __future__ import annotations

import datetime as dt
import json
import tomllib
from pathlib import Path

from enrich.errors import ConfigError
from enrich.learn.learn import Learned

FORMAT_RULES = ("format-order", "format-indent", "format-quote")


def _s(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)  # a TOML basic string (or array of them)


def _list(values: list[str], indent: str = "  ") -> str:
    lines, line = [], indent
    for value in values:
        item = _s(value) + ", "
        if len(line) + len(item) > 100 and line.strip():
            lines.append(line.rstrip())
            line = indent
        line += item
    lines.append(line.rstrip())
    return "[\n" + "\n".join(lines) + "\n]"


def _counts(items: list[tuple[str, int]]) -> str:
    return ", ".join(f"{v} {c}" for v, c in items)


def render_toml(learned: Learned, *, today: dt.date | None = None) -> str:
    """The enrich.toml `enrich init` writes: every learned setting with its evidence as a comment."""
    day = (today or dt.date.today()).isoformat()
    first, last = learned.recent_span
    out = [
        f"# Learned by `enrich init {learned.folder}` on {day} from {learned.total:,} posts; the format settings",
        f"# from the {learned.recent:,} most recent by date ({first} to {last}). Review each one: delete a setting to",
        "# fall back to enrich's default profile. `enrich profile` shows what is in effect and where it came from.",
        "",
        "[profile]",
        f"# {learned.key_order.evidence}",
        f"key_order = {_list(learned.key_order.value)}",
    ]
    if learned.language.value is not None:
        code, name = learned.language.value
        out += [f"# title and summary: {learned.language.evidence}", f"language = {_s(code)}", f"language_name = {_s(name)}"]
    out += ["", "[profile.format]", f"# {learned.indent.evidence}", f"indent = {learned.indent.value}"]
    out += [f"# {learned.quote.evidence}", f"quote = {_s(learned.quote.value)}"]
    for key, finding in learned.quoted.items():
        out.append(f"# {key}: {finding.evidence}")
    out.append("quoted = {" + ", ".join(f"{k} = {_s(f.value)}" for k, f in learned.quoted.items()) + "}")
    out += [f"# {finding.evidence}" for finding in learned.mirror.values()]
    out.append("mirror = {" + ", ".join(f"{k} = {_s(f.value)}" for k, f in learned.mirror.items()) + "}")
    out += ["", "# Keys in (nearly) every recent post, and how they are written when empty:"]
    out += [f"#   {key}: {finding.evidence}" for key, finding in learned.always.items()]
    out += [f"# tags: {learned.tags.evidence}", f"# summary: {learned.summary.evidence}"]
    out += ["", "[profile.severity]", "# posts that depart from the format above are reported by `enrich check` as warnings"]
    out += [f'{rule} = "warning"' for rule in FORMAT_RULES]
    for name, (members, suspects) in learned.enums.items():
        total = sum(c for _, c in members) + sum(c for _, c in suspects)
        out += ["", f"[profile.fields.{name}]", f"# {total:,} posts: {_counts(members)}"]
        if suspects:
            out.append(f"# suspects, NOT members (too rare: fix these posts, or add the value here): {_counts(suspects)}")
        out.append(f"enum = {_list([v for v, _ in members])}")
    out += ["", "[profile.learned]", "# the evidence for each learned setting, shown by `enrich profile`"]
    out.append(f"key_order = {_s(learned.key_order.evidence)}")
    out.append(f'"format.indent" = {_s(learned.indent.evidence)}')
    out.append(f'"format.quote" = {_s(learned.quote.evidence)}')
    for key, finding in learned.quoted.items():
        out.append(f'"format.quoted.{key}" = {_s(finding.evidence)}')
    for key, finding in learned.mirror.items():
        out.append(f'"format.mirror.{key}" = {_s(finding.evidence)}')
    out.append(f"language = {_s(learned.language.evidence)}")
    for name, (members, suspects) in learned.enums.items():
        note = f"{len(members)} values; suspects: {_counts(suspects) or 'none'}"
        out.append(f'"fields.{name}.enum" = {_s(note)}')
    out += [f"tags = {_s(learned.tags.evidence)}", f"summary = {_s(learned.summary.evidence)}"]
    text = "\n".join(out) + "\n"
    tomllib.loads(text)  # never write a file that does not read back
    return text


def report(learned: Learned) -> str:
    """What `enrich init` prints: each learned setting with its evidence."""
    first, last = learned.recent_span
    lines = [
        f"learned from {learned.total:,} posts in {learned.folder} (format: the {learned.recent:,} newest, {first} to {last})"
    ]
    if learned.skipped:
        lines.append(f"  skipped {len(learned.skipped):,} files that do not parse (first: {learned.skipped[0][0]})")
    lines.append(f"key order: {', '.join(learned.key_order.value)}  [{learned.key_order.evidence}]")
    lines.append(f"list indentation: {learned.indent.value} spaces  [{learned.indent.evidence}]")
    lines.append(f"quoting: {learned.quote.value} quotes when needed  [{learned.quote.evidence}]")
    lines += [f"always quoted: {k} ({f.value})  [{f.evidence}]" for k, f in learned.quoted.items()]
    lines += [f"mirrored: {k} = {f.value}  [{f.evidence}]" for k, f in learned.mirror.items()]
    lines.append("always present: " + ", ".join(f"{k} ({f.value or 'never empty'})" for k, f in learned.always.items()))
    for name, (members, suspects) in learned.enums.items():
        lines.append(f"{name}: {len(members)} values ({_counts(members[:5])}{', ...' if len(members) > 5 else ''})")
        if suspects:
            lines.append(f"  suspects (not members): {_counts(suspects)}")
    lines.append(f"tags: {learned.tags.evidence}")
    lines.append(f"summary: {learned.summary.evidence}")
    if learned.language.value is not None:
        lines.append(f"title and summary: {learned.language.value[1]}  [{learned.language.evidence}]")
    return "\n".join(lines) + "\n"


def write_config(target: Path, text: str, *, force: bool = False) -> Path:
    """Write the config atomically; an existing one is replaced only with `force`."""
    from enrich.fsutil import atomic_write

    if target.exists() and not force:
        raise ConfigError("already exists; review it, or run `enrich init --force` to replace it", path=str(target))
    atomic_write(target, text, exclusive=not force)
    return target
