"""Rendering the messages sent to the model from the template files in prompts/.

Templates use `$name` placeholders with strict substitution: a missing variable is an error, never
an empty hole. A site overrides any template by putting a file of the same name in
`.enrich/prompts/` (or the `prompts_dir` setting). The instructions and schema come first and do not
depend on the transcript, so providers can cache them as a prefix; the transcript comes last,
delimited as untrusted data.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from string import Template

from enrich.errors import ConfigError

# Strings that local servers may turn into real control tokens if found in user text: ChatML and Phi
# (`<|im_start|>`, `<|end|>`), Llama 3 (`<|eot_id|>`, `<|reserved_special_token_0|>`), DeepSeek
# (`<｜end▁of▁sentence｜>`, full-width bars), Gemma (`<start_of_turn>`), Llama 2 and Mistral (`[INST]`,
# `<<SYS>>`, `<s>`, `</s>`), Qwen's `<think>`, and our own delimiters.
_CONTROL_TOKENS = re.compile(
    r"<\|[^|<>\s]{1,60}\|>|<｜[^｜<>]{1,60}｜>"
    r"|</?(?:think|transcript|notes|previous_answer|start_of_turn|end_of_turn|bos|eos|pad|s)>"
    r"|<</?SYS>>|\[/?(?:INST|SYSTEM_PROMPT|AVAILABLE_TOOLS|TOOL_CALLS|TOOL_RESULTS)\]",
    re.I,
)
_DEFUSED = str.maketrans({"<": "‹", ">": "›", "[": "［", "]": "］"})


def neutralise(text: str) -> str:
    """Transcript text with chat-template control tokens and our own delimiters defused."""
    return _CONTROL_TOKENS.sub(lambda m: m.group(0).translate(_DEFUSED), text)


@dataclass(frozen=True)
class PromptSet:
    """The templates in force, and the version recorded in provenance and cache keys."""

    templates: dict[str, str]
    origins: dict[str, str]
    version: str

    def render(self, name: str, **variables: object) -> str:
        template = self.templates.get(name)
        if template is None:
            raise ConfigError(f"prompt template {name}.md not found")
        try:
            return Template(template).substitute({k: str(v) for k, v in variables.items()})
        except KeyError as exc:
            raise ConfigError(f"prompt template {name}.md uses ${exc.args[0]}, which enrich does not provide") from None
        except ValueError as exc:
            raise ConfigError(f"prompt template {name}.md: {exc}") from None


TEMPLATE_NAMES = ("draft-system", "draft-user", "chunk-system", "merge-user", "repair-user")


def load_prompts(override_dir: Path | None = None) -> PromptSet:
    """The bundled templates, each replaced by a site's file of the same name if present."""
    bundled = resources.files("enrich.prompts")
    templates: dict[str, str] = {}
    origins: dict[str, str] = {}
    for name in TEMPLATE_NAMES:
        site_file = override_dir / f"{name}.md" if override_dir else None
        if site_file is not None and site_file.is_file():
            templates[name] = site_file.read_text(encoding="utf-8")
            origins[name] = str(site_file)
        else:
            templates[name] = bundled.joinpath(f"{name}.md").read_text(encoding="utf-8")
            origins[name] = "bundled"
    base = tomllib.loads(bundled.joinpath("prompts.toml").read_text(encoding="utf-8"))["version"]
    if any(origin != "bundled" for origin in origins.values()):
        digest = hashlib.sha256("\0".join(templates[n] for n in TEMPLATE_NAMES).encode()).hexdigest()[:8]
        base = f"{base}+site.{digest}"
    return PromptSet(templates=templates, origins=origins, version=base)
