"""Ingestion end to end: the API stores and queues, a real Celery worker parses (text layers,
real OCR), chunks, embeds with the real local encoder and indexes into real Chroma."""

from __future__ import annotations

import asyncio
import io
import uuid
from pathlib import Path
from typing import Any

import docx
import httpx
import pytest
from PIL import Image
from pypdf import PdfReader, PdfWriter

from oyl.config import Settings
from oyl.main import build_app
from oyl.runtime import chroma_for
from servicekit.testing.app import app_client
from servicekit.testing.jobs import WorkerProcess

V1 = "/api/v1"

HANDBOOK = """# Travel policy

Employees book flights through the travel desk at least 14 days before departure.
Economy class is the rule for flights under six hours.

# Expenses

Meal expenses are reimbursed up to 45 euros per day with receipts.
Taxi rides to the airport are reimbursed when no train runs before 6 am.
"""


@pytest.fixture(autouse=True)
def _worker(worker: WorkerProcess) -> WorkerProcess:
    return worker


async def test_text_document_is_ingested_with_status_counts_and_chunks(
    client: httpx.AsyncClient, api: Any
) -> None:
    tenant = await api.tenant()
    tree = await api.tree(tenant)
    response = await api.upload(tenant.owner, tree.kb, "../../etc/handbook.md", HANDBOOK.encode())
    assert response.status_code == 201, response.text
    uploaded = response.json()
    assert uploaded["status"] == "uploaded" and uploaded["duplicate"] is False
    assert uploaded["name"] == "handbook.md"  # no directories, ever
    assert uploaded["media_type"] == "text/markdown"

    document = await api.wait_ready(tenant.owner, uploaded["id"])
    assert document["status"] == "ready", document
    assert document["progress"] == 1.0 and document["error"] is None
    assert document["chunk_count"] >= 2 and document["page_count"] == 1
    assert {"parsing", "chunking", "embedding", "indexing", "total"} <= set(document["timings"])

    chunks = (
        await client.get(f"{V1}/documents/{uploaded['id']}/chunks", headers=tenant.owner)
    ).json()
    assert chunks["total"] == document["chunk_count"]
    sections = {chunk["section"] for chunk in chunks["items"]}
    assert sections == {"Travel policy", "Expenses"}
    for chunk in chunks["items"]:
        assert HANDBOOK[chunk["start_offset"] : chunk["end_offset"]] == chunk["text"]

    status = await client.get(f"{V1}/knowledge-bases/{tree.kb}/status", headers=tenant.owner)
    assert status.json()["by_status"] == {"ready": 1}


async def test_same_content_is_deduplicated_per_knowledge_base(
    client: httpx.AsyncClient, api: Any
) -> None:
    tenant = await api.tenant()
    tree = await api.tree(tenant)
    first = await api.upload(tenant.owner, tree.kb, "a.txt", b"Deduplicate me, please.")
    second = await api.upload(tenant.owner, tree.kb, "b.txt", b"Deduplicate me, please.")
    assert first.status_code == 201 and second.status_code == 200
    assert second.json()["duplicate"] is True and second.json()["id"] == first.json()["id"]
    other_kb = await api.post(
        f"{V1}/workspaces/{tree.workspace}/knowledge-bases", tenant.owner, name="B"
    )
    third = await api.upload(tenant.owner, other_kb["id"], "a.txt", b"Deduplicate me, please.")
    assert third.status_code == 201  # another knowledge base gets its own document
    await api.wait_ready(tenant.owner, first.json()["id"])
    await api.wait_ready(tenant.owner, third.json()["id"])


async def test_unsupported_and_empty_files_are_refused(client: httpx.AsyncClient, api: Any) -> None:
    tenant = await api.tenant()
    tree = await api.tree(tenant)
    executable = b"\x7fELF\x02\x01\x01" + bytes(range(256)) * 4
    for name, content in (("program.txt", executable), ("empty.txt", b"")):
        response = await api.upload(tenant.owner, tree.kb, name, content)
        assert response.status_code == 415, (name, response.text)
    # The client's content type is not believed: a PNG named .txt is an image.
    image = Image.new("RGB", (8, 8), "white")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    response = await api.upload(tenant.owner, tree.kb, "notes.txt", buffer.getvalue())
    assert response.json()["media_type"] == "image/png"


