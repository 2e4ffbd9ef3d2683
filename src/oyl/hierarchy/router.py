"""HTTP routes of workspaces, teammates, assistants, instructions and knowledge bases."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Query, Request, Response, status
from fastapi.responses import JSONResponse

from oyl.hierarchy.schemas import (
    AssistantCreate,
    AssistantOut,
    AssistantUpdate,
    InstructionBody,
    InstructionOut,
    KnowledgeBaseCreate,
    KnowledgeBaseOut,
    KnowledgeBaseUpdate,
    TeammateCreate,
    TeammateOut,
    TeammateUpdate,
    WorkspaceCreate,
    WorkspaceOut,
    WorkspaceUpdate,
)
from oyl.hierarchy.service import HierarchyService
from oyl.identity.roles import Action
from oyl.pagination import Page, Paging, paging
from oyl.tenancy import Caller, caller, oyl_of
from servicekit.errors import NotFound

router = APIRouter(prefix="/api/v1")

reader = caller(Action.read)
editor = caller(Action.edit)
NO_CONTENT = status.HTTP_204_NO_CONTENT


def hierarchy(request: Request) -> HierarchyService:
    return oyl_of(request).hierarchy


def _no_content() -> Response:
    return Response(status_code=NO_CONTENT)


# -- workspaces -------------------------------------------------------------------------------


@router.post("/workspaces", status_code=201, tags=["workspaces"])
async def create_workspace(
    body: WorkspaceCreate,
    who: Caller = Depends(editor),
    service: HierarchyService = Depends(hierarchy),
) -> WorkspaceOut:
    return WorkspaceOut.model_validate(await service.create_workspace(who, body))


@router.post("/tenants/{tenant_id}/workspaces", status_code=201, tags=["workspaces"])
async def create_workspace_in_tenant(
    tenant_id: uuid.UUID,
    body: WorkspaceCreate,
    who: Caller = Depends(editor),
    service: HierarchyService = Depends(hierarchy),
) -> WorkspaceOut:
    """The guide's path; the tenant must be the caller's own (another one is not found)."""
    if tenant_id != who.tenant_id:
        raise NotFound("Tenant not found")
    return WorkspaceOut.model_validate(await service.create_workspace(who, body))


@router.get("/workspaces", tags=["workspaces"])
async def list_workspaces(
    name: str | None = Query(None, max_length=255, description="Part of the name"),
    page: Paging = Depends(paging),
    who: Caller = Depends(reader),
    service: HierarchyService = Depends(hierarchy),
) -> Page[WorkspaceOut]:
    rows, total = await service.list_workspaces(who, page, name)
    items = [WorkspaceOut.model_validate(row) for row in rows]
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


@router.get("/workspaces/{workspace_id}", tags=["workspaces"])
async def get_workspace(
    workspace_id: uuid.UUID,
    who: Caller = Depends(reader),
    service: HierarchyService = Depends(hierarchy),
) -> WorkspaceOut:
    return WorkspaceOut.model_validate(await service.get_workspace(who, workspace_id))


@router.patch("/workspaces/{workspace_id}", tags=["workspaces"])
async def update_workspace(
    workspace_id: uuid.UUID,
    body: WorkspaceUpdate,
    who: Caller = Depends(editor),
    service: HierarchyService = Depends(hierarchy),
) -> WorkspaceOut:
    return WorkspaceOut.model_validate(await service.update_workspace(who, workspace_id, body))


@router.delete("/workspaces/{workspace_id}", status_code=NO_CONTENT, tags=["workspaces"])
async def delete_workspace(
    workspace_id: uuid.UUID,
    who: Caller = Depends(editor),
    service: HierarchyService = Depends(hierarchy),
) -> Response:
    """Delete a workspace with its teammates, knowledge bases, documents, files and vectors."""
    await service.delete_workspace(who, workspace_id)
    return _no_content()


# -- teammates --------------------------------------------------------------------------------


@router.post("/workspaces/{workspace_id}/teammates", status_code=201, tags=["teammates"])
async def create_teammate(
    workspace_id: uuid.UUID,
    body: TeammateCreate,
    who: Caller = Depends(editor),
    service: HierarchyService = Depends(hierarchy),
) -> TeammateOut:
    return TeammateOut.model_validate(await service.create_teammate(who, workspace_id, body))


@router.get("/teammates", tags=["teammates"])
async def list_teammates(
    workspace_id: uuid.UUID | None = None,
    name: str | None = Query(None, max_length=255, description="Part of the name"),
    page: Paging = Depends(paging),
    who: Caller = Depends(reader),
    service: HierarchyService = Depends(hierarchy),
) -> Page[TeammateOut]:
    rows, total = await service.list_teammates(who, page, workspace_id, name)
    items = [TeammateOut.model_validate(row) for row in rows]
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


@router.get("/workspaces/{workspace_id}/teammates", tags=["teammates"])
async def list_workspace_teammates(
    workspace_id: uuid.UUID,
    page: Paging = Depends(paging),
    who: Caller = Depends(reader),
    service: HierarchyService = Depends(hierarchy),
) -> Page[TeammateOut]:
    rows, total = await service.list_teammates(who, page, workspace_id, None)
    items = [TeammateOut.model_validate(row) for row in rows]
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


@router.get("/teammates/{teammate_id}", tags=["teammates"])
async def get_teammate(
    teammate_id: uuid.UUID,
    who: Caller = Depends(reader),
    service: HierarchyService = Depends(hierarchy),
) -> TeammateOut:
    return TeammateOut.model_validate(await service.get_teammate(who, teammate_id))


@router.patch("/teammates/{teammate_id}", tags=["teammates"])
async def update_teammate(
    teammate_id: uuid.UUID,
    body: TeammateUpdate,
    who: Caller = Depends(editor),
    service: HierarchyService = Depends(hierarchy),
) -> TeammateOut:
    """Rename, describe, or set the orchestration (strategy, assistants, weights)."""
    return TeammateOut.model_validate(await service.update_teammate(who, teammate_id, body))


@router.delete("/teammates/{teammate_id}", status_code=NO_CONTENT, tags=["teammates"])
async def delete_teammate(
    teammate_id: uuid.UUID,
    who: Caller = Depends(editor),
    service: HierarchyService = Depends(hierarchy),
) -> Response:
    await service.delete_teammate(who, teammate_id)
    return _no_content()


# -- assistants -------------------------------------------------------------------------------


@router.post("/teammates/{teammate_id}/assistants", status_code=201, tags=["assistants"])
async def create_assistant(
    teammate_id: uuid.UUID,
    body: AssistantCreate,
    who: Caller = Depends(editor),
    service: HierarchyService = Depends(hierarchy),
) -> AssistantOut:
    return await service.create_assistant(who, teammate_id, body)


@router.get("/teammates/{teammate_id}/assistants", tags=["assistants"])
async def list_assistants(
    teammate_id: uuid.UUID,
    page: Paging = Depends(paging),
    who: Caller = Depends(reader),
    service: HierarchyService = Depends(hierarchy),
) -> Page[AssistantOut]:
    items, total = await service.list_assistants(who, teammate_id, page)
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


@router.get("/assistants/{assistant_id}", tags=["assistants"])
async def get_assistant(
    assistant_id: uuid.UUID,
    who: Caller = Depends(reader),
    service: HierarchyService = Depends(hierarchy),
) -> AssistantOut:
    return await service.get_assistant(who, assistant_id)


@router.patch("/assistants/{assistant_id}", tags=["assistants"])
async def update_assistant(
    assistant_id: uuid.UUID,
    body: AssistantUpdate,
    who: Caller = Depends(editor),
    service: HierarchyService = Depends(hierarchy),
) -> AssistantOut:
    return await service.update_assistant(who, assistant_id, body)


@router.delete("/assistants/{assistant_id}", status_code=NO_CONTENT, tags=["assistants"])
async def delete_assistant(
    assistant_id: uuid.UUID,
    who: Caller = Depends(editor),
    service: HierarchyService = Depends(hierarchy),
) -> Response:
    await service.delete_assistant(who, assistant_id)
    return _no_content()


@router.put("/assistants/{assistant_id}/instruction", tags=["assistants"])
@router.post("/assistants/{assistant_id}/instruction", tags=["assistants"], include_in_schema=False)
async def set_instruction(
    assistant_id: uuid.UUID,
    body: InstructionBody,
    who: Caller = Depends(editor),
    service: HierarchyService = Depends(hierarchy),
) -> JSONResponse:
    """Set the assistant's system prompt: 201 the first time, 200 when replacing it."""
    instruction, created = await service.set_instruction(who, assistant_id, body.system_prompt)
    return JSONResponse(instruction.model_dump(mode="json"), status_code=201 if created else 200)


