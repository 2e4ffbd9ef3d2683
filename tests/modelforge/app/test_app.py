"""The app's edges: probes, root, docs, and the migration history on an empty database."""

from __future__ import annotations

from collections.abc import Callable

import httpx
from alembic import command
from sqlalchemy import create_engine, inspect, text

from modelforge.config import Settings
from modelforge.main import build_app
from modelforge.runtime import migrations
from servicekit.embedded import sync_url
from servicekit.testing.app import app_client


async def test_probes_root_and_docs(mf_client: httpx.AsyncClient) -> None:
    assert (await mf_client.get("/api/v1/live")).json() == {"status": "alive"}
    ready = await mf_client.get("/api/v1/ready")
    assert ready.status_code == 200 and ready.json() == {"status": "ready"}
    health = await mf_client.get("/api/v1/health")
    assert health.status_code == 200
    assert health.json()["status"] == "healthy"
    assert (health.json()["database"], health.json()["redis"]) == ("connected", "healthy")
    assert health.json()["celery"] == "no_workers"  # the broker answers; no worker is running
    root = (await mf_client.get("/")).json()
    assert root["name"] == "ModelForge" and root["docs"] == "/api/v1/docs"
    assert (await mf_client.get("/api/v1/docs")).status_code == 200
    schema = (await mf_client.get("/api/v1/openapi.json")).json()
    assert "/api/v1/models/{model_id}/upload" in schema["paths"]
    assert (await mf_client.get("/metrics")).status_code == 200


async def test_database_down_means_not_ready(mf_settings: Settings) -> None:
    async with app_client(build_app(mf_settings)) as client:
        forge = client._transport.app.state.modelforge  # type: ignore[attr-defined]
        await forge.db.engine.dispose()
        # Point the pool at a port nothing listens on: the database is gone.
        from sqlalchemy.ext.asyncio import create_async_engine

        forge.db.engine = create_async_engine(
            "postgresql+asyncpg://nobody@127.0.0.1:9/none", connect_args={"timeout": 1}
        )
        ready = await client.get("/api/v1/ready")
        assert ready.status_code == 503 and ready.json()["status"] == "not_ready"
        health = await client.get("/api/v1/health")
        assert health.status_code == 503 and health.json()["status"] == "unhealthy"
        assert (await client.get("/api/v1/live")).status_code == 200


def test_migrations_upgrade_from_empty_and_downgrade(make_database: Callable[[str], str]) -> None:
    url = make_database("modelforge")
    settings = Settings(_env_file=None, database_url=url)
    runner = migrations(settings)
    runner.upgrade()
    command.check(runner.config())  # raises if the tables in models.py drifted from the history
    engine = create_engine(sync_url(url))
    try:
        with engine.connect() as conn:
            tables = set(inspect(conn).get_table_names())
            assert {
                "users",
                "api_tokens",
                "ml_models",
                "model_aliases",
                "predictions",
                "jobs",
            } <= tables
            statuses = (
                conn.execute(text("SELECT unnest(enum_range(NULL::model_status))::text"))
                .scalars()
                .all()
            )
            assert statuses == ["pending", "uploaded", "validating", "ready", "error", "archived"]
        runner.downgrade("base")
        with engine.connect() as conn:
            assert set(inspect(conn).get_table_names()) <= {"alembic_version"}
            leftover = conn.execute(
                text("SELECT count(*) FROM pg_type WHERE typname = 'model_status'")
            )
            assert leftover.scalar() == 0
        runner.upgrade()
        assert runner.is_current()
    finally:
        engine.dispose()
