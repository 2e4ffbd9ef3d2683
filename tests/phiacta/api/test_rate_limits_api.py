"""Per-key, per-budget rate limits with X-RateLimit-* headers and 429 RATE_LIMITED."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from phiacta.budgets import budget_for, tier_limits
from phiacta.config import Settings
from phiacta.main import build_app
from servicekit.testing.app import app_client

KeyFor = Callable[..., Awaitable[dict[str, str]]]


def test_budgets() -> None:
    assert budget_for("GET", "/v1/claims") == "reads"
    assert budget_for("POST", "/v1/query/search") == "queries"
    assert budget_for("POST", "/v1/bundles") == "bundles"
    assert budget_for("PATCH", "/v1/claims/x") == "writes"
    assert budget_for("POST", "/v1/ingest") == "ingest"
    assert budget_for("POST", "/v1/ingest/next") == "writes"


def test_tiers_scale_every_window() -> None:
    windows = ["10/second", "60/minute"]
    assert tier_limits(windows, "standard", "reads") == ["10 per 1 second", "60 per 1 minute"]
    assert tier_limits(windows, "elevated", "reads") == ["50 per 1 second", "300 per 1 minute"]
    assert tier_limits(windows, "unlimited", "queries") is None
    assert tier_limits(windows, "unlimited", "bundles") == ["100 per 1 second", "600 per 1 minute"]


def _settings(make_database: Callable[[str], str], **overrides: Any) -> Settings:
    return Settings(
        _env_file=None,
        database_url=make_database("phiacta"),
        environment="development",
        api_key_salt="pepper",
        rate_limit_reads="3/minute",
        **overrides,
    )


@pytest.mark.parametrize("redis", [False, True])
async def test_each_key_has_its_own_budget(
    make_database: Callable[[str], str], redis_url: str, redis: bool, key_for: KeyFor
) -> None:
    app = build_app(_settings(make_database, redis_url=redis_url if redis else None))
    async with app_client(app) as client:
        runtime = app.state.phiacta
        keys = [await key_for(runtime, ["claims:read"], name) for name in ("one", "two")]
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


async def test_rate_tiers_scale_a_keys_budgets(
    make_database: Callable[[str], str], key_for: KeyFor
) -> None:
    app = build_app(_settings(make_database))
    async with app_client(app) as client:
        admin = await key_for(app.state.phiacta, ["admin"], "root", "human")
        made = await client.post(
            "/v1/agents",
            json={"name": "bulk", "agent_type": "pipeline", "scopes": ["claims:read"],
                  "rate_tier": "elevated"},
            headers=admin,
        )  # fmt: skip
        assert made.status_code == 201, made.text
        assert made.json()["key"]["rate_tier"] == "elevated"
        agent_id = made.json()["agent"]["id"]
        elevated = {"Authorization": f"Bearer {made.json()['key']['api_key']}"}
        first = await client.get("/v1/claims", headers=elevated)
        assert first.headers["X-RateLimit-Limit"] == "15"  # five times the configured 3

        unlimited = await client.post(
            f"/v1/agents/{agent_id}/keys",
            json={"scopes": ["claims:read"], "rate_tier": "unlimited"},
            headers=admin,
        )
        key = {"Authorization": f"Bearer {unlimited.json()['api_key']}"}
        for _ in range(20):
            response = await client.get("/v1/claims", headers=key)
            assert response.status_code == 200
            assert "X-RateLimit-Limit" not in response.headers  # reads are not limited

        # Only an admin grants a tier above standard, even for the agent's own keys.
        own = await client.post(
            f"/v1/agents/{agent_id}/keys",
            json={"scopes": ["claims:read"], "rate_tier": "unlimited"},
            headers=elevated,
        )
        assert own.status_code == 403
