"""Scoring one drafted front matter against the one a person approved, field by field.

The approved post is the ground truth. Everything the vocabulary knows (canonical names, tag twins,
existing tags) comes in through a `Matcher` of plain callables, and validity, grounding and cost
come in as plain values, so this module depends on nothing but the profile and can score drafts
made by any version of the pipeline, or by none (the review log, the offline floor).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from enrich.profile import Profile
from enrich.script import detect_script, expected_script, script_matches
from enrich.text import fold, spelling_key

DEFAULT_NAME_FIELDS = ("people", "companies_orgs", "products_models", "media_books")


# -- counts ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Counts:
    """True/false positives and false negatives; they add up across posts for micro averages."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    def __add__(self, other: Counts) -> Counts:
        return Counts(self.tp + other.tp, self.fp + other.fp, self.fn + other.fn)

    @property
    def precision(self) -> float:
        """Share of drafted items that are right; 1.0 when nothing was drafted (nothing wrong was said)."""
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        """Share of approved items the draft found; 1.0 when there was nothing to find."""
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        """2TP / (2TP + FP + FN): 0 as soon as anything is wrong and nothing right, 1.0 for nothing vs nothing."""
        total = 2 * self.tp + self.fp + self.fn
        return 2 * self.tp / total if total else 1.0


@dataclass(frozen=True)
class Cost:
    """What drafting one post cost; `money` is None when the price of the model is unknown."""

    tokens_in: int = 0
    tokens_out: int = 0
    money: float | None = None
    seconds: float = 0.0
    calls: int = 0


@dataclass(frozen=True)
class Grounding:
    """Named entities of the draft whose mention was found in the transcript, out of all of them."""

    found: int = 0
    total: int = 0


# -- the vocabulary, as callables ---------------------------------------------------------------------------


def _same_name(kind: str, name: str) -> str:
    return name


def twin_key(tag: str) -> str:
    """A stand-in twin key (case, separators, a plural `s`) for when no vocabulary is wired."""
    words = [w for w in re.split(r"[^0-9a-z\u00c0-\uffff]+", unicodedata.normalize("NFKC", tag).casefold()) if w]
    return "-".join(w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w for w in words)


@dataclass(frozen=True)
class Matcher:
    """How the site's vocabulary sees names and tags; the caller wires it, scoring never loads one.

    canonical(kind, name): the vocabulary's canonical form of a name of that kind (field name such as
    "people"), or the name itself. twin(tag): the key that twin tags share. known_tag(tag): whether
    the site already uses the tag; None when there is no vocabulary (the share is then not measured).
    """

    canonical: Callable[[str, str], str] = _same_name
    twin: Callable[[str], str] = twin_key
    known_tag: Callable[[str], bool] | None = None

    @classmethod
    def from_tables(
        cls,
        names: Mapping[str, Mapping[str, str]] | None = None,
        tags: Iterable[str] | None = None,
    ) -> Matcher:
        """A matcher from plain tables: {kind: {alias: canonical}} and the site's existing tags."""
        aliases = {kind: dict(table) for kind, table in (names or {}).items()}
        known = frozenset(tags) if tags is not None else None

        def canonical(kind: str, name: str) -> str:
            return aliases.get(kind, {}).get(name, name)

        return cls(canonical=canonical, known_tag=None if known is None else known.__contains__)


# -- which fields are scored how ----------------------------------------------------------------------------


@dataclass(frozen=True)
class TextLimits:
    """A localized text field (title, summary) and its length limits in characters."""

    name: str
    min_length: int | None = None
    max_length: int | None = None


