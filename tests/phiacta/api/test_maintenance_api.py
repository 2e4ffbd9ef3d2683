"""Upkeep: re-embedding, expiry of pending references and of stored bundle answers."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import text

from phiacta.maintenance.service import expire, reembed

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
