"""HTTP routes of documents: upload, list, status, chunks, re-index, cancel, delete."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, File, Query, Request, Response, UploadFile, status
from fastapi.responses import JSONResponse

from oyl.identity.roles import Action
from oyl.ingestion.schemas import ChunkOut, DocumentOut, KnowledgeStatus, UploadOut
from oyl.ingestion.service import DocumentService
from oyl.models import DocumentStatus
from oyl.pagination import Page, Paging, paging
from oyl.tenancy import Caller, caller, oyl_of

router = APIRouter(prefix="/api/v1", tags=["documents"])

reader = caller(Action.read)
editor = caller(Action.edit)


def documents(request: Request) -> DocumentService:
    return oyl_of(request).documents


@router.post(
    "/knowledge-bases/{kb_id}/documents",
    status_code=status.HTTP_201_CREATED,
    responses={200: {"description": "The same content was already in the knowledge base"}},
)
async def upload_document(
    kb_id: uuid.UUID,
    file: UploadFile = File(...),
    who: Caller = Depends(editor),
    service: DocumentService = Depends(documents),
) -> UploadOut:
    """Upload a file (multipart ``file``): 201 and queued for ingestion, or 200 with the
    existing document when the knowledge base already holds the same content."""
    document, duplicate = await service.upload(who, kb_id, file)
    body = UploadOut.model_validate(document).model_copy(update={"duplicate": duplicate})
    if duplicate:
        return JSONResponse(body.model_dump(mode="json"), status_code=200)  # type: ignore[return-value]
    return body


@router.post(
    "/assistants/{assistant_id}/knowledge/upload",
    status_code=status.HTTP_201_CREATED,
    responses={200: {"description": "The same content was already in the knowledge base"}},
)
async def upload_to_assistant(
    assistant_id: uuid.UUID,
    request: Request,
    file: UploadFile = File(...),
    who: Caller = Depends(editor),
    service: DocumentService = Depends(documents),
) -> UploadOut:
    """The guide's assistant-level upload: into the assistant's first knowledge base (one is
    made and attached when it has none)."""
    kb_id = await oyl_of(request).hierarchy.default_knowledge_base(who, assistant_id)
    return await upload_document(kb_id, file, who, service)


@router.get("/assistants/{assistant_id}/knowledge/status")
async def assistant_knowledge_status(
    assistant_id: uuid.UUID,
    request: Request,
    who: Caller = Depends(reader),
    service: DocumentService = Depends(documents),
) -> list[KnowledgeStatus]:
    """Ingestion status of every knowledge base the assistant answers from."""
    assistant = await oyl_of(request).hierarchy.get_assistant(who, assistant_id)
    return [await service.status(who, kb_id) for kb_id in assistant.knowledge_base_ids]


@router.get("/knowledge-bases/{kb_id}/documents")
async def list_documents(
    kb_id: uuid.UUID,
    status_filter: DocumentStatus | None = Query(None, alias="status"),
    page: Paging = Depends(paging),
    who: Caller = Depends(reader),
    service: DocumentService = Depends(documents),
) -> Page[DocumentOut]:
    rows, total = await service.list_documents(
        who, kb_id, page, status_filter.value if status_filter else None
    )
    items = [DocumentOut.model_validate(row) for row in rows]
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


@router.get("/knowledge-bases/{kb_id}/status")
async def knowledge_status(
    kb_id: uuid.UUID,
    who: Caller = Depends(reader),
    service: DocumentService = Depends(documents),
) -> KnowledgeStatus:
    """Documents per ingestion status, chunks and bytes of a knowledge base."""
    return await service.status(who, kb_id)


@router.get("/documents/{document_id}")
async def get_document(
    document_id: uuid.UUID,
    who: Caller = Depends(reader),
    service: DocumentService = Depends(documents),
) -> DocumentOut:
    """Status (uploaded, parsing, chunking, embedding, ready, failed, cancelled), progress, counts,
    timings per stage and the error of a failed ingestion."""
    return DocumentOut.model_validate(await service.get_document(who, document_id))


@router.get("/documents/{document_id}/chunks")
async def list_chunks(
    document_id: uuid.UUID,
    page: Paging = Depends(paging),
    who: Caller = Depends(reader),
    service: DocumentService = Depends(documents),
) -> Page[ChunkOut]:
    rows, total = await service.chunks(who, document_id, page)
    items = [ChunkOut.model_validate(row) for row in rows]
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


@router.patch("/chunks/{chunk_id}")
async def set_chunk_enabled(
    chunk_id: uuid.UUID,
    enabled: bool = Query(..., description="false keeps the chunk out of retrieval"),
    who: Caller = Depends(editor),
    service: DocumentService = Depends(documents),
) -> ChunkOut:
    return ChunkOut.model_validate(await service.set_chunk_enabled(who, chunk_id, enabled))


@router.post("/documents/{document_id}/reindex", status_code=status.HTTP_202_ACCEPTED)
async def reindex_document(
    document_id: uuid.UUID,
    who: Caller = Depends(editor),
    service: DocumentService = Depends(documents),
) -> DocumentOut:
    """Parse, chunk and embed the stored file again; its old chunks are replaced."""
    return DocumentOut.model_validate(await service.reindex(who, document_id))


@router.post(
    "/documents/{document_id}/cancel",
    status_code=status.HTTP_202_ACCEPTED,
    responses={409: {"description": "The document is not being ingested"}},
)
async def cancel_ingestion(
    document_id: uuid.UUID,
    who: Caller = Depends(editor),
    service: DocumentService = Depends(documents),
) -> DocumentOut:
    """Stop the document's ingestion: at once when queued, at the next stage or batch when
    running. It ends ``cancelled``, without chunks or vectors; re-index to ingest it again."""
    return DocumentOut.model_validate(await service.cancel(who, document_id))


@router.delete("/documents/{document_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_document(
    document_id: uuid.UUID,
    who: Caller = Depends(editor),
    service: DocumentService = Depends(documents),
) -> Response:
    """Delete a document with its chunks, its vectors and (unless shared) its file."""
    await service.delete_document(who, document_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