@dataclass(frozen=True)
class FieldPlan:
    """Which fields are lists of names, tags, enumerations and localized texts, taken from a profile.

    Kept as plain values so a run saved as JSON carries it and can be reported without the profile.
    """

    language: str = "zh-Hans"
    name_fields: tuple[str, ...] = DEFAULT_NAME_FIELDS
    tag_field: str | None = "tags"
    enum_fields: tuple[str, ...] = ("area", "category")
    texts: tuple[TextLimits, ...] = (TextLimits("title", 4, 80), TextLimits("summary", 30, 400))
    model_fields: tuple[str, ...] = ()  # fields drafting fills; only their enumerations count in the overall score
    key_order: tuple[str, ...] = ()

    @classmethod
    def from_profile(cls, profile: Profile) -> FieldPlan:
        """Names: grounded lists. Tags: the list field `tags`. Enumerations: every string field with an enum."""
        specs = [profile.fields[k] for k in profile.ordered_keys(list(profile.fields))]
        tags = profile.fields.get("tags")
        return cls(
            language=profile.language,
            name_fields=tuple(s.name for s in specs if s.type == "list" and s.grounded),
            tag_field="tags" if tags is not None and tags.type == "list" else None,
            enum_fields=tuple(s.name for s in specs if s.type == "string" and s.enum),
            texts=tuple(TextLimits(s.name, s.min_length, s.max_length) for s in specs if s.type == "string" and s.localized),
            model_fields=tuple(s.name for s in profile.model_fields()),
            key_order=profile.key_order,
        )

    @property
    def text_fields(self) -> tuple[str, ...]:
        return tuple(t.name for t in self.texts)

    def counts_in_overall(self, name: str) -> bool:
        """Default-filled enumerations (status, layout) say nothing about a draft, unless a person changed them."""
        return not self.model_fields or name in self.model_fields


# -- per-field scores -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ListScore:
    """A list field: exact counts, counts after matching (canonical names, tag twins), and the items behind them."""

    exact: Counts
    matched: Counts
    missing: tuple[str, ...] = ()  # approved items the draft lacks, even after matching
    extra: tuple[str, ...] = ()  # drafted items the approved post lacks, even after matching
    pairs: tuple[tuple[str, str], ...] = ()  # (drafted, approved) equal only after matching
    known: int | None = None  # tags only: drafted tags that already exist in the site
    drafted: int = 0


@dataclass(frozen=True)
class EnumScore:
    """An enumeration: what the person approved and what the draft chose."""

    approved: str | None
    drafted: str | None

    @property
    def counted(self) -> bool:
        """An approved post without the value gives no ground truth."""
        return self.approved is not None

    @property
    def correct(self) -> bool:
        return self.approved == self.drafted


@dataclass(frozen=True)
class TextScore:
    """A title or summary: script, length within the profile, n-gram overlap with the approved text."""

    script: str
    language_ok: bool | None
    length: int
    length_ok: bool | None
    ngram_f1: float | None  # None when the approved post has no such text


@dataclass(frozen=True)
class PostScore:
    """Every score of one post, with both front matters so a report can show them side by side."""

    post: str
    names: dict[str, ListScore] = field(default_factory=dict)
    tags: ListScore | None = None
    enums: dict[str, EnumScore] = field(default_factory=dict)
    texts: dict[str, TextScore] = field(default_factory=dict)
    valid: bool | None = None
    grounding: Grounding = Grounding()
    cost: Cost = Cost()
    drafted: dict[str, Any] = field(default_factory=dict)
    approved: dict[str, Any] = field(default_factory=dict)
    error: str | None = None  # drafting failed: the draft is empty and scores as such


# -- scoring --------------------------------------------------------------------------------------------


def items(value: Any) -> list[str]:
    """A front-matter value as distinct non-empty strings, in order (a lone string counts as one item)."""
    if value is None:
        return []
    raw = value if isinstance(value, list | tuple) else [value]
    out: list[str] = []
    for item in raw:
        text = str(item).strip() if item is not None else ""
        if text and text not in out:
            out.append(text)
    return out


def fold_name(name: str) -> str:
    """Width, case and spacing folded: `Xi  jinping` and `Xi Jinping` are one name."""
    return spelling_key(name)


def score_list(drafted: Any, approved: Any, key: Callable[[str], str], known: Callable[[str], bool] | None = None) -> ListScore:
    """Counts for one list field, exactly and after mapping every item through `key`."""
    d, a = items(drafted), items(approved)
    exact = Counts(len(set(d) & set(a)), len(set(d) - set(a)), len(set(a) - set(d)))
    dk = {x: key(x) for x in d}  # once per item: a vocabulary lookup may not be cheap
    ak = {x: key(x) for x in a}
    first_a: dict[str, str] = {}
    for x in a:
        first_a.setdefault(ak[x], x)
    d_keys, a_keys = set(dk.values()), set(first_a)
    matched = Counts(len(d_keys & a_keys), len(d_keys - a_keys), len(a_keys - d_keys))
    return ListScore(
        exact=exact,
        matched=matched,
        missing=tuple(x for x in a if ak[x] not in d_keys),
        extra=tuple(x for x in d if dk[x] not in a_keys),
        pairs=tuple((x, first_a[dk[x]]) for x in d if dk[x] in a_keys and x not in ak),
        known=None if known is None else sum(1 for x in d if known(x)),
        drafted=len(d),
    )


