"""Drafting one file, from Source to Draft: the pipeline every other capability stands on.

prepare (read, clean, metadata facts, what to ask) -> a backend drafts the asked fields (`model`: prompt,
chunks, validate / repair, grounding; `offline`: no model at all) -> vocabulary -> assemble in the
profile's order -> provenance. The backend is chosen once, by `build.build_drafter`; nothing else
asks how drafts are made. Writing is separate (`output.write_draft`), so batch decides about caches
and existing files itself. Never imports click.

Modules: drafter (Drafter), prepare (Prepared), backend (the Backend interface), model and offline
(the two backends), schema (the answer's JSON Schema and reading answers), ground (grounding),
output (Draft, output_path, write_draft), build (build_drafter, draft_one).
"""
