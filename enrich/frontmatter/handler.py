"""python-frontmatter, reading and writing posts as enrich does: `EnrichHandler`.

    import frontmatter
    from enrich.frontmatter.handler import EnrichHandler
    post = frontmatter.load("posts/x.md", handler=EnrichHandler())

The handler splits with enrich's one splitter (a BOM, `----` and `...` as `enrich check` sees them; a
block that is never closed is an error, not content), reads YAML as the site's build does (`yaml12`:
`no` stays a string, `012` is 12, a repeated key is an error) and writes with the one emitter in the
site's format (key order, list indentation, quoting, mirrored keys), without folding.

An unchanged post is written back byte for byte: the handler remembers the text it read and writes
it again while the values read the same. python-frontmatter strips the text before the handler sees
it, so the handler looks up the unstripped text in `frontmatter.loads`'s frame (when that is who
called it) to restore the whitespace around the post, and the path in `frontmatter.load`'s frame to
find the site's profile (python-frontmatter 1.x passes neither to a handler). When values changed, the handler edits only the
lines of the keys that changed, with enrich's verified line-edit engine (as `enrich fix` and approval
do); when that cannot be done, the whole front matter is written by the emitter.
"""

from __future__ import annotations

import copy
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import frontmatter
import yaml
from frontmatter.default_handlers import YAMLHandler

from enrich.errors import InputError
from enrich.frontmatter.edit import Edits, apply, same, set_entry, verify
from enrich.frontmatter.emit import dump_front_matter
from enrich.frontmatter.split import BlockError, Split, split_text, unclosed_message
from enrich.frontmatter.yaml12 import load_yaml, plain

if TYPE_CHECKING:
    from enrich.profile import Profile

RESERVED_KEYS = ("content", "handler")  # python-frontmatter passes metadata as keyword arguments
MAX_REMEMBERED = 10_000


class FrontMatterError(Exception):
    """A post enrich would refuse (front matter never closed, bad YAML, a key python-frontmatter cannot carry).

    Deliberately not a ValueError: python-frontmatter takes a ValueError from `split` to mean "no front
    matter" and would silently hand the whole file back as content."""


@dataclass
class _Original:
    """What one post looked like when it was read."""

    text: str  # the whole document as python-frontmatter read it (whitespace restored when known)
    parts: Split
    head: str  # the document up to the body (BOM, delimiters, YAML)
    lead: str  # whitespace between the closing delimiter and the body
    tail: str  # whitespace after the body
    values: Any = None


def _caller_local(function: Any, name: str) -> Any:
    """The local `name` of the nearest caller running `function` (python-frontmatter's own), else None."""
    frame = sys._getframe(2)
    for _ in range(8):
        if frame is None:
            return None
        if frame.f_code is function.__code__:
            return frame.f_locals.get(name)
        frame = frame.f_back  # type: ignore[assignment]
    return None


def _unstripped(text: str) -> str:
    """The text `frontmatter.loads` received, before `parse` stripped it (else `text` itself)."""
    whole = _caller_local(frontmatter.loads, "text")
    return whole if isinstance(whole, str) and whole.strip() == text else text


