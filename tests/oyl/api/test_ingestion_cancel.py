"""Cancelling a document's ingestion, with the real Celery worker: queued and running
ingestions stop, the document ends ``cancelled`` without chunks or vectors, re-index works."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import pytest

from oyl.config import Settings
from oyl.runtime import chroma_for
from servicekit.testing.jobs import WorkerProcess

V1 = "/api/v1"
HANDBOOK = """# Travel policy

Employees book flights through the travel desk at least 14 days before departure.
"""
# Long enough that the worker (one process, one thread) embeds for several seconds: hundreds of
# chunks, in batches between which it looks for a cancel request.
LONG_PAGES = 120


@pytest.fixture(autouse=True)
def _worker(worker: WorkerProcess) -> WorkerProcess:
    return worker


def long_pdf(make_pdf: Any) -> bytes:
    # A distinct document each call (dedup is by content).
    marker = uuid.uuid4().hex
    page = (
        f"Report {marker}. The quarterly maintenance log lists every pump, valve and boiler "
        "inspected by the facilities team, with the date, the inspector and the findings. "
    ) * 12
    return make_pdf([page for _ in range(LONG_PAGES)])


async def document_of(client: httpx.AsyncClient, headers: Any, document_id: str) -> dict:
    response = await client.get(f"{V1}/documents/{document_id}", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def wait_for_status(
    client: httpx.AsyncClient, headers: Any, document_id: str, wanted: set[str], within: float
) -> dict[str, Any]:
    document: dict[str, Any] = {}
    try:
        async with asyncio.timeout(within):
            while True:
                document = await document_of(client, headers, document_id)
                if document["status"] in wanted:
                    return document
                await asyncio.sleep(0.05)
    except TimeoutError:
        raise AssertionError(f"never reached {wanted} in {within} s: {document}") from None


async def upload(api: Any, headers: Any, kb: str, name: str, content: bytes) -> str:
    response = await api.upload(headers, kb, name, content, "application/pdf")
    assert response.status_code == 201, response.text
    return response.json()["id"]


async def long_ingestion(
    api: Any, client: httpx.AsyncClient, make_pdf: Any, reached: set[str]
) -> tuple[Any, Any, str]:
    """A new tenant whose long document's ingestion has reached one of the ``reached`` stages:
    (tenant, tree, document id)."""
    tenant = await api.tenant()
    tree = await api.tree(tenant)
    document_id = await upload(api, tenant.owner, tree.kb, "log.pdf", long_pdf(make_pdf))
    await wait_for_status(client, tenant.owner, document_id, reached, within=120)
    return tenant, tree, document_id


async def assert_nothing_indexed(
    client: httpx.AsyncClient, settings: Settings, tenant: Any, kb: str, document_id: str
) -> None:
    document = await document_of(client, tenant.owner, document_id)
    assert document["chunk_count"] == 0 and document["error"] is None
    chunks = await client.get(f"{V1}/documents/{document_id}/chunks", headers=tenant.owner)
    assert chunks.json()["total"] == 0
    vectors = chroma_for(settings)
    assert vectors.count(uuid.UUID(tenant.id), uuid.UUID(document_id)) == 0
    found = await client.post(
        f"{V1}/retrieval/test",
        json={"query": "quarterly maintenance log", "knowledge_base_ids": [kb], "min_score": -1},
        headers=tenant.owner,
    )
    assert document_id not in {hit["document_id"] for hit in found.json()["hits"]}


async def test_a_running_ingestion_stops_and_can_be_indexed_again(
    api: Any, client: httpx.AsyncClient, oyl_settings: Settings, make_pdf: Any
) -> None:
    tenant, tree, document_id = await long_ingestion(api, client, make_pdf, {"embedding"})

    response = await client.post(f"{V1}/documents/{document_id}/cancel", headers=tenant.owner)
    assert response.status_code == 202, response.text
    assert response.json()["id"] == document_id

    cancelled = await wait_for_status(
        client, tenant.owner, document_id, {"cancelled", "ready", "failed"}, within=120
    )
    assert cancelled["status"] == "cancelled", cancelled
    await assert_nothing_indexed(client, oyl_settings, tenant, tree.kb, document_id)
    listed = await client.get(
        f"{V1}/knowledge-bases/{tree.kb}/documents?status=cancelled", headers=tenant.owner
    )
    assert [item["id"] for item in listed.json()["items"]] == [document_id]

    # Nothing left to stop: cancelling again is a conflict.
    again = await client.post(f"{V1}/documents/{document_id}/cancel", headers=tenant.owner)
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "not_ingesting"

    reindexed = await client.post(f"{V1}/documents/{document_id}/reindex", headers=tenant.owner)
    assert reindexed.status_code == 202
    ready = await api.wait_ready(tenant.owner, document_id, within=240)
    assert ready["status"] == "ready" and ready["chunk_count"] > LONG_PAGES
    vectors = chroma_for(oyl_settings)
    assert vectors.count(uuid.UUID(tenant.id), uuid.UUID(document_id)) == ready["chunk_count"]


async def test_a_queued_ingestion_is_cancelled_at_once(
    api: Any, client: httpx.AsyncClient, oyl_settings: Settings, make_pdf: Any
) -> None:
    # The one worker is busy with the first document, so the second one waits in the queue.
    tenant, tree, busy = await long_ingestion(
        api, client, make_pdf, {"parsing", "chunking", "embedding"}
    )
    queued = await upload(api, tenant.owner, tree.kb, "queued.pdf", long_pdf(make_pdf))
    assert (await document_of(client, tenant.owner, queued))["status"] == "uploaded"

    response = await client.post(f"{V1}/documents/{queued}/cancel", headers=tenant.owner)
    assert response.status_code == 202, response.text
    assert response.json()["status"] == "cancelled"

    stopped = await client.post(f"{V1}/documents/{busy}/cancel", headers=tenant.owner)
    assert stopped.status_code == 202, stopped.text
    settled = await wait_for_status(
        client, tenant.owner, busy, {"cancelled", "ready", "failed"}, within=120
    )
    assert settled["status"] == "cancelled", settled
    # The queued message reached the worker after the cancel and did nothing.
    await asyncio.sleep(1.0)
    assert (await document_of(client, tenant.owner, queued))["status"] == "cancelled"
    await assert_nothing_indexed(client, oyl_settings, tenant, tree.kb, queued)
    await assert_nothing_indexed(client, oyl_settings, tenant, tree.kb, busy)


async def test_a_finished_document_cannot_be_cancelled(api: Any, client: httpx.AsyncClient) -> None:
    tenant = await api.tenant()
    tree = await api.tree(tenant)
    document = await api.ingested(tenant.owner, tree.kb, "handbook.md", HANDBOOK.encode())
    response = await client.post(f"{V1}/documents/{document['id']}/cancel", headers=tenant.owner)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "not_ingesting"
    assert (await document_of(client, tenant.owner, document["id"]))["status"] == "ready"


async def test_cancel_needs_the_editor_role_and_the_tenant(
    api: Any, client: httpx.AsyncClient
) -> None:
    tenant = await api.tenant()
    tree = await api.tree(tenant)
    document = await api.ingested(tenant.owner, tree.kb, "handbook.md", HANDBOOK.encode())
    path = f"{V1}/documents/{document['id']}/cancel"
    for role in ("viewer", "member"):
        headers = await api.member(tenant, role)
        assert (await client.post(path, headers=headers)).status_code == 403
    other = await api.tenant("other")
    assert (await client.post(path, headers=other.owner)).status_code == 404
    unknown = await client.post(f"{V1}/documents/{uuid.uuid4()}/cancel", headers=tenant.owner)
    assert unknown.status_code == 404
    editor = await api.member(tenant, "editor")
    # Allowed, and answered with the conflict of a finished document.
    assert (await client.post(path, headers=editor)).status_code == 409
