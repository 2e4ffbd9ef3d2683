"""Upkeep: re-embedding, expiry of pending references and of stored bundle answers."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import text

from phiacta.maintenance.service import expire, reembed
from phiacta.vectors import repository as vector_repository
from phiacta.vectors.sizing import target_lists

Headers = dict[str, str]
Factory = Callable[..., Awaitable[Any]]


async def test_claims_without_a_current_vector_are_embedded(
    runtime: Any, fresh_ns: str, make_claim: Factory
) -> None:
    claim = await make_claim(fresh_ns, "Glass is an amorphous solid")
    async with runtime.db.session() as session:
        await session.execute(
            text("UPDATE claims SET embedding = NULL, embedding_model = NULL WHERE id = :id"),
            {"id": claim["id"]},
        )
    assert await reembed(runtime.db, runtime.embedder) >= 1
    async with runtime.db.session() as session:
        model = await session.scalar(
            text("SELECT embedding_model FROM claims WHERE id = :id AND embedding IS NOT NULL"),
            {"id": claim["id"]},
        )
    assert model == "all-MiniLM-L6-v2"
    assert await reembed(runtime.db, runtime.embedder) == 0


async def test_re_embedding_most_claims_relearns_the_vector_lists(
    runtime: Any, fresh_ns: str, make_claim: Factory
) -> None:
    for number in range(8):
        await make_claim(fresh_ns, f"Sample {number} was weighed twice")
    async with runtime.db.session() as session:  # a model change: every vector is outdated
        await session.execute(text("UPDATE claims SET embedding_model = 'an-older-model'"))
        vectors = await session.scalar(text("SELECT count(embedding) FROM claims"))
    assert await reembed(runtime.db, runtime.embedder) == vectors
    rebuilt = await runtime.vectors.vectors_rewritten(vectors)
    assert rebuilt is not None
    assert (rebuilt.vectors, rebuilt.lists_after) == (vectors, target_lists(vectors))
    # A few claims embedded late (the provider was down) leave the lists as they are.
    assert await runtime.vectors.vectors_rewritten(1) is None
    assert await runtime.vectors.vectors_rewritten(0) is None


async def test_claims_without_a_vector_do_not_count_for_the_lists(
    runtime: Any, fresh_ns: str, make_claim: Factory
) -> None:
    claim = await make_claim(fresh_ns, "Quartz is a crystal")
    async with runtime.db.session() as session:
        await session.execute(
            text(
                "INSERT INTO claims (lineage_id, claim_type, content, namespace_id, created_by) "
                "SELECT gen_random_uuid(), 'assertion', 'no vector ' || n, namespace_id, "
                "created_by FROM claims, generate_series(1, 300) AS n WHERE id = :id"
            ),
            {"id": claim["id"]},
        )
    async with runtime.db.engine.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text("ANALYZE claims"))
        vectors = await vector_repository.counted_vectors(conn)
        claims = await conn.scalar(text("SELECT count(*) FROM claims"))
        estimated = await vector_repository.estimated_vectors(conn)
    assert claims >= vectors + 300
    assert abs(estimated - vectors) <= 1
    await reembed(runtime.db, runtime.embedder)  # leave every claim with a vector again


async def test_old_references_and_answers_expire(
    client: httpx.AsyncClient, admin: Headers, runtime: Any, fresh_ns: str
) -> None:
    bundle = {
        "idempotency_key": uuid.uuid4().hex,
        "namespace": fresh_ns,
        "claims": [{"temp_id": "a", "content": "cites a lost paper", "claim_type": "assertion"}],
        "edges": [{"source_temp_id": "a", "target_external_ref": f"doi:10.9/{uuid.uuid4().hex}",
                   "edge_type": "supports"}],
    }  # fmt: skip
    first = await client.post("/v1/bundles", json=bundle, headers=admin)
    assert first.status_code == 201
    later = datetime.now(UTC) + timedelta(days=8)
    expired = await expire(runtime.db, later, pending_ttl=timedelta(days=7))
    assert expired.pending_references >= 1 and expired.bundle_responses >= 1
    replay = await client.post("/v1/bundles", json=bundle, headers=admin)
    assert replay.status_code == 409
    assert "expired" in replay.json()["error"]["message"]
