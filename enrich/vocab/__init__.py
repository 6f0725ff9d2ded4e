"""The site's own vocabulary: the tags, areas, categories and canonical names its posts already use.

One model, read and written in one place, used by drafting, `enrich check` and `enrich fix`:

- `model`: the `Vocabulary` (counts, entities, merges, aliases) and the questions drafting asks it;
- `file`: the one parser and dumper of `.enrich/vocab.yaml`, and the one finder of that file;
- `posts`, `build`, `names`, `suggest`, `seeds`: reading posts, aggregating them (canonical names,
  conflicts), suggesting merges (`enrich vocab build`);
- `index`: the tag and name tables every caller resolves through, check's cache of them, its finder;
- `score`: the existing tags a text supports (drafting's shortlist, offline tags);
- `apply`: mapping drafted tags and names onto the site's.

Nothing is guessed: only spelling variants of one name (`enrich.text.name_key`) and merges a person
accepted are applied; an alias shared by several entries is ambiguous and never applied; any other
alias is a suggestion (`enrich check` warns, `enrich fix` and drafting leave it).

The names below are imported on first use, so `enrich check` (which imports `enrich.vocab.index`)
loads only what it needs.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from enrich.vocab.apply import apply_vocabulary
    from enrich.vocab.build import BuildResult, build_vocabulary, posts_using
    from enrich.vocab.file import dump_vocabulary, find_vocab_file, load_vocabulary, vocabulary_from_data
    from enrich.vocab.index import MIN_ALIAS_COUNT, Hint, VocabFinder, VocabIndex, load_index
    from enrich.vocab.model import ENTITY_KINDS, Entity, Merge, Vocabulary
    from enrich.vocab.posts import PostRecord, extract_glosses, read_post

_HOMES = {
    "apply_vocabulary": "apply",
    "BuildResult": "build",
    "build_vocabulary": "build",
    "posts_using": "build",
    "dump_vocabulary": "file",
    "find_vocab_file": "file",
    "load_vocabulary": "file",
    "vocabulary_from_data": "file",
    "MIN_ALIAS_COUNT": "index",
    "Hint": "index",
    "VocabFinder": "index",
    "VocabIndex": "index",
    "load_index": "index",
    "ENTITY_KINDS": "model",
    "Entity": "model",
    "Merge": "model",
    "Vocabulary": "model",
    "PostRecord": "posts",
    "extract_glosses": "posts",
    "read_post": "posts",
}
__all__ = [
    "ENTITY_KINDS",
    "MIN_ALIAS_COUNT",
    "BuildResult",
    "Entity",
    "Hint",
    "Merge",
    "PostRecord",
    "VocabFinder",
    "VocabIndex",
    "Vocabulary",
    "apply_vocabulary",
    "build_vocabulary",
    "dump_vocabulary",
    "extract_glosses",
    "find_vocab_file",
    "load_index",
    "load_vocabulary",
    "posts_using",
    "read_post",
    "vocabulary_from_data",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'enrich.vocab' has no attribute {name!r}")
    return getattr(importlib.import_module(f"enrich.vocab.{home}"), name)
