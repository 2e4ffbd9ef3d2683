"""Choosing the provider from explicit values and from EMBEDDING_* settings."""

from __future__ import annotations

import pytest

from servicekit.embeddings import (
    EmbeddingError,
    EmbeddingProvider,
    EmbeddingSettings,
    LocalOnnxEmbedder,
    OllamaEmbedder,
    OpenAICompatibleEmbedder,
    create_embedder,
    embedder_from_settings,
)
from servicekit.testing.embeddings import EmbeddingsServer


def test_without_key_or_url_the_local_encoder_is_used(
    local_text_embedder: LocalOnnxEmbedder,
) -> None:
    # A service configured for OpenAI (model and width) but given no key falls back offline.
    embedder = create_embedder(model="text-embedding-3-small", dimensions=1536)
    assert embedder is local_text_embedder
    assert embedder.dimension == 384


async def test_a_key_selects_openai() -> None:
    embedder = create_embedder(
        model="text-embedding-3-small",
        dimensions=512,
        api_key="sk-x",
    )
    assert isinstance(embedder, OpenAICompatibleEmbedder)
    assert (embedder.model_name, embedder.dimension) == ("text-embedding-3-small", 512)
    await embedder.aclose()


async def test_a_base_url_alone_selects_an_openai_compatible_server(
    embeddings_server: EmbeddingsServer,
) -> None:
    embedder = create_embedder(
        model="all-MiniLM-L6-v2", dimensions=384, base_url=embeddings_server.openai_base_url
    )
    assert isinstance(embedder, OpenAICompatibleEmbedder)
    # The request reaches that server, which wants a key this configuration does not have.
    with pytest.raises(EmbeddingError, match="Incorrect API key"):
        await embedder.embed(["hello"])
    await embedder.aclose()


async def test_ollama_defaults() -> None:
    embedder = create_embedder("ollama")
    assert isinstance(embedder, OllamaEmbedder)
    assert (embedder.model_name, embedder.dimension) == ("nomic-embed-text", 768)
    await embedder.aclose()


def test_explicit_local_rejects_another_model(local_text_embedder: LocalOnnxEmbedder) -> None:
    assert create_embedder("local", model="sentence-transformers/all-MiniLM-L6-v2") is (
        local_text_embedder
    )
    with pytest.raises(ValueError, match="only serves all-MiniLM-L6-v2"):
        create_embedder("local", model="text-embedding-3-small")
    with pytest.raises(ValueError, match="384 dimensions"):
        create_embedder(EmbeddingProvider.local, dimensions=1536)


def test_unknown_provider_is_rejected() -> None:
    with pytest.raises(ValueError, match="'cohere' is not a valid EmbeddingProvider"):
        create_embedder("cohere")


async def test_settings_from_environment(
    monkeypatch: pytest.MonkeyPatch, embeddings_server: EmbeddingsServer
) -> None:
    monkeypatch.setenv("EMBEDDING_PROVIDER", "ollama")
    monkeypatch.setenv("EMBEDDING_MODEL", "all-minilm")
    monkeypatch.setenv("EMBEDDING_BASE_URL", embeddings_server.url)
    monkeypatch.setenv("EMBEDDING_TIMEOUT", "5")
    embedder = embedder_from_settings(EmbeddingSettings())
    assert isinstance(embedder, OllamaEmbedder)
    assert (await embedder.embed(["hello"])).shape == (1, 384)
    await embedder.aclose()


async def test_settings_with_an_openai_key(
    monkeypatch: pytest.MonkeyPatch, embeddings_server: EmbeddingsServer
) -> None:
    monkeypatch.delenv("EMBEDDING_PROVIDER", raising=False)
    monkeypatch.setenv("OPENAI_API_KEY", embeddings_server.api_key)
    monkeypatch.setenv("EMBEDDING_BASE_URL", embeddings_server.openai_base_url)
    monkeypatch.setenv("EMBEDDING_MODEL", "text-embedding-3-small")
    monkeypatch.setenv("EMBEDDING_DIMENSIONS", "64")
    settings = EmbeddingSettings()
    assert settings.openai_api_key is not None
    assert embeddings_server.api_key not in repr(settings)
    embedder = embedder_from_settings(settings)
    assert (await embedder.embed(["hello"])).shape == (1, 64)
    await embedder.aclose()


def test_blank_variables_mean_unset(
    monkeypatch: pytest.MonkeyPatch, local_text_embedder: LocalOnnxEmbedder
) -> None:
    for name in ("EMBEDDING_PROVIDER", "EMBEDDING_MODEL", "EMBEDDING_DIMENSIONS", "OPENAI_API_KEY"):
        monkeypatch.setenv(name, "")
    monkeypatch.setenv("EMBEDDING_BASE_URL", " ")
    settings = EmbeddingSettings()
    assert settings.embedding_provider is None
    assert settings.embedding_dimensions is None
    assert embedder_from_settings(settings) is local_text_embedder
