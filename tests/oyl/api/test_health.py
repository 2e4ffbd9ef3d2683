"""Liveness, readiness, docs, and the configuration the guide promises."""

from __future__ import annotations

from pathlib import Path

import httpx

from oyl.config import Settings
from oyl.main import build_app
from servicekit.testing.app import app_client


async def test_health_is_the_guides_shape(client: httpx.AsyncClient) -> None:
    response = await client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "version": "0.1.0"}


async def test_ready_checks_every_dependency(client: httpx.AsyncClient) -> None:
    response = await client.get("/ready")
    assert response.status_code == 200, response.text
    assert response.json()["checks"] == {"database": "ok", "redis": "ok", "chroma": "ok"}


async def test_docs_and_openapi_are_served(client: httpx.AsyncClient) -> None:
    assert (await client.get("/docs")).status_code == 200
    assert (await client.get("/redoc")).status_code == 200
    paths = (await client.get("/openapi.json")).json()["paths"]
    assert "/api/v1/teammates/{teammate_id}/query" in paths
    assert "/api/v1/knowledge-bases/{kb_id}/documents" in paths


async def test_ready_names_the_failing_dependency(oyl_settings: Settings, tmp_path: Path) -> None:
    # A Chroma server that is not there: the database and Redis are fine, Chroma is named.
    settings = oyl_settings.model_copy(update={"chroma_host": "127.0.0.1", "chroma_port": 9})
    async with app_client(build_app(settings)) as http:
        response = await http.get("/ready")
    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == ["chroma"]
    assert body["checks"]["database"] == "ok"


def test_guide_defaults_and_unknown_env_keys(tmp_path: Path, monkeypatch) -> None:
    for name in ("CHROMA_HOST", "DATABASE_URL", "REDIS_URL", "SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)
    env_file = tmp_path / ".env"
    env_file.write_text("LOG_LEVEL=INFO\nSOMETHING_UNKNOWN=1\nRATE_LIMIT_BURST=7\n")
    settings = Settings(_env_file=env_file)
    assert settings.app_name == "Oyl RAG Platform"
    assert settings.app_version == "0.1.0"
    assert settings.debug is False
    assert settings.algorithm == "HS256"
    assert settings.access_token_expire_minutes == 60
    assert settings.rate_limit_requests_per_minute == 60
    assert settings.rate_limit_burst == 7
    assert settings.chroma_host is None  # embedded Chroma in the data directory
    assert settings.chroma_port == 8000
