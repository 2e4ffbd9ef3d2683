"""Per-key, per-budget rate limits with X-RateLimit-* headers and 429 RATE_LIMITED."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from phiacta.agents.schemas import AgentCreate
from phiacta.agents.service import create_agent
from phiacta.budgets import budget_for
from phiacta.config import Settings
from phiacta.main import build_app
from servicekit.testing.app import app_client


def test_budgets() -> None:
    assert budget_for("GET", "/v1/claims") == "reads"
    assert budget_for("POST", "/v1/query/search") == "queries"
    assert budget_for("POST", "/v1/bundles") == "bundles"
    assert budget_for("PATCH", "/v1/claims/x") == "writes"
    assert budget_for("POST", "/v1/ingest") == "ingest"
    assert budget_for("POST", "/v1/ingest/next") == "writes"


@pytest.mark.parametrize("redis", [False, True])
async def test_each_key_has_its_own_budget(
    make_database: Callable[[str], str], redis_url: str, redis: bool
) -> None:
    settings = Settings(
        _env_file=None,
        database_url=make_database("phiacta"),
        environment="development",
        api_key_salt="pepper",
        rate_limit_reads="3/minute",
        redis_url=redis_url if redis else None,
    )
    app = build_app(settings)
    async with app_client(app) as client:
        runtime = app.state.phiacta
        keys = []
        for name in ("one", "two"):
            async with runtime.db.session() as session:
                created = await create_agent(
                    session, runtime.api_keys,
                    AgentCreate(name=name, agent_type="ai", scopes=["claims:read"]), None,
                )  # fmt: skip
            assert created.key is not None
            keys.append({"Authorization": f"Bearer {created.key.api_key}"})
        first = await client.get("/v1/claims", headers=keys[0])
        assert first.headers["X-RateLimit-Limit"] == "3"
        assert first.headers["X-RateLimit-Remaining"] == "2"
        for _ in range(2):
            assert (await client.get("/v1/claims", headers=keys[0])).status_code == 200
        refused = await client.get("/v1/claims", headers=keys[0])
        assert refused.status_code == 429
        assert int(refused.headers["Retry-After"]) >= 1
        error = refused.json()["error"]
        assert error["code"] == "RATE_LIMITED"
        assert error["details"]["limit"] == 3 and error["details"]["window_seconds"] == 60
        assert (await client.get("/v1/claims", headers=keys[1])).status_code == 200
        assert (await client.get("/health")).status_code == 200  # never limited
