"""The Ollama client against a local server speaking Ollama's /api/embed protocol."""

from __future__ import annotations

from collections.abc import AsyncIterator

import numpy as np
import pytest

from servicekit.embeddings import EmbeddingError, LocalOnnxEmbedder, OllamaEmbedder
from servicekit.testing.embeddings import EmbeddingsServer

TEXTS = ["A man is playing a guitar.", "The stock market fell sharply on Tuesday."]


@pytest.fixture
async def client(embeddings_server: EmbeddingsServer) -> AsyncIterator[OllamaEmbedder]:
    embedder = OllamaEmbedder("all-minilm", base_url=embeddings_server.url)
    embeddings_server.requests.clear()
    yield embedder
    await embedder.aclose()


async def test_returns_the_servers_vectors(
    client: OllamaEmbedder, local_text_embedder: LocalOnnxEmbedder
) -> None:
    assert (client.model_name, client.dimension) == ("all-minilm", 384)
    vectors = await client.embed(TEXTS)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(vectors, local_text_embedder.embed_sync(TEXTS), atol=1e-6)
    np.testing.assert_array_equal(client.embed_sync(TEXTS), vectors)


async def test_asks_ollama_to_truncate_long_inputs(
    client: OllamaEmbedder, embeddings_server: EmbeddingsServer
) -> None:
    await client.embed(TEXTS)
    assert embeddings_server.requests == [{"model": "all-minilm", "input": TEXTS, "truncate": True}]


async def test_dimensions_and_keep_alive_are_sent(embeddings_server: EmbeddingsServer) -> None:
    embedder = OllamaEmbedder(
        "all-minilm",
        base_url=embeddings_server.url + "/",
        dimensions=128,
        keep_alive="10m",
    )
    embeddings_server.requests.clear()
    vectors = await embedder.embed(TEXTS)
    await embedder.aclose()
    assert embeddings_server.requests[0]["dimensions"] == 128
    assert embeddings_server.requests[0]["keep_alive"] == "10m"
    assert vectors.shape == (2, 128)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


async def test_large_inputs_are_split_into_requests(embeddings_server: EmbeddingsServer) -> None:
    embedder = OllamaEmbedder("all-minilm", base_url=embeddings_server.url, batch_size=3)
    embeddings_server.requests.clear()
    texts = [f"text {i}" for i in range(7)]
    vectors = await embedder.embed(texts)
    await embedder.aclose()
    assert [len(r["input"]) for r in embeddings_server.requests] == [3, 3, 1]
    assert vectors.shape == (7, 384)


async def test_empty_list_makes_no_request(
    client: OllamaEmbedder, embeddings_server: EmbeddingsServer
) -> None:
    assert (await client.embed([])).shape == (0, 384)
    assert embeddings_server.requests == []


async def test_ollamas_error_message_is_passed_on(embeddings_server: EmbeddingsServer) -> None:
    embedder = OllamaEmbedder("llama-missing", base_url=embeddings_server.url, dimensions=384)
    with pytest.raises(EmbeddingError, match=r"404.*try pulling it first"):
        await embedder.embed(TEXTS)
    with pytest.raises(EmbeddingError, match=r"404.*try pulling it first"):
        embedder.embed_sync(TEXTS)
    await embedder.aclose()


async def test_unreachable_server_is_an_embedding_error() -> None:
    embedder = OllamaEmbedder("all-minilm", base_url="http://127.0.0.1:9")
    with pytest.raises(EmbeddingError, match="unreachable"):
        await embedder.embed(TEXTS)
    await embedder.aclose()


def test_tagged_known_models_need_no_dimensions() -> None:
    assert OllamaEmbedder("nomic-embed-text:v1.5").dimension == 768


def test_unknown_model_needs_dimensions() -> None:
    with pytest.raises(ValueError, match="EMBEDDING_DIMENSIONS"):
        OllamaEmbedder("my-embedder")
