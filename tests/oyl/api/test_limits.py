"""Per-tenant rate limits (Redis, 429 with Retry-After), quotas and usage accounting."""

from __future__ import annotations

from typing import Any

import httpx

from oyl.config import Settings
from oyl.main import build_app
from servicekit.testing.app import app_client
from servicekit.testing.jobs import WorkerProcess

V1 = "/api/v1"


async def test_rate_limit_is_per_tenant(oyl_settings: Settings, api: Any) -> None:
    busy, calm = await api.tenant(), await api.tenant()
    # Both windows at 3, so that the outcome does not depend on how fast this machine is.
    strict = oyl_settings.model_copy(
        update={"rate_limit_requests_per_minute": 3, "rate_limit_burst": 3}
    )
    async with app_client(build_app(strict)) as http:
        codes = [
            (await http.get(f"{V1}/workspaces", headers=busy.owner)).status_code for _ in range(4)
        ]
        assert codes == [200, 200, 200, 429]
        refused = await http.get(f"{V1}/workspaces", headers=busy.owner)
        assert refused.status_code == 429
        assert int(refused.headers["Retry-After"]) >= 1
        assert refused.json()["error"]["code"] == "rate_limited"
        # Another tenant has its own budget.
        other = await http.get(f"{V1}/workspaces", headers=calm.owner)
        assert other.status_code == 200
        assert other.headers["X-RateLimit-Limit"] == "3"


async def test_document_and_storage_quotas(client: httpx.AsyncClient, api: Any) -> None:
    tenant = await api.tenant()
    tree = await api.tree(tenant)
    admin = await api.admin()
    await client.patch(
        f"{V1}/tenants/{tenant.id}",
        json={"quotas": {"max_documents": 1, "max_storage_bytes": 100}},
        headers=admin,
    )
    too_big = await api.upload(tenant.owner, tree.kb, "big.txt", b"x" * 150)
    assert too_big.status_code == 403 and too_big.json()["error"]["code"] == "quota_exceeded"
    first = await api.upload(tenant.owner, tree.kb, "small.txt", b"A short note.")
    assert first.status_code == 201
    second = await api.upload(tenant.owner, tree.kb, "other.txt", b"Another note.")
    assert second.status_code == 403 and "documents" in second.json()["error"]["message"]


async def test_token_quota_and_usage(
    client: httpx.AsyncClient, api: Any, worker: WorkerProcess
) -> None:
    tenant = await api.tenant()
    tree = await api.tree(tenant)
    await api.ingested(tenant.owner, tree.kb, "note.md", b"The cafeteria opens at noon on Fridays.")
    asked = await client.post(
        f"{V1}/teammates/{tree.teammate}/query",
        json={"query": "When does the cafeteria open on Fridays?"},
        headers=tenant.owner,
    )
    assert asked.status_code == 200
    tokens = asked.json()["usage"]["prompt_tokens"] + asked.json()["usage"]["completion_tokens"]
    usage = (await client.get(f"{V1}/usage", headers=tenant.owner)).json()
    assert usage["documents"] == 1 and usage["tokens_today"] == tokens > 0
    today = usage["days"][0]
    assert today["queries"] == 1 and today["documents_ingested"] == 1
    assert today["chunks_embedded"] >= 1

    await client.patch(
        f"{V1}/tenants/{tenant.id}",
        json={"quotas": {"max_tokens_per_day": tokens}},
        headers=await api.admin(),
    )
    refused = await client.post(
        f"{V1}/teammates/{tree.teammate}/query",
        json={"query": "When does the cafeteria open?"},
        headers=tenant.owner,
    )
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "quota_exceeded"
    assert int(refused.headers["Retry-After"]) > 0


async def test_logins_are_rate_limited_by_client(oyl_settings: Settings) -> None:
    strict = oyl_settings.model_copy(
        update={"rate_limit_requests_per_minute": 3, "rate_limit_burst": 3}
    )
    body = {"email": "nobody@oyl.test", "password": "wrong-password"}
    async with app_client(build_app(strict)) as http:
        codes = [(await http.post(f"{V1}/auth/login", json=body)).status_code for _ in range(4)]
    assert codes[:3] == [401, 401, 401] and codes[3] == 429