class EnrichHandler(YAMLHandler):
    """python-frontmatter's YAML handler, reading and writing as enrich does (see the module)."""

    def __init__(self, profile: Profile | None = None, *, site: str | Path | None = None) -> None:
        """`profile`, else the profile of the site at or above `site` (a post or its folder; default: the
        folder of the first post `frontmatter.load` reads, else the current folder), found as every
        enrich command finds it."""
        super().__init__()
        self._profile = profile
        self._site = Path(site) if site is not None else None
        self._originals: dict[str, list[_Original]] = {}  # by body (python-frontmatter's stripped content)
        self._pending: _Original | None = None

    @property
    def profile(self) -> Profile:
        if self._profile is None:
            from enrich.profile import load_profile

            start = self._site
            if start is not None and not start.is_dir():
                start = start.parent
            self._profile = load_profile(start)
        return self._profile

    # -- reading -----------------------------------------------------------------------------------

    def split(self, text: str) -> tuple[str, str]:
        whole = _unstripped(text)
        if self._profile is None and self._site is None:
            path = _caller_local(frontmatter.load, "fd")  # the site is the one of the first post read
            if isinstance(path, str | os.PathLike):
                self._site = Path(path)
        try:
            parts = split_text(whole)
        except BlockError as exc:
            raise FrontMatterError(str(exc)) from None
        if parts is None:
            raise ValueError("no front matter")  # python-frontmatter: the whole text is content
        if not parts.closed:
            raise FrontMatterError(unclosed_message(parts.block))
        body = parts.body
        stripped = body.lstrip()
        lead = body[: len(body) - len(stripped)]
        content = stripped.rstrip()
        tail = stripped[len(content) :]
        head = whole[: len(whole) - len(body)]
        self._pending = _Original(whole, parts, head, lead, tail)
        return parts.block.text, body

    def load(self, fm: str, **kwargs: object) -> Any:
        try:
            loaded = load_yaml(fm)
        except (yaml.YAMLError, ValueError, TypeError, OverflowError) as exc:
            raise FrontMatterError(f"invalid YAML: {exc}") from None
        if loaded.duplicates:
            key, _ = loaded.duplicates[0]
            raise FrontMatterError(f"duplicate key {key.value!r}: the site's build refuses the file")
        data = {} if loaded.data is None else loaded.data
        if not isinstance(data, dict):
            raise FrontMatterError("front matter is not a mapping of keys")
        reserved = [k for k in RESERVED_KEYS if k in data]
        if reserved:
            raise FrontMatterError(f"key {reserved[0]!r} cannot be read by python-frontmatter (it names an argument)")
        original, self._pending = self._pending, None
        if original is not None and original.parts.block.text == fm:
            original.values = copy.deepcopy(data)
            self._remember(original)
        return data

    def _remember(self, original: _Original) -> None:
        body = original.parts.body.strip()
        if sum(map(len, self._originals.values())) >= MAX_REMEMBERED:
            self._originals.clear()
        self._originals.setdefault(body, []).append(original)

    def _original(self, post: frontmatter.Post) -> _Original | None:
        """The post as it was read: same body and values, else same body, else the only one read."""
        candidates = self._originals.get(post.content.strip(), [])
        for original in reversed(candidates):
            if same(original.values, post.metadata):
                return original
        if candidates:
            return candidates[-1]
        everything = [o for group in self._originals.values() for o in group]
        matching = [o for o in everything if same(o.values, post.metadata)]
        if matching:
            return matching[-1]
        return everything[0] if len(everything) == 1 else None

    # -- writing -----------------------------------------------------------------------------------

    def export(self, metadata: dict[str, object], **kwargs: object) -> str:
        """The YAML of `metadata` (without delimiters or final newline), as the emitter writes it."""
        return dump_front_matter(dict(metadata), self.profile).rstrip("\n")

    def format(self, post: frontmatter.Post, **kwargs: object) -> str:
        """The whole document: byte for byte what was read when nothing changed, else the changed lines."""
        original = self._original(post)
        if original is None:
            return self._fresh(post)
        body = post.content.strip()
        head = original.head if same(original.values, post.metadata) else self._edited(original, dict(post.metadata))
        had_body = original.parts.body.strip() != ""
        if not body:
            return head + original.lead + original.tail if not had_body and head == original.head else head
        if not head.endswith("\n"):
            head += "\n"
        return head + (original.lead if had_body else "\n") + body + (original.tail if had_body else "\n")

    def _fresh(self, post: frontmatter.Post) -> str:
        block = dump_front_matter(dict(post.metadata), self.profile)
        body = post.content.strip()
        return f"---\n{block}---\n\n{body}\n" if body else f"---\n{block}---\n"

    def _edited(self, original: _Original, values: dict[str, Any]) -> str:
        """The head of the post with only the changed keys edited (verified); else written by the emitter."""
        block = original.parts.block
        loaded = load_yaml(block.text)
        old = loaded.data if isinstance(loaded.data, dict) else {}
        edits = Edits(block)
        done = set(old) <= set(values)  # a key removed: written by the emitter
        changed = {k: v for k, v in values.items() if not (k in old and same(plain(old[k]), plain(v)))}
        for key, value in changed.items():
            done = done and set_entry(edits, loaded, key, value, self.profile, "handler")
        if done:
            data = original.head.encode("utf-8")
            after = apply(data, edits)
            if verify(data, loaded, after, edits.keys, changed) is None:  # mirrored keys may follow their source
                return after.decode("utf-8")
        return f"---\n{dump_front_matter(values, self.profile)}---\n"


def load(path: str | Path, profile: Profile | None = None) -> frontmatter.Post:
    """`frontmatter.load` with an `EnrichHandler` for the site the post is in; one-line InputError for a bad post."""
    try:
        return frontmatter.load(str(path), handler=EnrichHandler(profile, site=path))
    except FrontMatterError as exc:
        raise InputError(str(exc), path=str(path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read: {exc}", path=str(path)) from None
