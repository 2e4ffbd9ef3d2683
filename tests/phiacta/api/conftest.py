"""Phiacta on a real PostgreSQL with pgvector, one database per test module.

Tests in a module share the database, so each works in namespaces of its own (``fresh_ns``).
The bootstrap admin is created the way ``suite phiacta create-agent`` does it.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from phiacta.agents.schemas import AgentCreate
from phiacta.agents.service import create_agent
from phiacta.config import Settings
from phiacta.main import build_app
from phiacta.runtime import Phiacta
from servicekit.testing.app import app_client

Headers = dict[str, str]


@pytest.fixture(scope="module")
def settings_overrides() -> dict[str, Any]:
    """Settings a test module changes (override this fixture in the module)."""
    return {}


@pytest.fixture(scope="module")
def phiacta_settings(
    make_database: Callable[[str], str], settings_overrides: dict[str, Any]
) -> Settings:
    return Settings(
        _env_file=None,
        database_url=make_database("phiacta"),
        environment="development",
        api_key_salt="test-pepper",
        log_level="warning",
        **settings_overrides,
    )


@pytest.fixture(scope="module")
async def phiacta_app(
    phiacta_settings: Settings,
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    app = build_app(phiacta_settings)
    async with app_client(app) as client:
        yield app, client


@pytest.fixture(scope="module")
def client(phiacta_app: tuple[FastAPI, httpx.AsyncClient]) -> httpx.AsyncClient:
    return phiacta_app[1]


@pytest.fixture(scope="module")
def runtime(phiacta_app: tuple[FastAPI, httpx.AsyncClient]) -> Phiacta:
    return phiacta_app[0].state.phiacta


def bearer(key: str) -> Headers:
    return {"Authorization": f"Bearer {key}"}


KeyFor = Callable[..., Awaitable[Headers]]


@pytest.fixture(scope="module")
def key_for() -> KeyFor:
    """Factory: the bearer headers of a new agent of ``runtime`` holding ``scopes``, made the
    way ``suite phiacta create-agent`` makes one (for tests that build their own app)."""

    async def make(
        runtime: Phiacta, scopes: Iterable[str], name: str = "agent", agent_type: str = "ai"
    ) -> Headers:
        async with runtime.db.session() as session:
            created = await create_agent(
                session,
                runtime.api_keys,
                AgentCreate(name=name, agent_type=agent_type, scopes=list(scopes)),  # type: ignore[arg-type]
                None,
            )
        assert created.key is not None
        return bearer(created.key.api_key)

    return make


@pytest.fixture(scope="module")
async def admin(runtime: Phiacta, key_for: KeyFor) -> Headers:
    return await key_for(runtime, ["admin"], "bootstrap admin", "human")


MakeAgent = Callable[..., Awaitable[tuple[str, Headers]]]


@pytest.fixture(scope="module")
def make_agent(client: httpx.AsyncClient, admin: Headers) -> MakeAgent:
    async def make(scopes: Iterable[str], name: str = "agent") -> tuple[str, Headers]:
        response = await client.post(
            "/v1/agents",
            json={"name": name, "agent_type": "ai", "scopes": list(scopes)},
            headers=admin,
        )
        assert response.status_code == 201, response.text
        body = response.json()
        return body["agent"]["id"], bearer(body["key"]["api_key"])

    return make


@pytest.fixture(scope="module")
async def writer(make_agent: MakeAgent) -> Headers:
    """An agent that reads and writes claims."""
    _, headers = await make_agent(["claims:read", "claims:write", "search:read"], "writer")
    return headers


@pytest.fixture
async def fresh_ns(client: httpx.AsyncClient, admin: Headers) -> str:
    name = f"ns{uuid.uuid4().hex[:10]}"
    response = await client.post("/v1/namespaces", json={"name": name}, headers=admin)
    assert response.status_code == 201, response.text
    return name


MakeClaim = Callable[..., Awaitable[dict[str, Any]]]


@pytest.fixture(scope="module")
def make_claim(client: httpx.AsyncClient, admin: Headers) -> MakeClaim:
    async def make(
        namespace: str, content: str = "A claim", headers: Headers | None = None, **fields: Any
    ) -> dict[str, Any]:
        body = {"content": content, "claim_type": "assertion", "namespace": namespace, **fields}
        response = await client.post("/v1/claims", json=body, headers=headers or admin)
        assert response.status_code == 201, response.text
        return response.json()

    return make
