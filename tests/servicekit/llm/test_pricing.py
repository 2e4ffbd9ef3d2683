"""Cost estimates: worked examples of the price table's rules."""

from __future__ import annotations

import pytest

from servicekit.llm import ModelRef, Price, Usage, estimate_cost, price_of


def cost(model: str, prompt: int, completion: int) -> float:
    return estimate_cost(ModelRef.parse(model), Usage(prompt, completion))


def test_a_known_model_costs_its_list_price():
    # gpt-4o-mini: $0.15 in, $0.60 out per million tokens.
    assert cost("openai/gpt-4o-mini", 1_000, 500) == pytest.approx(0.00015 + 0.0003)


def test_a_dated_snapshot_takes_the_longest_matching_prefix():
    assert price_of(ModelRef.parse("openai/gpt-4o-mini-2024-07-18")) == price_of(
        ModelRef.parse("openai/gpt-4o-mini")
    )
    assert cost("anthropic/claude-sonnet-4-20250514", 1_000_000, 1_000_000) == pytest.approx(18.0)
    assert cost("gemini/gemini-2.5-flash-lite", 1_000_000, 0) == pytest.approx(0.10)


def test_an_unknown_model_of_a_paid_provider_gets_the_provider_default():
    assert price_of(ModelRef.parse("openai/gpt-9-preview")) == price_of(
        ModelRef.parse("openai/gpt-4o")
    )
    assert cost("mistral/some-new-model", 1_000_000, 0) > 0


@pytest.mark.parametrize(
    "model", ["local/gemma3-270m", "ollama/llama3.2", "vllm/qwen", "llamacpp/x", "scripted/x"]
)
def test_self_hosted_and_scripted_models_are_free(model):
    assert cost(model, 10_000, 10_000) == 0.0


def test_a_model_name_may_contain_slashes():
    ref = ModelRef.parse("vllm/meta-llama/Llama-3.1-8B-Instruct")
    assert (ref.provider, ref.name) == ("vllm", "meta-llama/Llama-3.1-8B-Instruct")


def test_operators_overrides_win_over_the_table():
    overrides = {"openai/gpt-4o": Price(1.0, 1.0), "mistral": Price(7.0, 7.0)}

    assert price_of(ModelRef.parse("openai/gpt-4o-2024-11-20"), overrides) == Price(1.0, 1.0)
    assert price_of(ModelRef.parse("openai/gpt-4o-mini"), overrides) == Price(1.0, 1.0)
    assert price_of(ModelRef.parse("mistral/brand-new"), overrides) == Price(7.0, 7.0)
    # A provider-wide override is only a default: table entries still apply.
    assert price_of(ModelRef.parse("mistral/mistral-small"), overrides) == Price(0.10, 0.30)
