"""Drafting one file, from Source to Draft: the pipeline every other capability stands on.

read -> clean -> (metadata facts) -> prompt -> model (chunked when long) -> validate / repair ->
ground entities -> vocabulary -> assemble in the profile's order -> provenance. Writing is separate
(`write_draft`), so batch can decide about caches and existing files itself. Never imports click.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from enrich.clean import CleanResult, clean_text
from enrich.errors import ConfigError, EnrichError, ValidationFailed
from enrich.profile import FieldSpec, Profile
from enrich.prompt import PromptSet, neutralise
from enrich.provenance import Flag, Provenance
from enrich.sources import Source, read_source
from enrich.text import fold, tag_slug
from enrich.validate import Problem, validate_front_matter

if TYPE_CHECKING:
    from enrich.config import Settings
    from enrich.llm import Answer, Deadline, LLMClient, RateGate, Usage
    from enrich.tokens import Chunk

MAX_REPAIRS = 2
SHORTLIST_SIZE = 40
# A server that reports far fewer prompt tokens than we sent has silently cut the prompt (Ollama does).
TRUNCATION_MIN_TOKENS = 2000
TRUNCATION_RATIO = 0.6


@dataclass
class Prepared:
    """A file read and cleaned, with what the model will be asked: enough to plan, cache and price."""

    source: Source
    cleaned: CleanResult
    known: dict[str, Any]  # values from a person or metadata, never asked of the model
    known_sources: dict[str, str]
    ask: list[FieldSpec]  # fields the model drafts for this file
    cleaned_sha256: str

    @functools.cached_property
    def folded(self) -> str:
        """The cleaned text in grounding's comparison form, computed once per file."""
        return fold(self.cleaned.text)


@dataclass
class Draft:
    """A drafted post, not yet written."""

    path: Path  # the input
    values: dict[str, Any]
    body: str
    provenance: Provenance
    model_seconds: float = 0.0
    total_seconds: float = 0.0

    @property
    def flags(self) -> list[Flag]:
        return self.provenance.flags

    def render(self, profile: Profile) -> str:
        from enrich.yamlio import render_document

        return render_document(self.values, profile, self.body, trailer=self.provenance.to_comment())


def _field_schema(spec: FieldSpec) -> dict[str, Any]:
    if spec.grounded:
        return {
            "type": "array",
            "description": spec.description,
            "items": {
                "type": "object",
                "properties": {
                    "name": {"type": "string", "description": "canonical English name"},
                    "mention": {"type": "string", "description": "exact words of the transcript that refer to it"},
                },
                "required": ["name", "mention"],
                "additionalProperties": False,
            },
        }
    if spec.type == "list":
        return {"type": "array", "description": spec.description, "items": {"type": "string"}}
    if spec.type == "bool":
        return {"type": "boolean", "description": spec.description}
    schema: dict[str, Any] = {"type": "string", "description": spec.description}
    if spec.enum:
        schema["enum"] = list(spec.enum)
    return schema


def answer_schema(fields: list[FieldSpec]) -> dict[str, Any]:
    """The strict JSON Schema of the model's answer: every property required, nothing extra."""
    return {
        "type": "object",
        "properties": {f.name: _field_schema(f) for f in fields},
        "required": [f.name for f in fields],
        "additionalProperties": False,
    }


def notes_schema(fields: list[FieldSpec]) -> dict[str, Any]:
    """The schema of the notes taken on one part of a long transcript."""
    props: dict[str, Any] = {"points": {"type": "array", "items": {"type": "string"}}}
    for spec in (f for f in fields if f.grounded):
        props[spec.name] = _field_schema(spec)
    props["tags"] = {"type": "array", "items": {"type": "string"}}
    return {"type": "object", "properties": props, "required": list(props), "additionalProperties": False}


