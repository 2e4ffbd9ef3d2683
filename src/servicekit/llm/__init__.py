"""One client interface over every LLM the suite can use.

    async with LLMClient(LLMSettings()) as llm:
        result = await llm.complete(
            [{"role": "user", "content": "Name a colour."}], model="openai/gpt-4o-mini"
        )
        result.text, result.usage, result.latency_s, result.cost_usd

        async with llm.stream(messages, model="anthropic/claude-sonnet-4-6") as stream:
            async for delta in stream:
                ...
        stream.completion.usage

Models are ``provider/model_name``: OpenAI-compatible endpoints (``openai``, ``mistral``,
``deepseek``, ``gemini``, ``grok``, ``ollama``, ``vllm``, ``llamacpp``), ``anthropic``, the
in-process ``local`` model, and ``scripted`` replies for tests.
"""

from servicekit.llm.client import PROVIDERS, LLMClient, configured_providers
from servicekit.llm.errors import (
    LLMError,
    LLMQuotaExhausted,
    LLMRateLimited,
    LLMRequestRejected,
    LLMResponseError,
    LLMTimeout,
    LLMUnavailable,
    ProviderNotConfigured,
    UnknownModel,
)
from servicekit.llm.pricing import Price, estimate_cost, price_of
from servicekit.llm.providers.scripted import (
    BreaksOff,
    ScriptedModel,
    install_script,
    remove_script,
    scripted_model,
)
from servicekit.llm.settings import LLMSettings
from servicekit.llm.streaming import LLMStream, StrippedDeltas
from servicekit.llm.types import Completion, Message, ModelRef, Usage

__all__ = [
    "PROVIDERS",
    "BreaksOff",
    "Completion",
    "LLMClient",
    "LLMError",
    "LLMQuotaExhausted",
    "LLMRateLimited",
    "LLMRequestRejected",
    "LLMResponseError",
    "LLMSettings",
    "LLMStream",
    "LLMTimeout",
    "LLMUnavailable",
    "Message",
    "ModelRef",
    "Price",
    "ProviderNotConfigured",
    "ScriptedModel",
    "StrippedDeltas",
    "UnknownModel",
    "Usage",
    "configured_providers",
    "estimate_cost",
    "install_script",
    "price_of",
    "remove_script",
    "scripted_model",
]
