"""Which format a model is asked to answer in: constrained JSON or TOML text.

Providers that can constrain decoding to a JSON schema get JSON: the reply then has the right shape
by construction. The in-process model could too (a llama.cpp grammar), but grammar decoding of the
270M model runs at ~14 tokens/s against ~80 unconstrained, so it writes TOML text that is parsed
leniently instead; scripted test models answer whatever their script says, so TOML as well.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from servicekit.llm import ModelRef

StructuredOutput = Literal["auto", "json", "toml"]


class OutputMode(StrEnum):
    JSON = "json"
    TOML = "toml"


CONSTRAINED_JSON_PROVIDERS = frozenset(
    {
        "openai",
        "anthropic",
        "gemini",
        "grok",
        "mistral",
        "deepseek",
        "vllm",
        "llamacpp",
        "ollama",
    }
)


def output_mode_for(model: str, setting: StructuredOutput = "auto") -> OutputMode:
    """The mode for ``model`` (``provider/name``): the setting, or in ``auto`` the provider's."""
    if setting != "auto":
        return OutputMode(setting)
    provider = ModelRef.parse(model).provider
    return OutputMode.JSON if provider in CONSTRAINED_JSON_PROVIDERS else OutputMode.TOML