@router.get("/assistants/{assistant_id}/instruction", tags=["assistants"])
async def get_instruction(
    assistant_id: uuid.UUID,
    who: Caller = Depends(reader),
    service: HierarchyService = Depends(hierarchy),
) -> InstructionOut:
    return await service.get_instruction(who, assistant_id)


@router.put(
    "/assistants/{assistant_id}/knowledge-bases/{kb_id}",
    status_code=NO_CONTENT,
    tags=["assistants"],
)
async def attach_knowledge_base(
    assistant_id: uuid.UUID,
    kb_id: uuid.UUID,
    who: Caller = Depends(editor),
    service: HierarchyService = Depends(hierarchy),
) -> Response:
    """Let the assistant answer from a knowledge base of its workspace (idempotent)."""
    await service.attach(who, assistant_id, kb_id)
    return _no_content()


@router.delete(
    "/assistants/{assistant_id}/knowledge-bases/{kb_id}",
    status_code=NO_CONTENT,
    tags=["assistants"],
)
async def detach_knowledge_base(
    assistant_id: uuid.UUID,
    kb_id: uuid.UUID,
    who: Caller = Depends(editor),
    service: HierarchyService = Depends(hierarchy),
) -> Response:
    await service.detach(who, assistant_id, kb_id)
    return _no_content()


