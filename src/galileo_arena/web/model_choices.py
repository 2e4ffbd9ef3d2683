"""The models the run form offers: only providers configured on this server, with known names.

A provider counts when the kit says it is usable now (its key or base URL is set, the local model
is installed, a test installed a script). Names come from the kit's price table (the models the
suite knows), the scripts installed, or the one local model; self-hosted servers (Ollama, vLLM,
llama.cpp) serve whatever they were started with, so their names are typed in.
"""

from __future__ import annotations

from dataclasses import dataclass

from servicekit.llm import LLMSettings, configured_providers
from servicekit.llm.pricing import MODEL_PRICES
from servicekit.llm.providers.scripted import installed_scripts

# The in-process provider runs its one GGUF whatever the name; this is the name the docs use.
LOCAL_MODEL_NAME = "gemma3-270m"


@dataclass(frozen=True, slots=True)
class ProviderChoice:
    provider: str
    model_keys: tuple[str, ...]
    """``provider/model_name`` for each suggested model; empty when names are typed in."""


def model_choices(settings: LLMSettings) -> list[ProviderChoice]:
    choices = []
    for provider in configured_providers(settings):
        if provider == "scripted":
            names: list[str] = installed_scripts()
        elif provider == "local":
            names = [LOCAL_MODEL_NAME]
        else:
            names = sorted(MODEL_PRICES.get(provider, {}))
        choices.append(ProviderChoice(provider, tuple(f"{provider}/{name}" for name in names)))
    return choices
