"""The retriever's per-process cache of question vectors: a repeated question is not embedded
again, the answer is the same, and the cache never crosses tenants."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from typing import Any

import pytest

from oyl.config import Settings
from oyl.retrieval.schemas import SearchMode
from oyl.retrieval.service import Retriever
from oyl.runtime import Oyl, open_oyl
from servicekit.embeddings import Embedder, Vectors
from servicekit.testing.jobs import WorkerProcess


class CountingEmbedder(Embedder):
    """The real encoder, counting the texts it is asked to embed."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.model_name = inner.model_name
        self.dimension = inner.dimension
        self.texts: list[str] = []

    async def embed(self, texts: Sequence[str]) -> Vectors:
        self.texts += texts
        return await self.inner.embed(texts)

    def embed_sync(self, texts: Sequence[str]) -> Vectors:
        self.texts += texts
        return self.inner.embed_sync(texts)


@pytest.fixture(scope="module")
async def oyl(oyl_settings: Settings) -> AsyncIterator[Oyl]:
    """A second Oyl on the test database and data directory, to reach its retriever."""
    async with open_oyl(oyl_settings) as running:
        yield running


async def shelf(api: Any) -> tuple[uuid.UUID, uuid.UUID]:
    tenant = await api.tenant("cache")
    tree = await api.tree(tenant)
    notes = await api.ingested(
        tenant.owner, tree.kb, "garden.md", b"Tomatoes need six hours of sun and weekly watering."
    )
    assert notes["status"] == "ready"
    return uuid.UUID(tenant.id), uuid.UUID(tree.kb)


async def test_a_repeated_question_is_embedded_once_per_tenant(
    api: Any, oyl: Oyl, worker: WorkerProcess
) -> None:
    (tenant, kb), (other_tenant, other_kb) = await shelf(api), await shelf(api)
    embedder = CountingEmbedder(oyl.embedder)
    retriever = Retriever(oyl.db, oyl.vectors, embedder, default_top_k=5, default_min_score=0.2)
    question = "How much sun do tomatoes need?"

    first = await retriever.search(tenant, question, [kb])
    again = await retriever.search(tenant, question, [kb])
    assert embedder.texts == [question]
    assert [hit.chunk_id for hit in first.hits] == [hit.chunk_id for hit in again.hits]
    assert first.hits and first.hits[0].document_name == "garden.md"
    assert again.hits[0].similarity == first.hits[0].similarity

    # Every mode uses the cached vector (lexical too: its hits are thresholded by similarity).
    for mode in SearchMode:
        await retriever.search(tenant, question, [kb], mode=mode)
    assert embedder.texts == [question]

    # Another tenant's identical question is its own entry.
    other = await retriever.search(other_tenant, question, [other_kb])
    assert embedder.texts == [question, question]
    assert {hit.knowledge_base_id for hit in other.hits} == {other_kb}

    # A different question is embedded.
    await retriever.search(tenant, "weekly watering", [kb])
    assert embedder.texts == [question, question, "weekly watering"]