# -- knowledge bases --------------------------------------------------------------------------


@router.post(
    "/workspaces/{workspace_id}/knowledge-bases", status_code=201, tags=["knowledge bases"]
)
async def create_knowledge_base(
    workspace_id: uuid.UUID,
    body: KnowledgeBaseCreate,
    who: Caller = Depends(editor),
    service: HierarchyService = Depends(hierarchy),
) -> KnowledgeBaseOut:
    return await service.create_knowledge_base(who, workspace_id, body)


@router.get("/knowledge-bases", tags=["knowledge bases"])
async def list_knowledge_bases(
    workspace_id: uuid.UUID | None = None,
    page: Paging = Depends(paging),
    who: Caller = Depends(reader),
    service: HierarchyService = Depends(hierarchy),
) -> Page[KnowledgeBaseOut]:
    items, total = await service.list_knowledge_bases(who, page, workspace_id)
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


@router.get("/knowledge-bases/{kb_id}", tags=["knowledge bases"])
async def get_knowledge_base(
    kb_id: uuid.UUID,
    who: Caller = Depends(reader),
    service: HierarchyService = Depends(hierarchy),
) -> KnowledgeBaseOut:
    return await service.get_knowledge_base(who, kb_id)


@router.patch("/knowledge-bases/{kb_id}", tags=["knowledge bases"])
async def update_knowledge_base(
    kb_id: uuid.UUID,
    body: KnowledgeBaseUpdate,
    who: Caller = Depends(editor),
    service: HierarchyService = Depends(hierarchy),
) -> KnowledgeBaseOut:
    return await service.update_knowledge_base(who, kb_id, body)


@router.delete("/knowledge-bases/{kb_id}", status_code=NO_CONTENT, tags=["knowledge bases"])
async def delete_knowledge_base(
    kb_id: uuid.UUID,
    who: Caller = Depends(editor),
    service: HierarchyService = Depends(hierarchy),
) -> Response:
    """Delete a knowledge base with its documents, their files and their vectors."""
    await service.delete_knowledge_base(who, kb_id)
    return _no_content()
