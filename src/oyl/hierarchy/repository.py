"""Queries on a tenant's tree: workspaces, teammates, assistants, knowledge bases."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert

from oyl.models import (
    Assistant,
    AssistantKnowledgeBase,
    Document,
    KnowledgeBase,
    Teammate,
    Workspace,
)
from oyl.pagination import Paging
from oyl.scoped import TenantRepository


class HierarchyRepository(TenantRepository):
    async def workspaces(self, paging: Paging, name: str | None) -> tuple[Sequence[Any], int]:
        query = self.select(Workspace)
        if name:
            query = query.where(Workspace.name.icontains(name, autoescape=True))
        return await self.page(query, paging, Workspace.created_at, Workspace.id)

    async def teammates(
        self, paging: Paging, workspace_id: uuid.UUID | None, name: str | None
    ) -> tuple[Sequence[Any], int]:
        query = self.select(Teammate)
        if workspace_id is not None:
            query = query.where(Teammate.workspace_id == workspace_id)
        if name:
            query = query.where(Teammate.name.icontains(name, autoescape=True))
        return await self.page(query, paging, Teammate.created_at, Teammate.id)

    async def assistants(self, paging: Paging, teammate_id: uuid.UUID) -> tuple[Sequence[Any], int]:
        query = self.select(Assistant).where(Assistant.teammate_id == teammate_id)
        return await self.page(query, paging, Assistant.created_at, Assistant.id)

    async def assistants_of(self, teammate_id: uuid.UUID) -> Sequence[Assistant]:
        rows = await self.session.scalars(
            self.select(Assistant)
            .where(Assistant.teammate_id == teammate_id)
            .order_by(Assistant.created_at, Assistant.id)
        )
        return rows.all()

    async def knowledge_bases(
        self, paging: Paging, workspace_id: uuid.UUID | None
    ) -> tuple[Sequence[Any], int]:
        query = self.select(KnowledgeBase)
        if workspace_id is not None:
            query = query.where(KnowledgeBase.workspace_id == workspace_id)
        return await self.page(query, paging, KnowledgeBase.created_at, KnowledgeBase.id)

    async def knowledge_base_ids_in(self, workspace_id: uuid.UUID) -> list[uuid.UUID]:
        rows = await self.session.scalars(
            select(KnowledgeBase.id).where(
                KnowledgeBase.tenant_id == self.tenant_id,
                KnowledgeBase.workspace_id == workspace_id,
            )
        )
        return list(rows.all())

    async def knowledge_base_named(
        self, workspace_id: uuid.UUID, name: str
    ) -> KnowledgeBase | None:
        return await self.session.scalar(
            self.select(KnowledgeBase).where(
                KnowledgeBase.workspace_id == workspace_id, KnowledgeBase.name == name
            )
        )

    async def existing_knowledge_bases(self, kb_ids: Sequence[uuid.UUID]) -> set[uuid.UUID]:
        rows = await self.session.scalars(
            select(KnowledgeBase.id).where(
                KnowledgeBase.tenant_id == self.tenant_id, KnowledgeBase.id.in_(kb_ids)
            )
        )
        return set(rows.all())

    async def document_counts(self, kb_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, int]:
        if not kb_ids:
            return {}
        rows = await self.session.execute(
            select(Document.knowledge_base_id, func.count())
            .where(Document.tenant_id == self.tenant_id, Document.knowledge_base_id.in_(kb_ids))
            .group_by(Document.knowledge_base_id)
        )
        return {kb_id: count for kb_id, count in rows.all()}

    async def knowledge_base_ids_of(
        self, assistant_ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, list[uuid.UUID]]:
        links: dict[uuid.UUID, list[uuid.UUID]] = {i: [] for i in assistant_ids}
        if not assistant_ids:
            return links
        rows = await self.session.execute(
            select(AssistantKnowledgeBase.assistant_id, AssistantKnowledgeBase.knowledge_base_id)
            .where(
                AssistantKnowledgeBase.tenant_id == self.tenant_id,
                AssistantKnowledgeBase.assistant_id.in_(assistant_ids),
            )
            .order_by(AssistantKnowledgeBase.created_at)
        )
        for assistant_id, kb_id in rows.all():
            links[assistant_id].append(kb_id)
        return links

    async def attach(self, assistant_id: uuid.UUID, kb_id: uuid.UUID) -> None:
        await self.session.execute(
            insert(AssistantKnowledgeBase)
            .values(tenant_id=self.tenant_id, assistant_id=assistant_id, knowledge_base_id=kb_id)
            .on_conflict_do_nothing()
        )

    async def detach(self, assistant_id: uuid.UUID, kb_id: uuid.UUID) -> bool:
        result = await self.session.execute(
            delete(AssistantKnowledgeBase).where(
                AssistantKnowledgeBase.tenant_id == self.tenant_id,
                AssistantKnowledgeBase.assistant_id == assistant_id,
                AssistantKnowledgeBase.knowledge_base_id == kb_id,
            )
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def documents_under(
        self, *, workspace_id: uuid.UUID | None = None, kb_id: uuid.UUID | None = None
    ) -> list[Any]:
        """(id, sha256, knowledge_base_id) of the documents a deletion is about to take away."""
        query = select(Document.id, Document.sha256, Document.knowledge_base_id).where(
            Document.tenant_id == self.tenant_id
        )
        if kb_id is not None:
            query = query.where(Document.knowledge_base_id == kb_id)
        if workspace_id is not None:
            query = query.join(
                KnowledgeBase,
                (KnowledgeBase.id == Document.knowledge_base_id)
                & (KnowledgeBase.tenant_id == Document.tenant_id),
            ).where(KnowledgeBase.workspace_id == workspace_id)
        return list((await self.session.execute(query)).all())
