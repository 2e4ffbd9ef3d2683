"""Choosing JSON or TOML per provider."""

from __future__ import annotations

import pytest

from galileo_arena.debate.output_mode import OutputMode, output_mode_for
from servicekit.llm import UnknownModel


@pytest.mark.parametrize(
    "model",
    [
        "openai/gpt-4o",
        "anthropic/claude-sonnet-4-20250514",
        "gemini/gemini-2.0-flash",
        "grok/grok-2",
        "mistral/mistral-large-latest",
        "deepseek/deepseek-chat",
        "vllm/qwen",
        "llamacpp/gemma",
        "ollama/llama3",
    ],
)
def test_auto_uses_constrained_json_where_the_provider_offers_it(model: str):
    assert output_mode_for(model) is OutputMode.JSON


@pytest.mark.parametrize("model", ["local/gemma3-270m", "scripted/debater"])
def test_auto_uses_toml_for_the_local_model_and_scripts(model: str):
    assert output_mode_for(model, "auto") is OutputMode.TOML


def test_an_explicit_setting_wins():
    assert output_mode_for("openai/gpt-4o", "toml") is OutputMode.TOML
    assert output_mode_for("local/gemma3-270m", "json") is OutputMode.JSON


def test_a_malformed_model_id_is_rejected():
    with pytest.raises(UnknownModel):
        output_mode_for("gpt-4o")