async def test_oversized_uploads_answer_413(oyl_settings: Settings, api: Any) -> None:
    tenant = await api.tenant()
    tree = await api.tree(tenant)
    small = oyl_settings.model_copy(update={"max_upload_bytes": 2000})
    async with app_client(build_app(small)) as http:
        too_big = await http.post(
            f"{V1}/knowledge-bases/{tree.kb}/documents",
            files={"file": ("big.txt", b"a" * 50_000, "text/plain")},
            headers=tenant.owner,
        )
        assert too_big.status_code == 413
        assert too_big.json()["error"]["details"]["max_bytes"] == 2000
        # Just above the limit but within the multipart allowance: caught while storing.
        near = await http.post(
            f"{V1}/knowledge-bases/{tree.kb}/documents",
            files={"file": ("near.txt", b"b" * 2500, "text/plain")},
            headers=tenant.owner,
        )
        assert near.status_code == 413
    listed = await api.client.get(f"{V1}/knowledge-bases/{tree.kb}/documents", headers=tenant.owner)
    assert listed.json()["total"] == 0


async def test_ocr_reads_an_image(api: Any, client: httpx.AsyncClient, make_image) -> None:
    tenant = await api.tenant()
    tree = await api.tree(tenant)
    png = make_image(["Invoice 2024-0193", "Total due: 1245 euros"])
    response = await api.upload(tenant.owner, tree.kb, "scan.png", png, "image/png")
    document = await api.wait_ready(tenant.owner, response.json()["id"])
    assert document["status"] == "ready", document
    assert document["ocr_page_count"] == 1
    chunks = await client.get(f"{V1}/documents/{document['id']}/chunks", headers=tenant.owner)
    text = " ".join(chunk["text"] for chunk in chunks.json()["items"])
    assert "Invoice 2024-0193" in text and "1245" in text


async def test_pdf_text_layer_and_ocr_of_a_scanned_page(
    api: Any, client: httpx.AsyncClient, make_pdf, make_image
) -> None:
    tenant = await api.tenant()
    tree = await api.tree(tenant)
    writer = PdfWriter()
    writer.append(PdfReader(io.BytesIO(make_pdf(["The warranty lasts two years from delivery."]))))
    scan = io.BytesIO()
    Image.open(io.BytesIO(make_image(["Returns accepted within 30 days"]))).save(scan, "PDF")
    writer.append(PdfReader(scan))
    pdf = io.BytesIO()
    writer.write(pdf)
    response = await api.upload(
        tenant.owner, tree.kb, "terms.pdf", pdf.getvalue(), "application/pdf"
    )
    document = await api.wait_ready(tenant.owner, response.json()["id"])
    assert document["status"] == "ready", document
    assert document["page_count"] == 2 and document["ocr_page_count"] == 1
    chunks = (
        await client.get(f"{V1}/documents/{document['id']}/chunks", headers=tenant.owner)
    ).json()["items"]
    by_page = {chunk["page"]: chunk["text"] for chunk in chunks}
    assert "warranty lasts two years" in by_page[1]
    assert "Returns accepted within 30 days" in by_page[2]