class Drafter:
    """What is shared across files (settings, profile, prompts, vocabulary, one client) and the pipeline."""

    def __init__(
        self,
        settings: Settings,
        profile: Profile,
        prompts: PromptSet,
        *,
        client: LLMClient | None = None,
        vocab: Any = None,
        offline: bool = False,
        planning: bool = False,
        gate: RateGate | None = None,
    ) -> None:
        self.settings = settings
        self.profile = profile
        self.prompts = prompts
        self.vocab = vocab
        self.offline = offline
        self._client = client
        self._gate = gate
        self._client_lock = threading.Lock()
        self._overheads: dict[tuple[object, ...], int] = {}
        if not offline and not planning and client is None and not settings.has_endpoint:
            from enrich.config import NO_ENDPOINT_HELP

            raise ConfigError(NO_ENDPOINT_HELP)

    @property
    def client(self) -> LLMClient:
        """The endpoint client, created on first use: a run that needs no call never imports openai."""
        with self._client_lock:
            if self._client is None:
                from enrich.llm import LLMClient

                self._client = LLMClient(self.settings, gate=self._gate)
            return self._client

    @property
    def rate_gate(self) -> RateGate | None:
        """The gate requests wait at, without creating a client just to ask."""
        return self._client.gate if self._client is not None else self._gate

    # -- stage 1: read, clean, decide what to ask -----------------------------------------------
    def prepare(self, path: Path) -> Prepared:
        source = read_source(path)
        cleaned = clean_text(source.text)
        known: dict[str, Any] = {}
        known_sources: dict[str, str] = {}
        for key, value in source.metadata.values.items():
            if key in self.profile.fields:
                known[key], known_sources[key] = value, "metadata"
        for key, value in source.person_fields.items():
            known[key], known_sources[key] = value, "person"  # a person's value always wins
        ask = [f for f in self.profile.model_fields() if f.name not in known]
        digest = hashlib.sha256(cleaned.text.encode("utf-8")).hexdigest()
        return Prepared(source, cleaned, known, known_sources, ask, digest)

    def cache_key(self, prepared: Prepared) -> str:
        """Content address of a draft: same cleaned input, profile, prompts, model and parameters -> same draft."""
        parts = {
            "input": prepared.cleaned_sha256,
            "known": prepared.known,
            "profile": json.dumps(self.profile.raw, sort_keys=True, default=str),
            "prompts": self.prompts.version,
            "model": "offline" if self.offline else self.settings.model,
            "params": [self.settings.temperature, self.settings.max_output_tokens, self.settings.max_input_tokens],
            "vocab": getattr(self.vocab, "fingerprint", None),
        }
        return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()

    def estimate_tokens(self, prepared: Prepared) -> tuple[int, int]:
        """Prompt and completion tokens one draft will likely cost, counted offline (for --dry-run and budgets)."""
        from enrich.tokens import count_tokens, plan_chunks

        if self.offline or not prepared.ask:
            return 0, 0
        overhead = self._fixed_overhead(prepared.ask) + count_tokens(self._context(prepared)) + 20
        chunks = plan_chunks(neutralise(prepared.cleaned.text), self.input_budget(overhead))
        completion = 350 * len(chunks) + (350 if len(chunks) > 1 else 0)
        prompt = sum(c.tokens for c in chunks) + overhead * (len(chunks) + (1 if len(chunks) > 1 else 0))
        return prompt, completion

    # -- stage 2: draft ---------------------------------------------------------------------------
    def draft(self, path: Path, deadline: Deadline | None = None) -> Draft:
        started = time.perf_counter()
        try:
            prepared = self.prepare(path)
        except EnrichError as exc:
            exc.path = exc.path or str(path)  # every message names the file
            raise
        return self.draft_prepared(prepared, deadline, started=started)

    def draft_prepared(self, prepared: Prepared, deadline: Deadline | None = None, *, started: float | None = None) -> Draft:
        try:
            return self._draft_prepared(prepared, deadline, started if started is not None else time.perf_counter())
        except EnrichError as exc:
            exc.path = exc.path or str(prepared.source.path)
            raise

    def _draft_prepared(self, prepared: Prepared, deadline: Deadline | None, started: float) -> Draft:
        source = prepared.source
        prov = Provenance(
            input=source.path.name,
            input_sha256=source.sha256,
            prompt_version=None if self.offline else self.prompts.version,
            created=dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
            removed=prepared.cleaned.summary(),
        )
        prov.fields.update(prepared.known_sources)
        drafted: dict[str, Any] = {}
        model_seconds = 0.0
        if prepared.ask:
            if self.offline:
                drafted = self._draft_offline(prepared, prov)
            else:
                from enrich.llm import Deadline as _Deadline

                deadline = deadline or _Deadline(float(self.settings.deadline))
                drafted, model_seconds = self._draft_with_model(prepared, prov, deadline)
        values = self._assemble(prepared, drafted, prov)
        if self.vocab is not None:
            from enrich.vocab import apply_vocabulary

            mapped, vflags = apply_vocabulary({k: values[k] for k in drafted if k in values}, self.vocab, self.profile)
            values.update(mapped)
            prov.flags.extend(vflags)
        for problem in validate_front_matter(values, self.profile):
            prov.flags.append(Flag("warning", problem.key, problem.message + f" ({problem.rule})"))
        unique = {(f.kind, f.field, f.message): f for f in prov.flags}
        prov.flags = list(unique.values())
        total = time.perf_counter() - started
        return Draft(source.path, values, prepared.cleaned.text, prov, model_seconds=model_seconds, total_seconds=total)

    # -- offline ------------------------------------------------------------------------------------
    def _draft_offline(self, prepared: Prepared, prov: Provenance) -> dict[str, Any]:
        from enrich.offline import draft_offline

        result = draft_offline(
            prepared.cleaned.text, profile=self.profile, vocab=self.vocab, title_hint=prepared.source.metadata.title_hint
        )
        asked = {f.name for f in prepared.ask}
        values = {k: v for k, v in result.values.items() if k in asked}
        for key in values:
            prov.fields[key] = "offline"
        prov.flags.extend(result.flags)
        prov.model = "offline"
        return values

    # -- with a model ---------------------------------------------------------------------------
    def _context(self, prepared: Prepared, extra: str = "") -> str:
        meta = prepared.source.metadata
        lines = []
        if meta.title_hint:
            lines.append(f"Original title: {meta.title_hint}")
        if "speaker" in prepared.known:
            lines.append(f"Speaker / channel: {prepared.known['speaker']}")
        if meta.description:
            lines.append(f"Original description: {meta.description[:500]}")
        if self.vocab is not None and any(f.name == "tags" for f in prepared.ask):
            shortlist = self.vocab.shortlist_tags(prepared.cleaned.text, limit=SHORTLIST_SIZE)
            if shortlist:
                lines.append("Existing tags on this site that may fit: " + ", ".join(shortlist))
        if extra:
            lines.append(extra)
        return "\n".join(lines)

    def _fixed_overhead(self, ask: list[FieldSpec], *, exact: bool = True) -> int:
        """Tokens of the instructions and schema, the same for every file that asks the same fields."""
        from enrich.tokens import count_tokens, estimate_tokens

        key = (exact, *(f.name for f in ask))
        if key not in self._overheads:
            count = count_tokens if exact else estimate_tokens
            schema = json.dumps(answer_schema(ask), ensure_ascii=False)
            self._overheads[key] = count(self._system("draft-system")) + count(schema)
        return self._overheads[key]

    def _system(self, template: str) -> str:
        fields = self.profile.fields
        notes = "".join(f"- {f.name}: {f.description}\n" for f in self.profile.model_fields() if f.description and not f.grounded)
        tags = fields.get("tags")
        return self.prompts.render(
            template,
            language_name=self.profile.language_name,
            localized_fields=", ".join(f.name for f in fields.values() if f.localized) or "title, summary",
            title_max=getattr(fields.get("title"), "max_length", None) or 80,
            summary_max=getattr(fields.get("summary"), "max_length", None) or 400,
            tags_min=(tags.min_items if tags and tags.min_items else 1),
            tags_max=(tags.max_items if tags and tags.max_items else 8),
            field_notes=notes,
        )

    def input_budget(self, overhead: int) -> int:
        from enrich.tokens import context_window

        window = int(self.settings.max_input_tokens or context_window(self.settings.model))
        return max(500, window - int(self.settings.max_output_tokens) - overhead - 200)

    def _draft_with_model(self, prepared: Prepared, prov: Provenance, deadline: Deadline) -> tuple[dict[str, Any], float]:
        """The drafted values, and the seconds spent waiting on the endpoint."""
        from enrich.llm import Usage

        usage = Usage()
        try:
            return self._ask_model(prepared, prov, deadline, usage)
        except EnrichError as exc:
            exc.usage = usage  # what was already paid for, for batch costs and budgets
            raise

    def _ask_model(self, prepared: Prepared, prov: Provenance, deadline: Deadline, usage: Usage) -> tuple[dict[str, Any], float]:
        from enrich.tokens import Chunk, count_tokens, estimate_tokens, plan_chunks

        schema = answer_schema(prepared.ask)
        system = self._system("draft-system")
        context = self._context(prepared)
        text = neutralise(prepared.cleaned.text)
        rough = self._fixed_overhead(prepared.ask, exact=False) + estimate_tokens(context)
        text_tokens = estimate_tokens(text)
        if (text_tokens + rough) * 2 <= self.input_budget(0):
            # far from the budget: one chunk, and no need to load the tokenizer for an exact count
            overhead, chunks = rough, [Chunk(0, text, text_tokens)]
        else:
            overhead = self._fixed_overhead(prepared.ask) + count_tokens(context)
            chunks = plan_chunks(text, self.input_budget(overhead))
        prov.chunks = len(chunks)
        if len(chunks) == 1:
            user = self.prompts.render("draft-user", context=context, transcript=chunks[0].text)
        else:
            notes = self._take_notes(prepared, chunks, deadline, usage)
            user = self.prompts.render(
                "merge-user", context=context, chunk_count=len(chunks), notes=json.dumps(notes, ensure_ascii=False, indent=1)
            )
            prov.flags.append(Flag("chunked", "*", f"drafted from notes on {len(chunks)} parts of a long transcript"))
        messages = [{"role": "system", "content": system}, {"role": "user", "content": user}]
        answer = self.client.complete_json(messages, schema, "front_matter", deadline)
        usage.add(answer.usage)
        sent = overhead + (chunks[0].tokens if len(chunks) == 1 else count_tokens(user))
        if answer.usage.prompt_tokens and sent > TRUNCATION_MIN_TOKENS and answer.usage.prompt_tokens < sent * TRUNCATION_RATIO:
            prov.flags.append(
                Flag(
                    "truncated",
                    "*",
                    f"the server counted {answer.usage.prompt_tokens} prompt tokens of about {sent} sent: it may have cut "
                    "the transcript (Ollama's num_ctx?); set max_input_tokens to the server's context size",
                )
            )
        values = self._validated(answer, prepared, system, schema, deadline, usage, prov)
        prov.model = self.settings.model
        prov.endpoint = self.settings.endpoint_host
        prov.response_format = answer.response_format
        prov.tokens_in, prov.tokens_out, prov.calls = usage.prompt_tokens, usage.completion_tokens, usage.calls
        return self._ground(values, prepared, prov), usage.seconds

    def _take_notes(self, prepared: Prepared, chunks: list[Chunk], deadline: Deadline, usage: Usage) -> list[Any]:
        schema = notes_schema(prepared.ask)
        system = self.prompts.render("chunk-system", language_name=self.profile.language_name)
        notes = []
        for chunk in chunks:
            context = f"Part {chunk.index + 1} of {len(chunks)}."
            user = self.prompts.render("draft-user", context=context, transcript=chunk.text)
            answer = self.client.complete_json(
                [{"role": "system", "content": system}, {"role": "user", "content": user}], schema, "notes", deadline
            )
            usage.add(answer.usage)
            notes.append(answer.data if isinstance(answer.data, dict) else {"points": [str(answer.raw)[:2000]]})
        return notes

    def _validated(
        self,
        answer: Answer,
        prepared: Prepared,
        system: str,
        schema: dict[str, Any],
        deadline: Deadline,
        usage: Usage,
        prov: Provenance,
    ) -> dict[str, Any]:
        """The answer as field values, re-asking at most MAX_REPAIRS times with only the answer and the problems."""
        for attempt in range(MAX_REPAIRS + 1):
            values, problems = self._check_answer(answer.data, prepared)
            blocking = [p for p in problems if p.severity == "error" or attempt < MAX_REPAIRS]
            if not blocking:
                for problem in problems:
                    prov.flags.append(Flag("warning", problem.key, problem.message + f" ({problem.rule})"))
                return values
            if attempt == MAX_REPAIRS:
                errors = [p.describe() for p in problems if p.severity == "error"]
                raise ValidationFailed(
                    f"the model's answer failed validation after {MAX_REPAIRS} repairs: " + "; ".join(errors[:5]),
                    problems=errors,
                )
            user = self.prompts.render(
                "repair-user",
                answer=answer.raw[:20000],
                problems="\n".join(f"- {p.describe()}" for p in problems),
            )
            answer = self.client.complete_json(
                [{"role": "system", "content": system}, {"role": "user", "content": user}], schema, "front_matter", deadline
            )
            usage.add(answer.usage)
        raise AssertionError("unreachable")

    def _check_answer(self, data: Any, prepared: Prepared) -> tuple[dict[str, Any], list[Problem]]:
        """Turn an answer into field values (entities keep their mentions) and list what is wrong with it."""
        if not isinstance(data, dict):
            text = getattr(data, "text", data)
            return {}, [Problem("answer", "type", f"not a JSON object: {str(text)[:120]!r}")]
        problems: list[Problem] = []
        values: dict[str, Any] = {}
        asked = {f.name: f for f in prepared.ask}
        for name, spec in asked.items():
            if name not in data:
                problems.append(Problem(name, "missing-key", "required key is missing"))
                continue
            raw = data[name]
            if spec.grounded:
                names, mentions = [], []
                if not isinstance(raw, list):
                    problems.append(Problem(name, "type", "expected a list of {name, mention} objects"))
                    continue
                for i, item in enumerate(raw):
                    if isinstance(item, dict) and isinstance(item.get("name"), str):
                        names.append(item["name"].strip())
                        mentions.append(str(item.get("mention") or "").strip())
                    elif isinstance(item, str):
                        names.append(item.strip())
                        mentions.append("")
                    else:
                        problems.append(Problem(name, "type", "expected {name, mention}", index=i))
                values[name] = names
                values[f"_mentions:{name}"] = mentions
            elif name == "tags" and isinstance(raw, list):
                values[name] = [tag_slug(t) for t in raw if isinstance(t, str) and t.strip()]
            elif isinstance(raw, str):
                values[name] = raw.strip()
            else:
                values[name] = raw
        for key in data:
            if key not in asked:
                problems.append(Problem(str(key), "unknown-key", "key was not asked for"))
        plain = {k: v for k, v in values.items() if not k.startswith("_mentions:")}
        problems.extend(validate_front_matter(plain, self.profile, only=set(asked)))
        return values, problems

    def _ground(self, values: dict[str, Any], prepared: Prepared, prov: Provenance) -> dict[str, Any]:
        """Keep each entity with the transcript words that mention it; flag those no words support."""
        out: dict[str, Any] = {}
        for key, value in values.items():
            if key.startswith("_mentions:"):
                continue
            out[key] = value
            mentions = values.get(f"_mentions:{key}")
            if mentions is None:
                continue
            for name, mention in zip(value, mentions, strict=True):
                candidates = [mention, name, *(self.vocab.aliases(key, name) if self.vocab is not None else [])]
                if not any(c and fold(c) and fold(c) in prepared.folded for c in candidates):
                    quoted = f" (quoted as {mention!r})" if mention else ""
                    prov.flags.append(Flag("ungrounded", key, f"{name!r} is not mentioned in the transcript{quoted}", name))
        for key in out:
            prov.fields.setdefault(key, "model")
        return out

    # -- assemble -------------------------------------------------------------------------------------
    def _assemble(self, prepared: Prepared, drafted: dict[str, Any], prov: Provenance) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for name, spec in self.profile.fields.items():
            if name in prepared.known:
                values[name] = prepared.known[name]
            elif name in drafted:
                values[name] = drafted[name]
            elif spec.fallback == "today":
                values[name] = dt.date.today().isoformat()
                prov.fields[name] = "default"
                prov.flags.append(Flag("defaulted", name, "no metadata gave it: set to the day of drafting; check it"))
            elif spec.optional:
                continue
            else:
                values[name] = spec.initial()
                prov.fields.setdefault(name, "default")
                if spec.required and spec.by == "metadata" and values[name] in ("", []):
                    prov.flags.append(Flag("defaulted", name, "no metadata gave it: fill it in"))
        for key, value in prepared.known.items():
            values.setdefault(key, value)  # keys a person wrote that the profile does not know are kept
        for key, origin in prepared.source.metadata.origins.items():
            if key == "source" and origin.startswith("file name"):
                prov.flags.append(Flag("defaulted", key, f"taken from the {origin}; check it"))
        return values


def output_path(input_path: Path, out_dir: Path) -> Path:
    return out_dir / f"{input_path.stem}.md"


def write_draft(draft: Draft, profile: Profile, out_dir: Path, *, force: bool = False) -> Path:
    """Write the draft atomically; never replace an existing file unless `force`."""
    from enrich.fsutil import atomic_write

    target = output_path(draft.path, out_dir)
    if target.resolve() == draft.path.resolve():
        raise ConfigError("the draft would replace its own input; choose another --out folder", path=str(draft.path))
    atomic_write(target, draft.render(profile), exclusive=not force)
    return target
