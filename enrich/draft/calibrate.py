"""The server's own token count, learned: enrich counts with cl100k, the model may not.

Budgets (how much transcript fits in one request) are planned with tiktoken's cl100k offline, but a
context window is counted in the model's own tokens: Qwen's and DeepSeek's tokenizers need about half
as many tokens for Chinese text, so a transcript that fits a llama.cpp server's 8,192 tokens whole was
split into parts (two more calls and a weaker draft), and the "the server may have cut the transcript"
check fired on every answer. Every answer says how many prompt tokens the server counted; their ratio
to what enrich counted is learned per endpoint and remembered, so later requests are planned in the
server's tokens and a cut transcript is told from a thriftier tokenizer.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from enrich.model.capabilities import Capabilities

LEARN_MIN_TOKENS = 1000  # requests smaller than this say too little about the ratio
LOWEST_RATIO = 0.4  # below this the server did not count what was sent: it cut the prompt
HIGHEST_RATIO = 1.6
MARGIN = 1.1  # plan with a tenth more than learned: the ratio varies with the text's languages
TRUNCATED_BELOW = 0.6  # of the expected count: the server saw much less than was sent
TRUNCATION_MIN_TOKENS = 2000  # smaller prompts are not checked: a few hundred tokens apart say little


class TokenScale:
    """Server tokens per cl100k token for one endpoint, from the answers' usage, shared by a run's workers."""

    def __init__(self, endpoint: str, capabilities: Callable[[], Capabilities | None]) -> None:
        self.endpoint = endpoint
        self._capabilities = capabilities
        self._lock = threading.Lock()
        self._ratio: float | None = None
        self._loaded = False

    def ratio(self) -> float | None:
        """The learned ratio, or None while nothing is known (plan in cl100k tokens, as before)."""
        with self._lock:
            if not self._loaded:
                caps = self._capabilities()
                if caps is not None:
                    self._loaded = True
                    self._ratio = caps.token_ratio(self.endpoint)
            return self._ratio

    def to_local(self, server_tokens: int) -> int:
        """A budget in the server's tokens as cl100k tokens, with a margin; unchanged while nothing is known."""
        ratio = self.ratio()
        if ratio is None:
            return server_tokens
        return int(server_tokens / (ratio * MARGIN))

    def truncated(self, sent: int, told: int) -> bool:
        """Whether the server counted far fewer prompt tokens than were sent: it cut the prompt (Ollama's
        num_ctx), as opposed to counting with a thriftier tokenizer."""
        if not told or sent <= TRUNCATION_MIN_TOKENS:
            return False
        ratio = self.ratio()
        return told < sent * (ratio * TRUNCATED_BELOW if ratio is not None else LOWEST_RATIO)

    def observe(self, sent: int, told: int) -> None:
        """Learn from one answer: `sent` counted here (cl100k), `told` by the server."""
        if not told or sent < LEARN_MIN_TOKENS:
            return
        seen = told / sent
        if not LOWEST_RATIO <= seen <= HIGHEST_RATIO:
            return  # a cut prompt, or a count that is not about this prompt
        with self._lock:
            old = self._ratio
            self._ratio = seen if old is None else 0.7 * old + 0.3 * seen
            new = self._ratio
            self._loaded = True
        caps = self._capabilities()
        if caps is not None and (old is None or abs(new - old) > 0.02):
            caps.remember_token_ratio(self.endpoint, round(new, 3))
