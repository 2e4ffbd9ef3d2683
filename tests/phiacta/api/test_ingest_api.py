"""Ingestion jobs: queued for an input extension, pulled by it, completed with its bundle or
failed; cancellation; events."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

Headers = dict[str, str]


def bearer(key: str) -> Headers:
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture(scope="module")
async def notes(client: httpx.AsyncClient, admin: Headers) -> tuple[str, Headers]:
    manifest = {
        "extension_id": f"ext-notes-{uuid.uuid4().hex[:6]}-v1", "name": "notes",
        "version": "1.0.0", "type": "input", "capabilities": {"can_write": True},
    }  # fmt: skip
    body = (await client.post("/v1/extensions/register", json=manifest, headers=admin)).json()
    return body["extension_id"], bearer(body["api_key"])


async def _submit(client: httpx.AsyncClient, headers: Headers, ext: str, **extra: Any) -> str:
    response = await client.post(
        "/v1/ingest",
        json={"source_type": "markdown_note", "external_ref": "notes.md", "extension_id": ext,
              **extra},
        headers=headers,
    )  # fmt: skip
    assert response.status_code == 202, response.text
    assert response.json()["status"] == "queued"
    return str(response.json()["job_id"])


async def test_a_job_is_pulled_completed_and_reported(
    client: httpx.AsyncClient, admin: Headers, notes: tuple[str, Headers], fresh_ns: str
) -> None:
    ext, key = notes
    low = await _submit(client, admin, ext, priority=0)
    high = await _submit(client, admin, ext, priority=5)
    taken = await client.post("/v1/ingest/next", headers=key)
    assert taken.json()["job_id"] == high and taken.json()["status"] == "processing"
    bundle = await client.post(
        "/v1/bundles",
        json={"idempotency_key": high, "namespace": fresh_ns,
              "claims": [{"temp_id": "c0", "content": "from the note", "claim_type": "assertion"}]},
        headers=key,
    )  # fmt: skip
    done = await client.post(
        f"/v1/ingest/{high}/complete", json={"bundle_id": bundle.json()["bundle_id"]}, headers=key
    )
    assert done.status_code == 200
    job = (await client.get(f"/v1/ingest/{high}", headers=admin)).json()
    assert (job["status"], job["claims_created"]) == ("completed", 1)
    again = await client.post(
        f"/v1/ingest/{high}/complete", json={"bundle_id": bundle.json()["bundle_id"]}, headers=key
    )
    assert again.status_code == 409
    assert (await client.post("/v1/ingest/next", headers=key)).json()["job_id"] == low
    failed = await client.post(f"/v1/ingest/{low}/fail", json={"error": "unreadable"}, headers=key)
    assert failed.json()["status"] == "failed" and failed.json()["error"] == "unreadable"
    idle = await client.post("/v1/ingest/next", headers=key)
    assert idle.status_code == 204


async def test_cancel_and_refusals(
    client: httpx.AsyncClient, admin: Headers, writer: Headers, notes: tuple[str, Headers]
) -> None:
    ext, _ = notes
    job = await _submit(client, admin, ext)
    cancelled = await client.post(f"/v1/ingest/{job}/cancel", headers=admin)
    assert cancelled.json()["status"] == "cancelled"
    unknown = await client.post(
        "/v1/ingest", json={"source_type": "paper", "extension_id": "ext-nope-v1"}, headers=admin
    )
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "EXTENSION_NOT_FOUND"
    assert (await client.post("/v1/ingest/next", headers=admin)).status_code == 403
    no_scope = await client.post(
        "/v1/ingest", json={"source_type": "paper", "extension_id": ext}, headers=writer
    )
    assert no_scope.status_code == 403
