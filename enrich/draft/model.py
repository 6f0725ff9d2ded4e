"""The model backend: ask an OpenAI-compatible endpoint for the fields, in one call or from notes.

The instructions and schema come first and never depend on the transcript (a stable prefix that
providers can cache); the transcript comes last. A transcript too long for the input budget is
split on natural boundaries, the model takes notes on each part and writes the fields from the
notes. An answer that fails validation is re-asked at most MAX_REPAIRS times with only the answer
and the problems. Entities are then grounded in the transcript, and the site's names it mentions added
(`enrich.draft.ground`).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import threading
from typing import TYPE_CHECKING, Any

from enrich.draft.backend import BackendName, Drafted
from enrich.draft.calibrate import TokenScale
from enrich.draft.ground import ground, names_mentioned, use_site_names
from enrich.draft.prompt import PromptSet, neutralise
from enrich.draft.schema import answer_room, answer_schema, notes_room, notes_schema, read_answer
from enrich.errors import ConfigError, EnrichError, ValidationFailed
from enrich.frontmatter.provenance import Flag
from enrich.model.capabilities import Capabilities
from enrich.profile import FieldSpec, Profile
from enrich.settings import NO_ENDPOINT_HELP, Settings
from enrich.vocab.model import ENTITY_KINDS

if TYPE_CHECKING:
    from enrich.draft.prepare import Prepared
    from enrich.model.client import Answer, LLMClient, Usage
    from enrich.model.gate import RateGate
    from enrich.model.policy import Deadline
    from enrich.tokens import Chunk

MAX_REPAIRS = 2
SHORTLIST_SIZE = 40
FILING_TAGS = 5  # the best-fitting tags whose posts say how the site files such a piece
FILING_CHOICES = 3  # areas and categories named, most used first
COMPLETION_ESTIMATE = 350  # tokens of one answer or one part's notes, for planning


class ModelBackend:
    """Drafts with a model; one client (created on first use) and one rate gate for every file."""

    name: BackendName = "model"
    paid = True

    def __init__(
        self,
        settings: Settings,
        profile: Profile,
        prompts: PromptSet,
        *,
        vocab: Any = None,
        client: LLMClient | None = None,
        gate: RateGate | None = None,
    ) -> None:
        self.settings = settings
        self.profile = profile
        self.prompts = prompts
        self.vocab = vocab
        self._client = client
        self._gate = gate
        self._client_lock = threading.Lock()
        self._overheads: dict[tuple[object, ...], int] = {}
        self._learned_window: int | None = None  # a context size a server's 400 stated (see draft)
        self.scale = TokenScale(f"{settings.endpoint_host}|{settings.model}", lambda: _capabilities_of(self))

    @property
    def label(self) -> str:
        return self.settings.model

    @property
    def prompt_version(self) -> str:
        return self.prompts.version

    @property
    def client(self) -> LLMClient:
        """The endpoint client, created on first use: a run that needs no call never imports openai."""
        with self._client_lock:
            if self._client is None:
                if not self.settings.has_endpoint:
                    raise ConfigError(NO_ENDPOINT_HELP)
                from enrich.model.client import LLMClient

                self._client = LLMClient(self.settings, gate=self._gate)
            return self._client

    @property
    def rate_gate(self) -> RateGate | None:
        """The gate requests wait at, without creating a client just to ask."""
        return self._client.gate if self._client is not None else self._gate

    def warm_up(self) -> None:
        # Import openai (about half a second of CPU) and, for the names step, load the vocabulary's
        # gazetteer (jieba, about a second) now, not while the first files wait for them. A client that
        # cannot be built is left for the first draft to report, per file.
        with contextlib.suppress(Exception):
            self.client  # noqa: B018
        if self.vocab is not None and self.profile.names.from_vocabulary:
            from enrich.offline.gazetteer import gazetteer

            gazetteer(self.vocab)

    @functools.cached_property
    def _identity(self) -> dict[str, Any]:
        """What makes two drafts of one input differ besides input, profile and prompts: the model, its
        parameters and the answer schema and room this code asks for (a schema change is a new draft)."""
        s = self.settings
        fields = self.profile.model_fields()
        contract = json.dumps([answer_schema(fields), notes_schema(fields), answer_room(fields)], sort_keys=True)
        return {
            "model": s.model,
            "params": [s.temperature, s.max_output_tokens, s.max_input_tokens],
            "schema": hashlib.sha256(contract.encode("utf-8")).hexdigest()[:16],
        }

    def cache_identity(self) -> dict[str, Any]:
        return dict(self._identity)  # computed once per run: every file of a batch asks

    def input_budget(self, overhead: int) -> int:
        """Transcript tokens (cl100k) that fit one request: the window is in the server's own tokens."""
        room = self.scale.to_local(self._window() - self.settings.max_output_tokens - 200)
        return max(500, room - overhead)

    def _window(self) -> int:
        """The context size planned with: max_input_tokens or the model's, or the smaller one a server stated."""
        from enrich.tokens import context_window

        window = self.settings.max_input_tokens or context_window(self.settings.model)
        return min(window, self._learned_window or window)

    def estimate_tokens(self, prepared: Prepared) -> tuple[int, int]:
        from enrich.tokens import count_tokens, plan_chunks

        if not prepared.ask:
            return 0, 0
        overhead = self._fixed_overhead(prepared.ask) + count_tokens(self._context(prepared)) + 20
        chunks = plan_chunks(neutralise(prepared.cleaned.text), self.input_budget(overhead))
        merging = 1 if len(chunks) > 1 else 0
        completion = COMPLETION_ESTIMATE * (len(chunks) + merging)
        prompt = sum(c.tokens for c in chunks) + overhead * (len(chunks) + merging)
        return prompt, completion

    def draft(self, prepared: Prepared, deadline: Deadline | None = None) -> Drafted:
        from enrich.model.client import Usage
        from enrich.model.describe import ContextTooLong

        usage = Usage()
        deadline = deadline or self.client.policy.new_deadline()
        planned, parts = self._window(), [0]
        try:
            try:
                return self._ask(prepared, deadline, usage, parts)
            except ContextTooLong as exc:
                if usage.calls or not self._replanned(prepared, exc.window, planned, parts[0]):
                    raise  # parts already paid for, or the plan would not change: never the same request again
                return self._ask(prepared, deadline, usage, parts)  # once more, in parts that fit what the server said
        except EnrichError as exc:
            exc.usage = usage  # what was already paid for, for batch costs and budgets
            raise

    def _context(self, prepared: Prepared) -> str:
        """The file's context lines as sent (neutralised: a sidecar's title and description are input
        too), made once per file: estimating, planning and drafting share them."""
        if prepared.context is None:
            prepared.context = neutralise(file_context(prepared, self.vocab, self.profile))
        return prepared.context

    def _replanned(self, prepared: Prepared, stated: int | None, planned: int, sent_in: int) -> bool:
        """True when the size a server stated splits this transcript into more parts than it was sent in."""
        context = self._context(prepared)
        return self._learn_window(stated, planned) and len(self._plan(prepared, context)[1]) > sent_in

    def _learn_window(self, stated: int | None, planned: int) -> bool:
        """Plan with a smaller context from now on (every later file of a batch too); False when none is known.

        The server's stated size; when it states the one planned with, three quarters of it (our count
        fell short of the server's tokenizer). Another worker may have learned a smaller one meanwhile."""
        if stated is None:
            return False
        with self._client_lock:
            if self._window() < planned:
                return True  # learned meanwhile: this file was planned before
            self._learned_window = stated if stated < planned else planned * 3 // 4
        return True

    # -- asking -------------------------------------------------------------------------------------
    def _ask(self, prepared: Prepared, deadline: Deadline, usage: Usage, parts: list[int]) -> Drafted:
        from enrich.tokens import count_tokens

        schema = answer_schema(prepared.ask)
        system = system_prompt(self.prompts, self.profile, "draft-system")
        context = self._context(prepared)
        overhead, chunks = self._plan(prepared, context)
        parts[0] = len(chunks)  # for draft: whether a smaller context would change the plan
        flags: list[Flag] = []
        if len(chunks) == 1:
            user = self.prompts.render("draft-user", context=context, transcript=chunks[0].text)
        else:
            notes = neutralise(json.dumps(self._take_notes(prepared, chunks, deadline, usage), ensure_ascii=False, indent=1))
            user = self.prompts.render("merge-user", context=context, chunk_count=len(chunks), notes=notes)
            flags.append(Flag("chunked", "*", f"drafted from notes on {len(chunks)} parts of a long transcript"))
        answer = self._complete(system, user, schema, "front_matter", deadline, usage, answer_room(prepared.ask))
        sent = overhead + (chunks[0].tokens if len(chunks) == 1 else count_tokens(user))
        told = answer.usage.prompt_tokens
        if self.scale.truncated(sent, told):
            message = (
                f"the server counted {told} prompt tokens of about {sent} sent: it may have cut "
                "the transcript (Ollama's num_ctx?); set max_input_tokens to the server's context size"
            )
            flags.append(Flag("truncated", "*", message))
        elif len(chunks) == 1:
            self.scale.observe(sent, told)
        values = self._validated(answer, prepared, system, schema, deadline, usage, flags)
        values, named = ground(values, prepared.folded, self.vocab, drop=self.profile.names.ungrounded == "drop")
        if self.vocab is not None and self.profile.names.from_vocabulary:
            named += use_site_names(values, names_mentioned(prepared, self.vocab, self.profile), self.vocab, self.profile)
        return Drafted(
            values,
            source="model",
            flags=flags + named,
            model=self.settings.model,
            endpoint=self.settings.endpoint_host,
            response_format=answer.response_format,
            tokens_in=usage.prompt_tokens,
            tokens_out=usage.completion_tokens,
            calls=usage.calls,
            chunks=len(chunks),
            seconds=usage.seconds,
        )

    def _plan(self, prepared: Prepared, context: str) -> tuple[int, list[Chunk]]:
        """The prompt's fixed tokens and the transcript's parts, each within the input budget."""
        from enrich.tokens import Chunk, count_tokens, estimate_tokens, plan_chunks

        text = neutralise(prepared.cleaned.text)
        rough = self._fixed_overhead(prepared.ask, exact=False) + estimate_tokens(context)
        text_tokens = estimate_tokens(text)
        if (text_tokens + rough) * 2 <= self.input_budget(0):
            # far from the budget: one chunk, and no need to load the tokenizer for an exact count
            return rough, [Chunk(0, text, text_tokens)]
        overhead = self._fixed_overhead(prepared.ask) + count_tokens(context)
        return overhead, plan_chunks(text, self.input_budget(overhead))

    def _complete(
        self, system: str, user: str, schema: dict[str, Any], name: str, deadline: Deadline, usage: Usage, room: int
    ) -> Answer:
        messages = [{"role": "system", "content": system}, {"role": "user", "content": user}]
        answer = self.client.complete_json(messages, schema, name, deadline, max_tokens=room)
        usage.add(answer.usage)
        return answer

    def _take_notes(self, prepared: Prepared, chunks: list[Chunk], deadline: Deadline, usage: Usage) -> list[Any]:
        schema = notes_schema(prepared.ask)
        system = self.prompts.render("chunk-system", language_name=self.profile.language_name)
        notes = []
        for chunk in chunks:
            user = self.prompts.render("draft-user", context=f"Part {chunk.index + 1} of {len(chunks)}.", transcript=chunk.text)
            answer = self._complete(system, user, schema, "notes", deadline, usage, notes_room(prepared.ask))
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
        flags: list[Flag],
    ) -> dict[str, Any]:
        """The answer as field values, re-asking at most MAX_REPAIRS times with only the answer and the problems."""
        for attempt in range(MAX_REPAIRS + 1):
            values, problems = read_answer(answer.data, prepared.ask, self.profile)
            # errors are re-asked up to MAX_REPAIRS times; warnings once, then kept with a flag
            if not any(p.severity == "error" or attempt == 0 for p in problems):
                flags.extend(Flag("warning", p.key, f"{p.message} ({p.rule})") for p in problems)
                return values
            if attempt == MAX_REPAIRS:
                errors = [p.describe() for p in problems if p.severity == "error"]
                raise ValidationFailed(
                    f"the model's answer failed validation after {MAX_REPAIRS} repairs: " + "; ".join(errors[:5]),
                    problems=errors,
                )
            listed = "\n".join(f"- {p.describe()}" for p in problems)
            user = self.prompts.render("repair-user", answer=neutralise(answer.raw[:20000]), problems=listed)
            answer = self._complete(system, user, schema, "front_matter", deadline, usage, answer_room(prepared.ask))
        raise AssertionError("unreachable")

    def _fixed_overhead(self, ask: list[FieldSpec], *, exact: bool = True) -> int:
        """Tokens of the instructions and schema, the same for every file that asks the same fields."""
        from enrich.tokens import count_tokens, estimate_tokens

        key = (exact, *(f.name for f in ask))
        if key not in self._overheads:
            count = count_tokens if exact else estimate_tokens
            schema = json.dumps(answer_schema(ask), ensure_ascii=False)
            self._overheads[key] = count(system_prompt(self.prompts, self.profile, "draft-system")) + count(schema)
        return self._overheads[key]


