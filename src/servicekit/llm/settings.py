"""Settings of the LLM client: provider keys and endpoints, timeouts, retries, the local model.

Keys are read only from the server's environment (or ``.env``), never from a caller: a request can
pick a model, not a credential. Every field maps to the env var of the same name in upper case
(``openai_api_key`` <- ``OPENAI_API_KEY``).
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr

from servicekit.config import ServiceSettings


class LLMSettings(ServiceSettings):
    """What the LLM client needs; services may subclass it or pass their own values."""

    openai_api_key: SecretStr | None = None
    openai_base_url: str = "https://api.openai.com/v1"
    mistral_api_key: SecretStr | None = None
    mistral_base_url: str = "https://api.mistral.ai/v1"
    deepseek_api_key: SecretStr | None = None
    deepseek_base_url: str = "https://api.deepseek.com"
    gemini_api_key: SecretStr | None = None
    gemini_base_url: str = "https://generativelanguage.googleapis.com/v1beta/openai/"
    grok_api_key: SecretStr | None = None
    grok_base_url: str = "https://api.x.ai/v1"
    anthropic_api_key: SecretStr | None = None
    anthropic_base_url: str = "https://api.anthropic.com"

    # Self-hosted OpenAI-compatible servers: a base URL is what configures them; a key is optional
    # (vLLM and llama.cpp accept ``--api-key``, Ollama has none).
    ollama_base_url: str = "http://localhost:11434/v1"
    vllm_base_url: str | None = None
    vllm_api_key: SecretStr | None = None
    llamacpp_base_url: str | None = None
    llamacpp_api_key: SecretStr | None = None

    # The in-process model. No path means the packaged Gemma 3 270M GGUF.
    local_llm_model_path: Path | None = None
    local_llm_threads: int | None = Field(default=None, ge=1)
    local_llm_context: int = Field(default=2048, ge=256)

    llm_timeout_seconds: float = Field(default=60.0, gt=0)
    llm_max_retries: int = Field(default=3, ge=0)
    # Price corrections in USD per million (input, output) tokens, as JSON:
    # LLM_PRICES='{"openai/gpt-6-sol": [2.0, 8.0], "mistral": [1.0, 3.0]}'
    llm_prices: dict[str, tuple[float, float]] = Field(default_factory=dict)
