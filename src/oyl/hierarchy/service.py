"""Use cases of a tenant's tree. Every lookup goes through a repository bound to the caller's
tenant, so another tenant's id is "not found" (404) everywhere.

Deleting a workspace or a knowledge base takes its documents' rows with it (cascade), then the
documents' vectors and unshared files are removed once the deletion is committed.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import func

from oyl.answers.orchestration import OrchestrationConfig
from oyl.hierarchy.repository import HierarchyRepository
from oyl.hierarchy.schemas import (
    AssistantCreate,
    AssistantOut,
    AssistantUpdate,
    InstructionOut,
    KnowledgeBaseCreate,
    KnowledgeBaseOut,
    KnowledgeBaseUpdate,
    TeammateCreate,
    TeammateUpdate,
    WorkspaceCreate,
    WorkspaceUpdate,
)
from oyl.models import Assistant, KnowledgeBase, Teammate, Workspace
from oyl.pagination import Paging
from oyl.tenancy import Caller
from servicekit.db import Database
from servicekit.errors import NotFound, Unprocessable

Row = TypeVar("Row")
DocumentsRemoved = Callable[[uuid.UUID, list[Any], list[uuid.UUID]], Awaitable[None]]
"""Told (tenant, removed documents, knowledge bases gone) after a deletion is committed."""

_LABELS = {
    Workspace: "Workspace",
    Teammate: "Teammate",
    Assistant: "Assistant",
    KnowledgeBase: "Knowledge base",
}


class HierarchyService:
    def __init__(
        self,
        db: Database,
        *,
        embedding_model: str,
        embedding_dimension: int,
        on_documents_removed: DocumentsRemoved,
    ) -> None:
        self.db = db
        self.embedding_model = embedding_model
        self.embedding_dimension = embedding_dimension
        self._on_documents_removed = on_documents_removed

    @asynccontextmanager
    async def _repo(self, caller: Caller) -> AsyncIterator[HierarchyRepository]:
        async with self.db.session() as session:
            yield HierarchyRepository(session, caller.tenant_id)

    async def _found(self, repo: HierarchyRepository, model: type[Row], row_id: uuid.UUID) -> Row:
        row = await repo.get(model, row_id)
        if row is None:
            raise NotFound(f"{_LABELS[model]} not found")  # type: ignore[index]
        return row

    @staticmethod
    def _apply(row: Any, changes: dict[str, Any]) -> None:
        for field, value in changes.items():
            setattr(row, field, value)
        row.updated_at = func.now()

    # -- workspaces ---------------------------------------------------------------------------

    async def create_workspace(self, caller: Caller, body: WorkspaceCreate) -> Workspace:
        async with self._repo(caller) as repo:
            workspace = Workspace(name=body.name, description=body.description)
            await repo.add(workspace, conflict=f"A workspace named {body.name!r} already exists")
            await repo.session.refresh(workspace)
            return workspace

    async def list_workspaces(self, caller: Caller, paging: Paging, name: str | None):
        async with self._repo(caller) as repo:
            return await repo.workspaces(paging, name)

    async def get_workspace(self, caller: Caller, workspace_id: uuid.UUID) -> Workspace:
        async with self._repo(caller) as repo:
            return await self._found(repo, Workspace, workspace_id)

    async def update_workspace(
        self, caller: Caller, workspace_id: uuid.UUID, body: WorkspaceUpdate
    ) -> Workspace:
        async with self._repo(caller) as repo:
            workspace = await self._found(repo, Workspace, workspace_id)
            self._apply(workspace, body.model_dump(exclude_none=True))
            await repo.flush(conflict=f"A workspace named {body.name!r} already exists")
            await repo.session.refresh(workspace)
            return workspace

    async def delete_workspace(self, caller: Caller, workspace_id: uuid.UUID) -> None:
        async with self._repo(caller) as repo:
            workspace = await self._found(repo, Workspace, workspace_id)
            removed = await repo.documents_under(workspace_id=workspace_id)
            kb_ids = await repo.knowledge_base_ids_in(workspace_id)
            await repo.session.delete(workspace)
        await self._on_documents_removed(caller.tenant_id, removed, kb_ids)

    # -- teammates ----------------------------------------------------------------------------

    async def create_teammate(
        self, caller: Caller, workspace_id: uuid.UUID, body: TeammateCreate
    ) -> Teammate:
        async with self._repo(caller) as repo:
            await self._found(repo, Workspace, workspace_id)
            _check_config_members(body.orchestration_config, set())
            teammate = Teammate(
                workspace_id=workspace_id,
                name=body.name,
                description=body.description,
                orchestration_config=body.orchestration_config.model_dump(mode="json"),
            )
            await repo.add(teammate, conflict=f"A teammate named {body.name!r} already exists")
            await repo.session.refresh(teammate)
            return teammate

    async def list_teammates(
        self, caller: Caller, paging: Paging, workspace_id: uuid.UUID | None, name: str | None
    ):
        async with self._repo(caller) as repo:
            if workspace_id is not None:
                await self._found(repo, Workspace, workspace_id)
            return await repo.teammates(paging, workspace_id, name)

    async def get_teammate(self, caller: Caller, teammate_id: uuid.UUID) -> Teammate:
        async with self._repo(caller) as repo:
            return await self._found(repo, Teammate, teammate_id)

    async def update_teammate(
        self, caller: Caller, teammate_id: uuid.UUID, body: TeammateUpdate
    ) -> Teammate:
        async with self._repo(caller) as repo:
            teammate = await self._found(repo, Teammate, teammate_id)
            changes = body.model_dump(exclude_none=True, exclude={"orchestration_config"})
            if body.orchestration_config is not None:
                members = {a.id for a in await repo.assistants_of(teammate_id)}
                _check_config_members(body.orchestration_config, members)
                changes["orchestration_config"] = body.orchestration_config.model_dump(mode="json")
            self._apply(teammate, changes)
            await repo.flush(conflict=f"A teammate named {body.name!r} already exists")
            await repo.session.refresh(teammate)
            return teammate

    async def delete_teammate(self, caller: Caller, teammate_id: uuid.UUID) -> None:
        async with self._repo(caller) as repo:
            await repo.session.delete(await self._found(repo, Teammate, teammate_id))

    # -- assistants ---------------------------------------------------------------------------

    async def _assistant_out(self, repo: HierarchyRepository, assistant: Assistant) -> AssistantOut:
        links = await repo.knowledge_base_ids_of([assistant.id])
        return _assistant_out(assistant, links[assistant.id])

    async def create_assistant(
        self, caller: Caller, teammate_id: uuid.UUID, body: AssistantCreate
    ) -> AssistantOut:
        async with self._repo(caller) as repo:
            teammate = await self._found(repo, Teammate, teammate_id)
            assistant = Assistant(
                teammate_id=teammate_id,
                name=body.name,
                description=body.description,
                model=body.model,
                instruction=body.instruction,
                instruction_updated_at=datetime.now(UTC) if body.instruction else None,
            )
            await repo.add(assistant, conflict=f"An assistant named {body.name!r} already exists")
            for kb_id in dict.fromkeys(body.knowledge_base_ids):
                await self._attachable(repo, teammate, kb_id)
                await repo.attach(assistant.id, kb_id)
            await repo.session.refresh(assistant)
            return await self._assistant_out(repo, assistant)

    async def list_assistants(self, caller: Caller, teammate_id: uuid.UUID, paging: Paging):
        async with self._repo(caller) as repo:
            await self._found(repo, Teammate, teammate_id)
            rows, total = await repo.assistants(paging, teammate_id)
            links = await repo.knowledge_base_ids_of([row.id for row in rows])
            return [_assistant_out(row, links[row.id]) for row in rows], total

    async def get_assistant(self, caller: Caller, assistant_id: uuid.UUID) -> AssistantOut:
        async with self._repo(caller) as repo:
            return await self._assistant_out(repo, await self._found(repo, Assistant, assistant_id))

    async def update_assistant(
        self, caller: Caller, assistant_id: uuid.UUID, body: AssistantUpdate
    ) -> AssistantOut:
        async with self._repo(caller) as repo:
            assistant = await self._found(repo, Assistant, assistant_id)
            self._apply(assistant, body.model_dump(exclude_unset=True))
            await repo.flush(conflict=f"An assistant named {body.name!r} already exists")
            await repo.session.refresh(assistant)
            return await self._assistant_out(repo, assistant)

    async def delete_assistant(self, caller: Caller, assistant_id: uuid.UUID) -> None:
        async with self._repo(caller) as repo:
            await repo.session.delete(await self._found(repo, Assistant, assistant_id))

    async def set_instruction(
        self, caller: Caller, assistant_id: uuid.UUID, system_prompt: str
    ) -> tuple[InstructionOut, bool]:
        """(the instruction, whether the assistant had none before)."""
        async with self._repo(caller) as repo:
            assistant = await self._found(repo, Assistant, assistant_id)
            created = assistant.instruction is None
            assistant.instruction = system_prompt
            assistant.instruction_updated_at = datetime.now(UTC)
            return _instruction_out(assistant), created

    async def get_instruction(self, caller: Caller, assistant_id: uuid.UUID) -> InstructionOut:
        async with self._repo(caller) as repo:
            return _instruction_out(await self._found(repo, Assistant, assistant_id))

    async def _attachable(
        self, repo: HierarchyRepository, teammate: Teammate, kb_id: uuid.UUID
    ) -> KnowledgeBase:
        kb = await self._found(repo, KnowledgeBase, kb_id)
        if kb.workspace_id != teammate.workspace_id:
            raise Unprocessable("A knowledge base can only serve assistants of its workspace")
        return kb

    async def attach(self, caller: Caller, assistant_id: uuid.UUID, kb_id: uuid.UUID) -> None:
        async with self._repo(caller) as repo:
            assistant = await self._found(repo, Assistant, assistant_id)
            teammate = await self._found(repo, Teammate, assistant.teammate_id)
            await self._attachable(repo, teammate, kb_id)
            await repo.attach(assistant_id, kb_id)

    async def default_knowledge_base(self, caller: Caller, assistant_id: uuid.UUID) -> uuid.UUID:
        """The assistant's first knowledge base; one is made (and attached) if it has none.

        Serves the guide's assistant-level upload path, where upstream made a new knowledge base
        on every upload.
        """
        async with self._repo(caller) as repo:
            assistant = await self._found(repo, Assistant, assistant_id)
            attached = (await repo.knowledge_base_ids_of([assistant_id]))[assistant_id]
            if attached:
                return attached[0]
            teammate = await self._found(repo, Teammate, assistant.teammate_id)
            name = f"{assistant.name} knowledge ({str(assistant.id)[:8]})"
            kb = await repo.knowledge_base_named(teammate.workspace_id, name)
            if kb is None:
                kb = KnowledgeBase(
                    workspace_id=teammate.workspace_id,
                    name=name,
                    embedding_model=self.embedding_model,
                    embedding_dimension=self.embedding_dimension,
                )
                await repo.add(kb, conflict="The knowledge base is being created right now")
            await repo.attach(assistant_id, kb.id)
            return kb.id

    async def detach(self, caller: Caller, assistant_id: uuid.UUID, kb_id: uuid.UUID) -> None:
        async with self._repo(caller) as repo:
            await self._found(repo, Assistant, assistant_id)
            if not await repo.detach(assistant_id, kb_id):
                raise NotFound("This knowledge base is not attached to the assistant")

    # -- knowledge bases ----------------------------------------------------------------------

    async def create_knowledge_base(
        self, caller: Caller, workspace_id: uuid.UUID, body: KnowledgeBaseCreate
    ) -> KnowledgeBaseOut:
        async with self._repo(caller) as repo:
            await self._found(repo, Workspace, workspace_id)
            kb = KnowledgeBase(
                workspace_id=workspace_id,
                name=body.name,
                description=body.description,
                embedding_model=self.embedding_model,
                embedding_dimension=self.embedding_dimension,
            )
            await repo.add(kb, conflict=f"A knowledge base named {body.name!r} already exists")
            await repo.session.refresh(kb)
            return KnowledgeBaseOut.model_validate(kb)

    async def list_knowledge_bases(
        self, caller: Caller, paging: Paging, workspace_id: uuid.UUID | None
    ) -> tuple[list[KnowledgeBaseOut], int]:
        async with self._repo(caller) as repo:
            if workspace_id is not None:
                await self._found(repo, Workspace, workspace_id)
            rows, total = await repo.knowledge_bases(paging, workspace_id)
            counts = await repo.document_counts([row.id for row in rows])
        items = [
            KnowledgeBaseOut.model_validate(row).model_copy(
                update={"document_count": counts.get(row.id, 0)}
            )
            for row in rows
        ]
        return items, total

    async def get_knowledge_base(self, caller: Caller, kb_id: uuid.UUID) -> KnowledgeBaseOut:
        async with self._repo(caller) as repo:
            kb = await self._found(repo, KnowledgeBase, kb_id)
            counts = await repo.document_counts([kb.id])
        return KnowledgeBaseOut.model_validate(kb).model_copy(
            update={"document_count": counts.get(kb.id, 0)}
        )

    async def update_knowledge_base(
        self, caller: Caller, kb_id: uuid.UUID, body: KnowledgeBaseUpdate
    ) -> KnowledgeBaseOut:
        async with self._repo(caller) as repo:
            kb = await self._found(repo, KnowledgeBase, kb_id)
            self._apply(kb, body.model_dump(exclude_none=True))
            await repo.flush(conflict=f"A knowledge base named {body.name!r} already exists")
        return await self.get_knowledge_base(caller, kb_id)

    async def visible_knowledge_bases(
        self, caller: Caller, kb_ids: list[uuid.UUID]
    ) -> list[uuid.UUID]:
        """``kb_ids`` if every one is the caller's tenant's; else 404 naming none of them."""
        wanted = list(dict.fromkeys(kb_ids))
        async with self._repo(caller) as repo:
            found = await repo.existing_knowledge_bases(wanted)
        if len(found) != len(wanted):
            raise NotFound("Knowledge base not found")
        return wanted

    async def delete_knowledge_base(self, caller: Caller, kb_id: uuid.UUID) -> None:
        async with self._repo(caller) as repo:
            kb = await self._found(repo, KnowledgeBase, kb_id)
            removed = await repo.documents_under(kb_id=kb_id)
            await repo.session.delete(kb)
        await self._on_documents_removed(caller.tenant_id, removed, [kb_id])


def _check_config_members(config: OrchestrationConfig, members: set[uuid.UUID]) -> None:
    named = set(config.assistant_ids or []) | set(config.weights)
    strangers = named - members
    if strangers:
        raise Unprocessable(
            "The orchestration config names assistants this teammate does not have",
            details={"unknown_assistant_ids": sorted(str(i) for i in strangers)},
        )


def _assistant_out(assistant: Assistant, kb_ids: list[uuid.UUID]) -> AssistantOut:
    return AssistantOut.model_validate(
        {
            **{
                c: getattr(assistant, c)
                for c in AssistantOut.model_fields
                if c != "knowledge_base_ids"
            },
            "knowledge_base_ids": kb_ids,
        }
    )


def _instruction_out(assistant: Assistant) -> InstructionOut:
    return InstructionOut(
        assistant_id=assistant.id,
        system_prompt=assistant.instruction,
        updated_at=assistant.instruction_updated_at,
    )
