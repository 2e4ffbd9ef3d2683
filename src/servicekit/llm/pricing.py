"""Estimated cost of a call, from list prices in USD per million tokens.

The prices are the providers' published list prices (as of 2025), kept as data in
``prices.toml``: estimates for budgets and dashboards, not invoices. Operators add or correct
prices without a release through ``LLM_PRICES`` (see ``LLMSettings.llm_prices``), which wins over
the table. A model found in neither costs its provider's default (the flagship's price, so that
an unknown model is over- rather than under-estimated). Self-hosted and in-process providers cost
nothing per token.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources

from servicekit.llm.types import ModelRef, Usage


@dataclass(frozen=True, slots=True)
class Price:
    """USD per million prompt (input) and completion (output) tokens."""

    input_per_mtok: float
    output_per_mtok: float


FREE = Price(0.0, 0.0)


def _load_table() -> tuple[frozenset[str], dict[str, dict[str, Price]], dict[str, Price]]:
    data = tomllib.loads(resources.files(__package__).joinpath("prices.toml").read_text("utf-8"))
    models = {
        provider: {name: Price(*pair) for name, pair in table.items()}
        for provider, table in data["models"].items()
    }
    defaults = {provider: Price(*pair) for provider, pair in data["provider_defaults"].items()}
    return frozenset(data["free_providers"]), models, defaults


# The one price table of the suite, kept as data in ``prices.toml`` beside this module.
FREE_PROVIDERS, MODEL_PRICES, PROVIDER_DEFAULT_PRICES = _load_table()


def price_of(model: ModelRef, overrides: Mapping[str, Price] | None = None) -> Price:
    """The price of ``model``: its longest matching prefix, else its provider's default.

    ``overrides`` maps ``"provider/model-prefix"`` (or a bare ``"provider"``, for its default)
    to a price and is searched first.
    """
    if model.provider in FREE_PROVIDERS:
        return FREE
    name = model.name.lower()
    if overrides:
        own = {
            key.partition("/")[2].lower(): price
            for key, price in overrides.items()
            if key.partition("/")[0].lower() == model.provider and "/" in key
        }
        if (found := _longest_prefix(own, name)) is not None:
            return found
    if (found := _longest_prefix(MODEL_PRICES.get(model.provider, {}), name)) is not None:
        return found
    if overrides and model.provider in overrides:
        return overrides[model.provider]
    return PROVIDER_DEFAULT_PRICES.get(model.provider, FREE)


def _longest_prefix(table: Mapping[str, Price], name: str) -> Price | None:
    matches = [prefix for prefix in table if name == prefix or name.startswith(prefix + "-")]
    return table[max(matches, key=len)] if matches else None


def estimate_cost(
    model: ModelRef, usage: Usage, overrides: Mapping[str, Price] | None = None
) -> float:
    """USD for ``usage`` tokens of ``model`` at list price (or at its override)."""
    price = price_of(model, overrides)
    return (
        usage.prompt_tokens * price.input_per_mtok + usage.completion_tokens * price.output_per_mtok
    ) / 1_000_000