def scalar(value: Any) -> str | None:
    """An enumeration value as text, None when absent or empty."""
    if value is None or value == [] or value == {}:
        return None
    return str(value).strip() or None


def plain(value: Any) -> Any:
    """Front matter as JSON holds it (dates as ISO text, tuples as lists), so a saved run reads back equal."""
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    return value


def fold_text(text: str) -> str:
    """Text for n-grams: width and case folded, whitespace and punctuation dropped (Chinese has no spaces)."""
    return fold(text)  # grounding's fold: the same comparison form


def ngram_f1(drafted: str, approved: str, n: int = 2) -> float:
    """Character n-gram F1 (bigrams by default) of two texts, counted as multisets."""
    a, b = fold_text(drafted), fold_text(approved)
    if not a and not b:
        return 1.0
    if not a or not b:
        return 0.0
    size = min(n, len(a), len(b))
    grams_a = Counter(a[i : i + size] for i in range(len(a) - size + 1))
    grams_b = Counter(b[i : i + size] for i in range(len(b) - size + 1))
    overlap = sum((grams_a & grams_b).values())
    return 2 * overlap / (sum(grams_a.values()) + sum(grams_b.values()))


def score_text(drafted: Any, approved: Any, limits: TextLimits, language: str) -> TextScore:
    """Script, length and overlap of one localized text."""
    text = "" if drafted is None else str(drafted)
    gold = "" if approved is None else str(approved)
    script = detect_script(text)
    expected = expected_script(language)
    length_ok = None
    if limits.min_length is not None or limits.max_length is not None:
        length_ok = (limits.min_length is None or len(text) >= limits.min_length) and (
            limits.max_length is None or len(text) <= limits.max_length
        )
    return TextScore(
        script=script,
        language_ok=None if expected is None else script_matches(expected, script),
        length=len(text),
        length_ok=length_ok,
        ngram_f1=ngram_f1(text, gold) if gold.strip() else None,
    )


def _canonical_key(matcher: Matcher, kind: str) -> Callable[[str], str]:
    def key(name: str) -> str:
        return fold_name(matcher.canonical(kind, name))

    return key


def score_post(
    post: str,
    drafted: Mapping[str, Any],
    approved: Mapping[str, Any],
    plan: FieldPlan,
    matcher: Matcher | None = None,
    *,
    valid: bool | None = None,
    grounding: Grounding | None = None,
    cost: Cost | None = None,
    error: str | None = None,
) -> PostScore:
    """Every score of one drafted front matter against the approved one.

    `valid` (the draft passes `enrich check` unedited), `grounding` (from the draft's provenance flags)
    and `cost` are the caller's: they come from stages this module does not run. A failed draft is
    scored as an empty front matter with `error` set.
    """
    m = matcher or Matcher()
    names = {name: score_list(drafted.get(name), approved.get(name), _canonical_key(m, name)) for name in plan.name_fields}
    tags = None
    if plan.tag_field is not None:
        tags = score_list(drafted.get(plan.tag_field), approved.get(plan.tag_field), m.twin, m.known_tag)
    enums = {name: EnumScore(scalar(approved.get(name)), scalar(drafted.get(name))) for name in plan.enum_fields}
    texts = {t.name: score_text(drafted.get(t.name), approved.get(t.name), t, plan.language) for t in plan.texts}
    return PostScore(
        post=post,
        names=names,
        tags=tags,
        enums=enums,
        texts=texts,
        valid=valid,
        grounding=grounding or Grounding(),
        cost=cost or Cost(),
        drafted=plain(dict(drafted)),
        approved=plain(dict(approved)),
        error=error,
    )
