"""Choosing an embedder from configuration values."""

from __future__ import annotations

import structlog
from pydantic import SecretStr

from servicekit.embeddings import ollama, openai_compat
from servicekit.embeddings.base import Embedder
from servicekit.embeddings.local import local_embedder
from servicekit.embeddings.local_model import DIMENSION, MODEL_NAME, Precision
from servicekit.embeddings.ollama import OllamaEmbedder
from servicekit.embeddings.openai_compat import OpenAICompatibleEmbedder
from servicekit.embeddings.settings import EmbeddingProvider, EmbeddingSettings

log = structlog.get_logger(__name__)

# Names under which users may ask for the local model explicitly.
_LOCAL_MODEL_NAMES = {MODEL_NAME, f"sentence-transformers/{MODEL_NAME}"}


def create_embedder(
    provider: EmbeddingProvider | str | None = None,
    *,
    model: str | None = None,
    dimensions: int | None = None,
    base_url: str | None = None,
    api_key: str | SecretStr | None = None,
    threads: int = 0,
    precision: Precision | str = Precision.fp32,
    timeout: float = 60.0,
) -> Embedder:
    """Build the embedder these values describe.

    ``provider=None`` means: OpenAI-compatible when ``api_key`` or ``base_url`` is given, else the
    local encoder. In that fallback ``model`` and ``dimensions`` (which then name a remote model,
    such as a service's ``text-embedding-3-small`` default) are ignored and the local model's 384
    dimensions apply; ask with ``provider="local"`` to have a mismatch rejected instead.
    ``threads`` and ``precision`` apply to the local encoder only. The local encoder is shared
    per process; remote embedders are new objects the caller closes.
    """
    key = api_key.get_secret_value() if isinstance(api_key, SecretStr) else api_key
    if provider is None:
        chosen = EmbeddingProvider.openai if key or base_url else EmbeddingProvider.local
        remote_model = model is not None and model not in _LOCAL_MODEL_NAMES
        remote_width = dimensions is not None and dimensions != DIMENSION
        if chosen is EmbeddingProvider.local and (remote_model or remote_width):
            log.info(
                "embeddings.local_fallback",
                reason="no API key or base URL",
                ignored_model=model,
                ignored_dimensions=dimensions,
                model=MODEL_NAME,
                dimensions=DIMENSION,
            )
            model = dimensions = None
    else:
        chosen = EmbeddingProvider(provider)

    if chosen is EmbeddingProvider.local:
        if model is not None and model not in _LOCAL_MODEL_NAMES:
            raise ValueError(f"the local provider only serves {MODEL_NAME}, not {model!r}")
        if dimensions is not None and dimensions != DIMENSION:
            raise ValueError(f"{MODEL_NAME} vectors have {DIMENSION} dimensions, not {dimensions}")
        return local_embedder(threads=threads, precision=precision)
    if chosen is EmbeddingProvider.openai:
        return OpenAICompatibleEmbedder(
            model or openai_compat.DEFAULT_MODEL,
            api_key=key,
            base_url=base_url,
            dimensions=dimensions,
            timeout=timeout,
        )
    return OllamaEmbedder(
        model or ollama.DEFAULT_MODEL,
        base_url=base_url or ollama.DEFAULT_BASE_URL,
        dimensions=dimensions,
        timeout=timeout,
    )


def embedder_from_settings(settings: EmbeddingSettings) -> Embedder:
    """:func:`create_embedder` with the ``EMBEDDING_*`` / ``OPENAI_API_KEY`` settings."""
    return create_embedder(
        settings.embedding_provider,
        model=settings.embedding_model,
        dimensions=settings.embedding_dimensions,
        base_url=settings.embedding_base_url,
        api_key=settings.openai_api_key,
        threads=settings.embedding_threads,
        precision=settings.embedding_precision,
        timeout=settings.embedding_timeout,
    )
