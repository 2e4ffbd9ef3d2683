"""Retrieval tests: what a question would retrieve, with scores, and no LLM call."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Request

from oyl.identity.roles import Action
from oyl.retrieval.schemas import KnowledgeRetrievalRequest, RetrievalRequest, RetrievalResult
from oyl.tenancy import Caller, caller, oyl_of

router = APIRouter(prefix="/api/v1", tags=["retrieval"])


@router.post("/retrieval/test")
async def retrieval_test(
    body: KnowledgeRetrievalRequest,
    request: Request,
    who: Caller = Depends(caller(Action.read)),
) -> RetrievalResult:
    """Search knowledge bases of the tenant (dense, lexical or hybrid) and show the scored hits."""
    oyl = oyl_of(request)
    kb_ids = await oyl.hierarchy.visible_knowledge_bases(who, body.knowledge_base_ids)
    return await oyl.retriever.search(
        who.tenant_id,
        body.query,
        kb_ids,
        top_k=body.top_k,
        min_score=body.min_score,
        mode=body.mode,
        filters=body.filters,
    )


@router.post("/assistants/{assistant_id}/retrieve")
async def assistant_retrieval_test(
    assistant_id: uuid.UUID,
    body: RetrievalRequest,
    request: Request,
    who: Caller = Depends(caller(Action.read)),
) -> RetrievalResult:
    """What the assistant would retrieve from its knowledge bases for this question."""
    oyl = oyl_of(request)
    assistant = await oyl.hierarchy.get_assistant(who, assistant_id)
    return await oyl.retriever.search(
        who.tenant_id,
        body.query,
        assistant.knowledge_base_ids,
        top_k=body.top_k,
        min_score=body.min_score,
        mode=body.mode,
        filters=body.filters,
    )
