"""The environment variables that choose and configure an embedding provider."""

from __future__ import annotations

from enum import StrEnum

from pydantic import SecretStr, field_validator

from servicekit.config import ServiceSettings
from servicekit.embeddings.local_model import Precision


class EmbeddingProvider(StrEnum):
    local = "local"
    openai = "openai"
    ollama = "ollama"


class EmbeddingSettings(ServiceSettings):
    """``EMBEDDING_*`` and ``OPENAI_API_KEY``.

    With no ``EMBEDDING_PROVIDER``, the provider is OpenAI-compatible when a key or a base URL is
    configured and the local encoder otherwise, so a bare install embeds offline.
    Services whose guide names these variables differently pass their own values to
    :func:`servicekit.embeddings.create_embedder` instead.
    """

    embedding_provider: EmbeddingProvider | None = None
    embedding_model: str | None = None
    embedding_dimensions: int | None = None
    embedding_base_url: str | None = None
    openai_api_key: SecretStr | None = None
    # onnxruntime intra-op threads of the local encoder; 0 = one per physical core.
    embedding_threads: int = 0
    # The local encoder's arithmetic: fp32 (the model as trained) or int8 (about twice as fast,
    # vectors at cosine ~0.99 of fp32 ones). Remote providers ignore it.
    embedding_precision: Precision = Precision.fp32
    embedding_timeout: float = 60.0

    @field_validator(
        "embedding_provider",
        "embedding_model",
        "embedding_dimensions",
        "embedding_base_url",
        "openai_api_key",
        mode="before",
    )
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        # Compose files often pass `VAR=${VAR:-}`: an empty value means "not configured".
        return None if isinstance(value, str) and not value.strip() else value
