"""/health is liveness only; /ready needs the database and the schema at head."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx
import pytest

from phiacta.config import Settings
from phiacta.main import build_app
from phiacta.migrations_runner import PhiactaMigrations
from phiacta.runtime import EmbeddingDimensionMismatch, open_phiacta
from servicekit.testing.app import app_client

KeyFor = Callable[..., Awaitable[dict[str, str]]]


async def test_health_and_ready(client: httpx.AsyncClient) -> None:
    health = await client.get("/health")
    assert health.status_code == 200 and health.json() == {"status": "healthy"}
    ready = await client.get("/ready")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "checks": {"database": "ok", "migrations": "ok"}}


async def test_openapi_title_and_operation_ids(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    assert spec["info"]["title"] == "Phiacta Knowledge Backend"
    assert spec["paths"]["/v1/claims"]["get"]["operationId"] == "list_claims"


async def test_production_does_not_migrate_and_is_not_ready_until_migrated(
    make_database: Callable[[str], str], key_for: KeyFor
) -> None:
    settings = Settings(
        _env_file=None, database_url=make_database("phiacta"), api_key_salt="pepper"
    )
    assert settings.environment == "production"
    app = build_app(settings)
    async with app_client(app) as client:
        ready = await client.get("/ready")
        assert ready.status_code == 503
        body = ready.json()
        assert body["status"] == "not_ready"
        assert body["checks"]["database"] == "ok"
        assert body["checks"]["migrations"]["current"] is None
        await app.state.phiacta.migrations.upgrade_async()
        assert (await client.get("/ready")).status_code == 200
        # Connections opened before the vector type existed can store vectors now.
        writer = await key_for(app.state.phiacta, ["bundles:write"], "writer")
        bundle = {
            "idempotency_key": "after-migrate",
            "namespace": "late",
            "create_namespace": True,
            "claims": [{"temp_id": "a", "content": "Ice floats on water", "claim_type": "fact"}],
        }
        stored = await client.post("/v1/bundles", json=bundle, headers=writer)
        assert stored.status_code == 201, stored.text


async def test_an_embedding_width_mismatch_stops_start_up(
    make_database: Callable[[str], str],
) -> None:
    url = make_database("phiacta")
    PhiactaMigrations(url, embedding_dimensions=1536).upgrade()
    settings = Settings(_env_file=None, database_url=url, environment="development")
    with pytest.raises(EmbeddingDimensionMismatch, match=r"384-dimensional .* vector\(1536\)"):
        async with open_phiacta(settings):
            pass
