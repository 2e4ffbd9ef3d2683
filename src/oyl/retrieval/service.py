"""Hybrid retrieval: dense (Chroma) and lexical (PostgreSQL full text) fused by reciprocal rank.

Both lists are searched inside the caller's tenant and the given knowledge bases. A candidate
counts only if its cosine similarity to the question reaches the threshold (lexical hits the dense
search did not return get theirs from their stored vectors), so "nothing relevant" is a real
answer rather than the five least bad chunks.

One query's latency is its slowest path, not their sum: the question is embedded (or found in
this process's cache of recent questions) and sent to Chroma while PostgreSQL checks the
knowledge bases and runs the full-text search.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Sequence

from oyl.retrieval.fusion import reciprocal_rank_fusion
from oyl.retrieval.repository import RetrievalRepository
from oyl.retrieval.schemas import Filters, Hit, RetrievalResult, SearchMode
from oyl.vectors import ChromaVectors, VectorHit
from servicekit.db import Database
from servicekit.embeddings import Embedder, EmbeddingError, Vectors
from servicekit.errors import Conflict, ServiceUnavailable
from servicekit.ttl_cache import TtlCache

# Each list brings this many times top_k candidates (at least MIN_CANDIDATES) to the fusion.
CANDIDATE_FACTOR = 4
MIN_CANDIDATES = 20
# Recent questions' vectors, per process and per tenant (caches never cross tenants). A vector
# depends only on the text and the model, so entries never go stale; the TTL only bounds memory
# together with the size (4096 x 384 floats: 6 MB).
QUERY_CACHE_ENTRIES = 4096
QUERY_CACHE_TTL_S = 3600.0


class Retriever:
    def __init__(
        self,
        db: Database,
        vectors: ChromaVectors,
        embedder: Embedder,
        *,
        default_top_k: int,
        default_min_score: float,
    ) -> None:
        self.db = db
        self.vectors = vectors
        self.embedder = embedder
        self.default_top_k = default_top_k
        self.default_min_score = default_min_score
        self._query_vectors: TtlCache[tuple[uuid.UUID, str], Vectors] = TtlCache(
            QUERY_CACHE_TTL_S, max_entries=QUERY_CACHE_ENTRIES
        )

    async def search(
        self,
        tenant_id: uuid.UUID,
        query: str,
        kb_ids: Sequence[uuid.UUID],
        *,
        top_k: int | None = None,
        min_score: float | None = None,
        mode: SearchMode = SearchMode.hybrid,
        filters: Filters | None = None,
    ) -> RetrievalResult:
        started = time.perf_counter()
        top_k = top_k or self.default_top_k
        threshold = self.default_min_score if min_score is None else min_score
        filters = filters or Filters()
        hits: list[Hit] = []
        if kb_ids:
            hits = await self._search(tenant_id, query, kb_ids, top_k, threshold, mode, filters)
        return RetrievalResult(
            query=query,
            mode=mode,
            min_score=threshold,
            hits=hits,
            took_ms=round((time.perf_counter() - started) * 1000, 2),
        )

    def _check_models(self, models: dict[uuid.UUID, tuple[str, str]]) -> None:
        stale = sorted(name for name, model in models.values() if model != self.embedder.model_name)
        if stale:
            raise Conflict(
                f"Knowledge base {', '.join(stale)} was embedded with another model than this "
                f"server's {self.embedder.model_name}: configure the same EMBEDDING_* everywhere",
                code="embedding_model_mismatch",
            )

    async def _query_vector(self, tenant_id: uuid.UUID, query: str) -> Vectors:
        key = (tenant_id, query)
        vector = self._query_vectors.get(key)
        if vector is None:
            try:
                vector = (await self.embedder.embed([query]))[0]
            except EmbeddingError as exc:
                raise ServiceUnavailable(
                    f"The embedding provider is unavailable: {exc}", code="embeddings_unavailable"
                ) from exc
            self._query_vectors.put(key, vector)
        return vector

    async def _dense(
        self,
        tenant_id: uuid.UUID,
        query: str,
        kb_ids: Sequence[uuid.UUID],
        filters: Filters,
        limit: int,
        *,
        needed: bool,
    ) -> tuple[Vectors, list[VectorHit]]:
        """The question's vector, and Chroma's nearest chunks when the mode uses them."""
        vector = await self._query_vector(tenant_id, query)
        if not needed:
            return vector, []
        hits = await asyncio.to_thread(
            self.vectors.query,
            tenant_id,
            vector,
            knowledge_base_ids=kb_ids,
            document_ids=filters.document_ids,
            limit=limit,
        )
        return vector, hits

    async def _search(
        self,
        tenant_id: uuid.UUID,
        query: str,
        kb_ids: Sequence[uuid.UUID],
        top_k: int,
        threshold: float,
        mode: SearchMode,
        filters: Filters,
    ) -> list[Hit]:
        candidates = max(top_k * CANDIDATE_FACTOR, MIN_CANDIDATES)
        dense_task = asyncio.create_task(
            self._dense(
                tenant_id, query, kb_ids, filters, candidates, needed=mode is not SearchMode.lexical
            )
        )
        try:
            async with self.db.session() as session:
                repo = RetrievalRepository(session, tenant_id)
                self._check_models(await repo.embedding_models(kb_ids))
                lexical = (
                    await repo.lexical(query, kb_ids, filters, candidates)
                    if mode is not SearchMode.dense
                    else []
                )
                vector, dense_hits = await dense_task
                similarity = {hit.chunk_id: hit.similarity for hit in dense_hits}
                rows = await repo.chunks([*similarity, *lexical], kb_ids, filters)
        finally:
            if not dense_task.done():  # a failure on the PostgreSQL side: do not leave it behind
                dense_task.cancel()
        missing: dict[uuid.UUID, list[uuid.UUID]] = {}
        for chunk_id in lexical:
            if chunk_id not in similarity and chunk_id in rows:
                missing.setdefault(rows[chunk_id].knowledge_base_id, []).append(chunk_id)
        if missing:
            similarity.update(
                await asyncio.to_thread(self.vectors.similarities, tenant_id, vector, missing)
            )

        def passes(chunk_id: uuid.UUID) -> bool:
            return chunk_id in rows and similarity.get(chunk_id, -1.0) >= threshold

        dense = [hit.chunk_id for hit in dense_hits if passes(hit.chunk_id)]
        lexical = [chunk_id for chunk_id in lexical if passes(chunk_id)]
        rankings = {"dense": dense, "lexical": lexical}
        fused = reciprocal_rank_fusion({k: v for k, v in rankings.items() if v})[:top_k]
        hits = []
        for position, item in enumerate(fused, start=1):
            row = rows[item.key]
            single = mode is not SearchMode.hybrid
            hits.append(
                Hit(
                    rank=position,
                    chunk_id=row.id,
                    document_id=row.document_id,
                    document_name=row.document_name,
                    knowledge_base_id=row.knowledge_base_id,
                    page=row.page,
                    section=row.section,
                    text=row.text,
                    score=round(similarity[item.key] if single else item.score, 6),
                    similarity=round(similarity[item.key], 6),
                    dense_rank=item.ranks.get("dense"),
                    lexical_rank=item.ranks.get("lexical"),
                )
            )
        return hits