async def test_docx_html_and_csv(api: Any, client: httpx.AsyncClient) -> None:
    tenant = await api.tenant()
    tree = await api.tree(tenant)
    word = docx.Document()
    word.add_heading("Onboarding", level=1)
    word.add_paragraph("New hires receive a laptop on their first day.")
    buffer = io.BytesIO()
    word.save(buffer)
    html = (
        b"<!doctype html><html><head><title>t</title><script>var x = 'hidden';</script></head>"
        b"<body><h2>Office hours</h2><p>The office opens at 8 am on weekdays.</p></body></html>"
    )
    csv = b"product,price,stock\nWidget,12.50,40\nGadget,99.00,3\n"
    expected = {
        "onboarding.docx": ("Onboarding", "laptop on their first day"),
        "hours.html": ("Office hours", "opens at 8 am"),
        "stock.csv": (None, "product: Gadget; price: 99.00; stock: 3."),
    }
    contents = {"onboarding.docx": buffer.getvalue(), "hours.html": html, "stock.csv": csv}
    for name, content in contents.items():
        document = await api.ingested(tenant.owner, tree.kb, name, content)
        assert document["status"] == "ready", document
        chunks = (
            await client.get(f"{V1}/documents/{document['id']}/chunks", headers=tenant.owner)
        ).json()["items"]
        section, phrase = expected[name]
        assert any(phrase in chunk["text"] for chunk in chunks), (name, chunks)
        if section:
            assert chunks[0]["section"] == section
        assert all("hidden" not in chunk["text"] for chunk in chunks)


async def test_a_broken_file_fails_with_its_error_kept(api: Any) -> None:
    tenant = await api.tenant()
    tree = await api.tree(tenant)
    response = await api.upload(
        tenant.owner, tree.kb, "broken.pdf", b"%PDF-1.4\n" + b"\x00garbage" * 50
    )
    assert response.status_code == 201
    document = await api.wait_ready(tenant.owner, response.json()["id"])
    assert document["status"] == "failed"
    assert "could not read the pdf file" in document["error"]


async def test_delete_removes_file_chunks_and_vectors(
    api: Any, client: httpx.AsyncClient, oyl_settings: Settings
) -> None:
    tenant = await api.tenant()
    tree = await api.tree(tenant)
    document = await api.ingested(tenant.owner, tree.kb, "handbook.md", HANDBOOK.encode())
    vectors = chroma_for(oyl_settings)
    tenant_id, document_id = uuid.UUID(tenant.id), uuid.UUID(document["id"])
    assert vectors.count(tenant_id, document_id) == document["chunk_count"]
    owner_dir = Path(oyl_settings.storage_root, "files", f"tenant-{tenant_id.hex}")
    stored = await asyncio.to_thread(lambda: list(owner_dir.rglob(document["sha256"])))
    assert len(stored) == 1

    assert (
        await client.delete(f"{V1}/documents/{document['id']}", headers=tenant.owner)
    ).status_code == 204
    assert (
        await client.get(f"{V1}/documents/{document['id']}", headers=tenant.owner)
    ).status_code == 404
    assert vectors.count(tenant_id, document_id) == 0
    assert not await asyncio.to_thread(stored[0].exists)
    found = await client.post(
        f"{V1}/retrieval/test",
        json={"query": "meal expenses", "knowledge_base_ids": [tree.kb], "min_score": -1},
        headers=tenant.owner,
    )
    assert found.json()["hits"] == []


async def test_reindex_replaces_chunks(
    api: Any, client: httpx.AsyncClient, oyl_settings: Settings
) -> None:
    tenant = await api.tenant()
    tree = await api.tree(tenant)
    document = await api.ingested(tenant.owner, tree.kb, "handbook.md", HANDBOOK.encode())
    before = (
        await client.get(f"{V1}/documents/{document['id']}/chunks", headers=tenant.owner)
    ).json()
    response = await client.post(f"{V1}/documents/{document['id']}/reindex", headers=tenant.owner)
    assert response.status_code == 202 and response.json()["status"] == "uploaded"
    again = await api.wait_ready(tenant.owner, document["id"])
    assert again["status"] == "ready" and again["chunk_count"] == document["chunk_count"]
    after = (
        await client.get(f"{V1}/documents/{document['id']}/chunks", headers=tenant.owner)
    ).json()
    assert {c["id"] for c in after["items"]}.isdisjoint({c["id"] for c in before["items"]})
    vectors = chroma_for(oyl_settings)
    assert vectors.count(uuid.UUID(tenant.id), uuid.UUID(document["id"])) == document["chunk_count"]


