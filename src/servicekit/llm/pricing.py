"""Estimated cost of a call, from list prices in USD per million tokens.

Prices are the providers' published list prices (as of 2025); they are estimates for budgets and
dashboards, not invoices. Operators add or correct prices without a release through
``LLM_PRICES`` (see ``LLMSettings.llm_prices``), which wins over the table. A model found in neither
costs its provider's default (the flagship's price, so that an unknown model is over- rather than
under-estimated). Self-hosted and in-process providers cost nothing per token.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from servicekit.llm.types import ModelRef, Usage


@dataclass(frozen=True, slots=True)
class Price:
    """USD per million prompt (input) and completion (output) tokens."""

    input_per_mtok: float
    output_per_mtok: float


FREE = Price(0.0, 0.0)

FREE_PROVIDERS: frozenset[str] = frozenset({"local", "ollama", "vllm", "llamacpp", "scripted"})

# Keys are model-name prefixes: a dated snapshot such as "claude-sonnet-4-20250514" or
# "gpt-4o-mini-2024-07-18" takes the price of the longest matching prefix.
MODEL_PRICES: dict[str, dict[str, Price]] = {
    "openai": {
        "gpt-5": Price(1.25, 10.0),
        "gpt-5-mini": Price(0.25, 2.0),
        "gpt-5-nano": Price(0.05, 0.40),
        "gpt-4.1": Price(2.0, 8.0),
        "gpt-4.1-mini": Price(0.40, 1.60),
        "gpt-4.1-nano": Price(0.10, 0.40),
        "gpt-4o": Price(2.50, 10.0),
        "gpt-4o-mini": Price(0.15, 0.60),
        "o3": Price(2.0, 8.0),
        "o3-mini": Price(1.10, 4.40),
        "o4-mini": Price(1.10, 4.40),
    },
    "anthropic": {
        "claude-opus-4": Price(15.0, 75.0),
        "claude-opus-4-5": Price(5.0, 25.0),
        "claude-sonnet-4": Price(3.0, 15.0),
        "claude-haiku-4-5": Price(1.0, 5.0),
        "claude-3-7-sonnet": Price(3.0, 15.0),
        "claude-3-5-sonnet": Price(3.0, 15.0),
        "claude-3-5-haiku": Price(0.80, 4.0),
        "claude-3-haiku": Price(0.25, 1.25),
    },
    "mistral": {
        "mistral-large": Price(2.0, 6.0),
        "mistral-medium": Price(0.40, 2.0),
        "mistral-small": Price(0.10, 0.30),
        "codestral": Price(0.30, 0.90),
        "open-mistral-nemo": Price(0.15, 0.15),
    },
    "deepseek": {
        "deepseek-chat": Price(0.27, 1.10),
        "deepseek-reasoner": Price(0.55, 2.19),
    },
    "gemini": {
        "gemini-2.5-pro": Price(1.25, 10.0),
        "gemini-2.5-flash": Price(0.30, 2.50),
        "gemini-2.5-flash-lite": Price(0.10, 0.40),
        "gemini-2.0-flash": Price(0.10, 0.40),
    },
    "grok": {
        "grok-4": Price(3.0, 15.0),
        "grok-3": Price(3.0, 15.0),
        "grok-3-mini": Price(0.30, 0.50),
    },
}

PROVIDER_DEFAULT_PRICES: dict[str, Price] = {
    "openai": MODEL_PRICES["openai"]["gpt-4o"],
    "anthropic": MODEL_PRICES["anthropic"]["claude-sonnet-4"],
    "mistral": MODEL_PRICES["mistral"]["mistral-large"],
    "deepseek": MODEL_PRICES["deepseek"]["deepseek-reasoner"],
    "gemini": MODEL_PRICES["gemini"]["gemini-2.5-pro"],
    "grok": MODEL_PRICES["grok"]["grok-4"],
}


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
