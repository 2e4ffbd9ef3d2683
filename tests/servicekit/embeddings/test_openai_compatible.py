"""The OpenAI-compatible client against a local server speaking OpenAI's embeddings protocol."""

from __future__ import annotations

from collections.abc import AsyncIterator

import numpy as np
import pytest

from servicekit.embeddings import EmbeddingError, LocalOnnxEmbedder, OpenAICompatibleEmbedder
from servicekit.testing.embeddings import EmbeddingsServer

TEXTS = ["A man is playing a guitar.", "Someone is playing an acoustic guitar on stage.", "ok"]


@pytest.fixture
async def client(embeddings_server: EmbeddingsServer) -> AsyncIterator[OpenAICompatibleEmbedder]:
    embedder = OpenAICompatibleEmbedder(
        "all-MiniLM-L6-v2",
        api_key=embeddings_server.api_key,
        base_url=embeddings_server.openai_base_url,
        dimensions=384,
    )
    embeddings_server.requests.clear()
    yield embedder
    await embedder.aclose()


async def test_returns_the_servers_vectors(
    client: OpenAICompatibleEmbedder, local_text_embedder: LocalOnnxEmbedder
) -> None:
    vectors = await client.embed(TEXTS)
    assert vectors.dtype == np.float32
    assert (client.model_name, client.dimension) == ("all-MiniLM-L6-v2", 384)
    np.testing.assert_allclose(vectors, local_text_embedder.embed_sync(TEXTS), atol=1e-6)


async def test_sync_and_async_agree(client: OpenAICompatibleEmbedder) -> None:
    np.testing.assert_array_equal(client.embed_sync(TEXTS), await client.embed(TEXTS))


async def test_large_inputs_are_split_into_ordered_requests(
    embeddings_server: EmbeddingsServer, local_text_embedder: LocalOnnxEmbedder
) -> None:
    embedder = OpenAICompatibleEmbedder(
        "all-MiniLM-L6-v2",
        api_key=embeddings_server.api_key,
        base_url=embeddings_server.openai_base_url,
        dimensions=384,
        batch_size=2,
    )
    embeddings_server.requests.clear()
    texts = [f"sentence number {i}" for i in range(5)]
    vectors = await embedder.embed(texts)
    await embedder.aclose()
    assert [r["input"] for r in embeddings_server.requests] == [texts[0:2], texts[2:4], texts[4:]]
    np.testing.assert_allclose(vectors, local_text_embedder.embed_sync(texts), atol=1e-6)


async def test_empty_list_makes_no_request(
    client: OpenAICompatibleEmbedder, embeddings_server: EmbeddingsServer
) -> None:
    assert (await client.embed([])).shape == (0, 384)
    assert client.embed_sync([]).shape == (0, 384)
    assert embeddings_server.requests == []


async def test_text_embedding_3_is_asked_for_shorter_vectors(
    embeddings_server: EmbeddingsServer, local_text_embedder: LocalOnnxEmbedder
) -> None:
    embedder = OpenAICompatibleEmbedder(
        "text-embedding-3-small",
        api_key=embeddings_server.api_key,
        base_url=embeddings_server.openai_base_url,
        dimensions=256,
    )
    embeddings_server.requests.clear()
    vectors = await embedder.embed(TEXTS)
    await embedder.aclose()
    assert embeddings_server.requests[0]["dimensions"] == 256
    assert vectors.shape == (3, 256)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    full = local_text_embedder.embed_sync(TEXTS)[:, :256]
    np.testing.assert_allclose(
        vectors, full / np.linalg.norm(full, axis=1, keepdims=True), atol=1e-6
    )


async def test_other_models_are_not_sent_dimensions(
    client: OpenAICompatibleEmbedder, embeddings_server: EmbeddingsServer
) -> None:
    await client.embed(TEXTS)
    assert "dimensions" not in embeddings_server.requests[0]


async def test_a_width_other_than_configured_is_an_error(
    embeddings_server: EmbeddingsServer,
) -> None:
    # text-embedding-3-small is 1536 wide; this server's vectors are 384 wide.
    embedder = OpenAICompatibleEmbedder(
        "text-embedding-3-small",
        api_key=embeddings_server.api_key,
        base_url=embeddings_server.openai_base_url,
    )
    with pytest.raises(EmbeddingError, match="width 1536"):
        await embedder.embed(TEXTS)
    await embedder.aclose()


async def test_wrong_key_is_reported(embeddings_server: EmbeddingsServer) -> None:
    embedder = OpenAICompatibleEmbedder(
        "all-MiniLM-L6-v2",
        api_key="sk-wrong",
        base_url=embeddings_server.openai_base_url,
        dimensions=384,
    )
    with pytest.raises(EmbeddingError, match="Incorrect API key"):
        await embedder.embed(TEXTS)
    with pytest.raises(EmbeddingError, match="Incorrect API key"):
        embedder.embed_sync(TEXTS)
    await embedder.aclose()


async def test_unknown_model_is_reported(embeddings_server: EmbeddingsServer) -> None:
    embedder = OpenAICompatibleEmbedder(
        "no-such-model",
        api_key=embeddings_server.api_key,
        base_url=embeddings_server.openai_base_url,
        dimensions=384,
    )
    with pytest.raises(EmbeddingError, match="does not exist"):
        await embedder.embed(TEXTS)
    await embedder.aclose()


async def test_unreachable_server_is_an_embedding_error() -> None:
    embedder = OpenAICompatibleEmbedder(
        "all-MiniLM-L6-v2", base_url="http://127.0.0.1:9/v1", dimensions=384, max_retries=0
    )
    with pytest.raises(EmbeddingError, match=r"127\.0\.0\.1:9"):
        await embedder.embed(TEXTS)
    await embedder.aclose()


def test_configuration_mistakes_fail_at_construction() -> None:
    with pytest.raises(ValueError, match="EMBEDDING_DIMENSIONS"):
        OpenAICompatibleEmbedder("some-local-model", base_url="http://127.0.0.1:9/v1")
    with pytest.raises(ValueError, match="only returns 1536"):
        OpenAICompatibleEmbedder("text-embedding-ada-002", api_key="sk-x", dimensions=512)
    with pytest.raises(ValueError, match="OPENAI_API_KEY"):
        OpenAICompatibleEmbedder("text-embedding-3-small")
