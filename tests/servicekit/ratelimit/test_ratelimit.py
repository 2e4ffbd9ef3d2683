"""Rate limiting through FastAPI, against the in-process memory storage and a real Redis."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator

import httpx
import limits
import pytest
from fastapi import APIRouter, Depends, Header

from servicekit.app import create_app
from servicekit.ratelimit import RateLimiter, per_minute


@pytest.fixture(params=["memory", "redis"])
async def limiter(request: pytest.FixtureRequest) -> AsyncIterator[RateLimiter]:
    url = "memory://" if request.param == "memory" else request.getfixturevalue("redis_url")
    # A fresh namespace per test: Redis keeps counters across tests and runs.
    limiter = RateLimiter.from_url(url, namespace=f"test-{uuid.uuid4().hex}")
    yield limiter
    await limiter.aclose()


def client_header(x_client: str = Header("anonymous")) -> str:
    return f"client:{x_client}"


@pytest.fixture
async def client(limiter: RateLimiter) -> AsyncIterator[httpx.AsyncClient]:
    router = APIRouter()

    @router.get("/five", dependencies=[Depends(limiter.limit("5/minute"))])
    async def five() -> dict[str, bool]:
        return {"ok": True}

    @router.get("/other", dependencies=[Depends(limiter.limit("5/minute"))])
    async def other() -> dict[str, bool]:
        return {"ok": True}

    per_client = limiter.limit("2/minute", key=client_header)

    @router.get("/per-client", dependencies=[Depends(per_client)])
    async def by_client() -> dict[str, bool]:
        return {"ok": True}

    shared = limiter.limit("3/minute", group="shared")

    @router.get("/shared-a", dependencies=[Depends(shared)])
    async def shared_a() -> dict[str, bool]:
        return {"ok": True}

    @router.get("/shared-b", dependencies=[Depends(limiter.limit("3/minute", group="shared"))])
    async def shared_b() -> dict[str, bool]:
        return {"ok": True}

    @router.get("/burst", dependencies=[Depends(limiter.limit(*per_minute(60, burst=2)))])
    async def burst() -> dict[str, bool]:
        return {"ok": True}

    app = create_app(title="rl-test", version="0", routers=[router])
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


async def test_headers_are_present_and_remaining_decreases(client: httpx.AsyncClient) -> None:
    responses = [await client.get("/five") for _ in range(5)]

    assert [response.status_code for response in responses] == [200] * 5
    assert [r.headers["X-RateLimit-Limit"] for r in responses] == ["5"] * 5
    assert [int(r.headers["X-RateLimit-Remaining"]) for r in responses] == [4, 3, 2, 1, 0]
    reset = int(responses[0].headers["X-RateLimit-Reset"])
    assert time.time() < reset <= time.time() + 61


async def test_exceeding_the_limit_answers_429_with_retry_after(client: httpx.AsyncClient) -> None:
    for _ in range(5):
        assert (await client.get("/five")).status_code == 200

    refused = await client.get("/five")

    assert refused.status_code == 429
    retry_after = int(refused.headers["Retry-After"])
    assert 1 <= retry_after <= 60
    assert refused.headers["X-RateLimit-Remaining"] == "0"
    error = refused.json()["error"]
    assert error["code"] == "rate_limited"
    assert error["details"]["retry_after_seconds"] == retry_after
    assert error["details"]["limit"] == 5
    assert error["details"]["window_seconds"] == 60
    assert f"retry in {retry_after} s" in error["message"]


async def test_each_route_has_its_own_budget(client: httpx.AsyncClient) -> None:
    for _ in range(5):
        await client.get("/five")
    assert (await client.get("/five")).status_code == 429
    assert (await client.get("/other")).status_code == 200


async def test_separate_keys_have_separate_budgets(client: httpx.AsyncClient) -> None:
    alice, bob = {"X-Client": "alice"}, {"X-Client": "bob"}
    statuses = [(await client.get("/per-client", headers=alice)).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]

    response = await client.get("/per-client", headers=bob)
    assert response.status_code == 200
    assert response.headers["X-RateLimit-Remaining"] == "1"


async def test_routes_of_one_group_share_a_budget(client: httpx.AsyncClient) -> None:
    assert (await client.get("/shared-a")).status_code == 200
    assert (await client.get("/shared-b")).status_code == 200
    assert (await client.get("/shared-a")).status_code == 200
    assert (await client.get("/shared-b")).status_code == 429


async def test_burst_is_a_shorter_window_next_to_the_rate(client: httpx.AsyncClient) -> None:
    first = await client.get("/burst")
    assert first.headers["X-RateLimit-Limit"] == "2"  # the tightest limit is reported
    assert first.headers["X-RateLimit-Remaining"] == "1"
    await client.get("/burst")

    refused = await client.get("/burst")

    assert refused.status_code == 429
    assert refused.json()["error"]["details"]["window_seconds"] == 1
    assert refused.headers["Retry-After"] == "1"


async def test_hit_outside_http_counts_a_budget(limiter: RateLimiter) -> None:
    """E.g. login attempts per email address, checked inside the login use case."""
    items = [limits.parse("2/hour")]

    first = await limiter.hit(items, "login", "email:ada@example.com")
    second = await limiter.hit(items, "login", "email:ada@example.com")
    third = await limiter.hit(items, "login", "email:ada@example.com")

    assert (first.allowed, first.remaining) == (True, 1)
    assert (second.allowed, second.remaining) == (True, 0)
    assert not third.allowed
    assert 1 <= third.retry_after() <= 3600
    assert (await limiter.hit(items, "login", "email:bob@example.com")).allowed


def test_per_minute_with_and_without_burst() -> None:
    assert per_minute(60) == ["60/minute"]
    assert per_minute(60, burst=10) == ["10/second", "60/minute"]
    with pytest.raises(ValueError):
        per_minute(0)


def test_invalid_limit_string_fails_at_definition() -> None:
    limiter = RateLimiter.from_url(None, namespace="x")
    with pytest.raises(ValueError):
        limiter.limit("sixty a minute")