async def test_deleting_a_tenant_removes_its_files_and_vectors(
    api: Any, client: httpx.AsyncClient, oyl_settings: Settings
) -> None:
    tenant = await api.tenant()
    tree = await api.tree(tenant)
    await api.ingested(tenant.owner, tree.kb, "handbook.md", HANDBOOK.encode())
    vectors = chroma_for(oyl_settings)
    assert vectors.count(uuid.UUID(tenant.id)) > 0
    assert (
        await client.delete(f"{V1}/tenants/{tenant.id}", headers=tenant.owner)
    ).status_code == 204
    assert vectors.count(uuid.UUID(tenant.id)) == 0
    owner_dir = Path(oyl_settings.storage_root, "files", f"tenant-{uuid.UUID(tenant.id).hex}")
    assert not await asyncio.to_thread(owner_dir.exists)


async def test_the_guides_assistant_upload_and_status_paths(
    api: Any, client: httpx.AsyncClient
) -> None:
    tenant = await api.tenant()
    h = tenant.owner
    workspace = await api.post(f"{V1}/workspaces", h, name="W")
    teammate = await api.post(f"{V1}/workspaces/{workspace['id']}/teammates", h, name="T")
    assistant = await api.post(f"{V1}/teammates/{teammate['id']}/assistants", h, name="Clerk")
    first = await client.post(
        f"{V1}/assistants/{assistant['id']}/knowledge/upload",
        files={"file": ("one.txt", b"The first note.", "text/plain")},
        headers=h,
    )
    second = await client.post(
        f"{V1}/assistants/{assistant['id']}/knowledge/upload",
        files={"file": ("two.txt", b"The second note.", "text/plain")},
        headers=h,
    )
    assert first.status_code == second.status_code == 201
    # One knowledge base for the assistant, not one per upload.
    assert first.json()["knowledge_base_id"] == second.json()["knowledge_base_id"]
    attached = (await client.get(f"{V1}/assistants/{assistant['id']}", headers=h)).json()
    assert attached["knowledge_base_ids"] == [first.json()["knowledge_base_id"]]
    for document in (first.json(), second.json()):
        await api.wait_ready(h, document["id"])
    status = await client.get(f"{V1}/assistants/{assistant['id']}/knowledge/status", headers=h)
    assert [kb["by_status"] for kb in status.json()] == [{"ready": 2}]


async def test_deleting_a_knowledge_base_or_workspace_removes_its_vectors_and_files(
    api: Any, client: httpx.AsyncClient, oyl_settings: Settings
) -> None:
    tenant = await api.tenant()
    tree = await api.tree(tenant)
    document = await api.ingested(tenant.owner, tree.kb, "handbook.md", HANDBOOK.encode())
    tenant_id = uuid.UUID(tenant.id)
    vectors = chroma_for(oyl_settings)
    assert vectors.count(tenant_id) == document["chunk_count"]
    owner_dir = Path(oyl_settings.storage_root, "files", f"tenant-{tenant_id.hex}")
    [stored] = await asyncio.to_thread(lambda: list(owner_dir.rglob(document["sha256"])))
    assert (
        await client.delete(f"{V1}/knowledge-bases/{tree.kb}", headers=tenant.owner)
    ).status_code == 204
    assert vectors.count(tenant_id) == 0
    assert not await asyncio.to_thread(stored.exists)

    kb = await api.post(f"{V1}/workspaces/{tree.workspace}/knowledge-bases", tenant.owner, name="B")
    await api.ingested(tenant.owner, kb["id"], "handbook.md", HANDBOOK.encode())
    assert vectors.count(tenant_id) > 0
    assert (
        await client.delete(f"{V1}/workspaces/{tree.workspace}", headers=tenant.owner)
    ).status_code == 204
    assert vectors.count(tenant_id) == 0