def _capabilities_of(backend: ModelBackend) -> Capabilities | None:
    """The client's, or before any client (planning) what is remembered on disk."""
    if backend._client is not None:
        return backend._client.capabilities
    cache = backend.settings.user_cache_dir
    return Capabilities.in_folder(cache) if cache and backend.settings.has_endpoint else None


# -- prompts ------------------------------------------------------------------------------------------


def system_prompt(prompts: PromptSet, profile: Profile, template: str) -> str:
    """The instructions: they depend on the profile only, never on the transcript (a cacheable prefix)."""
    fields = profile.fields
    notes = "".join(f"- {f.name}: {f.description}\n" for f in profile.model_fields() if f.description and not f.grounded)
    tags = fields.get("tags")
    return prompts.render(
        template,
        language_name=profile.language_name,
        localized_fields=", ".join(f.name for f in fields.values() if f.localized) or "title, summary",
        title_max=getattr(fields.get("title"), "max_length", None) or 80,
        summary_max=getattr(fields.get("summary"), "max_length", None) or 400,
        tags_min=(tags.min_items if tags and tags.min_items else 1),
        tags_max=(tags.max_items if tags and tags.max_items else 8),
        field_notes=notes,
    )


def file_context(prepared: Prepared, vocab: Any, profile: Profile) -> str:
    """What the model is told about the file besides its text: metadata hints and fitting site tags."""
    meta = prepared.source.metadata
    lines = []
    if meta.title_hint:
        lines.append(f"Original title: {meta.title_hint}")
    if "speaker" in prepared.known:
        lines.append(f"Speaker / channel: {prepared.known['speaker']}")
    if meta.description:
        lines.append(f"Original description: {meta.description[:500]}")
    asked = {f.name for f in prepared.ask}
    wanted = vocab is not None and bool(asked & {"tags", "area", "category"})
    fitting = vocab.fitting_tags(prepared.cleaned.text, limit=SHORTLIST_SIZE) if wanted else []
    if vocab is not None and "tags" in asked:
        shortlist = vocab.with_popular_tags(fitting, SHORTLIST_SIZE)
        if shortlist:
            lines.append("Existing tags on this site that may fit: " + ", ".join(shortlist))
    filing = _filing_hint(fitting[:FILING_TAGS], vocab, profile, asked) if fitting else ""
    if filing:
        lines.append(filing)
    if vocab is not None and any(f.name in ENTITY_KINDS for f in prepared.ask):
        found = names_mentioned(prepared, vocab, profile) if profile.names.from_vocabulary else {}
        said = [
            f"{kind}: " + ", ".join(f"{name} ({words[0]})" if words[0] != name else name for name, words in names.items())
            for kind, names in found.items()
            if names
        ]
        if said:
            lines.append("Names this site already uses that the transcript mentions (write them this way): " + "; ".join(said))
    return "\n".join(lines)


def _filing_hint(tags: list[str], vocab: Any, profile: Profile, asked: set[str]) -> str:
    """How the site files posts with the best-fitting tags: the area and category its people chose
    (over the site's posts, area from tags alone is right about as often as offline drafting is)."""
    fields = [name for name in ("area", "category") if name in asked and name in profile.fields]
    if not fields:
        return ""
    enums = {name: profile.fields[name].enum or None for name in ("area", "category") if name in profile.fields}
    areas, categories = vocab.filing(tags, enums.get("area"), enums.get("category"))
    said = [
        f"{name}: " + ", ".join(values[:FILING_CHOICES])
        for name, values in (("area", areas), ("category", categories))
        if name in fields and values
    ]
    if not said:
        return ""
    return f"This site files posts with the tags {', '.join(tags)} under " + "; ".join(said) + " (most used first)"
