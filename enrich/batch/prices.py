"""What tokens cost, and the `--max-cost` budget a run spends against."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from enrich.errors import ConfigError

if TYPE_CHECKING:
    from enrich.draft.drafter import Drafter

# USD per million tokens (input, output): OpenAI list prices as of 2025. A site overrides or adds
# models in config: [prices] "my-model" = { input = 0.5, output = 1.5 }.
DEFAULT_PRICES: dict[str, tuple[float, float]] = {
    "gpt-4.1": (2.00, 8.00),
    "gpt-4.1-mini": (0.40, 1.60),
    "gpt-4.1-nano": (0.10, 0.40),
    "gpt-4o": (2.50, 10.00),
    "gpt-4o-mini": (0.15, 0.60),
    "gpt-5": (1.25, 10.00),
    "gpt-5-mini": (0.25, 2.00),
    "gpt-5-nano": (0.05, 0.40),
    "o3": (2.00, 8.00),
    "o4-mini": (1.10, 4.40),
}


@dataclass(frozen=True)
class Price:
    """USD per million tokens."""

    input: float
    output: float

    def cost(self, tokens_in: int, tokens_out: int) -> float:
        return (tokens_in * self.input + tokens_out * self.output) / 1_000_000


def price_table(overrides: Any = None) -> dict[str, Price]:
    """The default price table with the site's `[prices]` table on top."""
    table = {name: Price(*pair) for name, pair in DEFAULT_PRICES.items()}
    if overrides is None:
        return table
    if not isinstance(overrides, dict):
        raise ConfigError("[prices] must be a table of model = { input = USD, output = USD } per million tokens")
    for model, spec in overrides.items():
        try:
            if isinstance(spec, dict):
                table[str(model)] = Price(float(spec["input"]), float(spec["output"]))
            else:
                pin, pout = spec
                table[str(model)] = Price(float(pin), float(pout))
        except (KeyError, TypeError, ValueError):
            raise ConfigError(
                f"[prices] {model}: expected {{ input = USD, output = USD }} per million tokens, got {spec!r}"
            ) from None
    return table


def price_for(model: str | None, table: dict[str, Price]) -> Price | None:
    """The price of a model: exact name, else the longest known prefix (dated snapshots), else None."""
    if not model:
        return None
    name = model.split("/")[-1]
    if name in table:
        return table[name]
    for known in sorted(table, key=len, reverse=True):
        if name.startswith(known + "-"):
            return table[known]
    return None


class Budget:
    """The run's model, its price, and the money spent and set aside for requests in flight.

    Files reserve their estimated cost before they are sent, so `--max-cost` holds even with many
    requests on the wire at once; the actual cost replaces the estimate when the answer comes.
    """

    def __init__(self, model: str, prices: dict[str, Price], max_cost: float | None = None) -> None:
        self.model = model
        self.prices = prices
        self.price = price_for(model, prices)
        self.max_cost = max_cost
        self.spent = 0.0
        self._reserved = 0.0
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)

    @classmethod
    def for_drafter(cls, drafter: Drafter, max_cost: float | None = None) -> Budget:
        model = drafter.backend.label
        prices = price_table(drafter.settings.prices)
        if not drafter.backend.paid:
            prices[model] = Price(0.0, 0.0)
        return cls(model, prices, max_cost)

    @property
    def limited(self) -> bool:
        """A --max-cost is set and the model has a price: every file must reserve before it is sent."""
        return self.max_cost is not None and self.price is not None

    def cost(self, model: str | None, tokens_in: int, tokens_out: int) -> float | None:
        """What these tokens cost on `model` (None: no price known)."""
        price = price_for(model, self.prices)
        return None if price is None else price.cost(tokens_in, tokens_out)

    def reserve(self, estimate: float, *, wait: bool = False) -> str | None:
        """Set `estimate` aside for a file about to be sent; the reason to stop instead when it would pass --max-cost.

        `wait`: while other files are in flight, a file that does not fit waits for them (their actual
        cost usually comes in under its estimate), and is refused only once nothing more can be released.
        """
        with self._changed:
            while self.max_cost is not None and self.spent + self._reserved + estimate > self.max_cost:
                if self._reserved <= 0 or not wait:
                    return (
                        f"--max-cost ${self.max_cost:.2f} reached: spent ${self.spent:.4f}, "
                        f"${max(self._reserved, 0.0):.4f} reserved for files in flight; "
                        f"the next file would cost about ${estimate:.4f}"
                    )
                self._changed.wait(timeout=1.0)
            self._reserved += estimate
            return None

    @property
    def reserved(self) -> float:
        with self._lock:
            return self._reserved

    def release(self, estimate: float) -> None:
        with self._changed:
            self._reserved -= estimate
            self._changed.notify_all()

    def spend(self, cost: float | None) -> None:
        with self._changed:
            self.spent += cost or 0.0
            self._changed.notify_all()
