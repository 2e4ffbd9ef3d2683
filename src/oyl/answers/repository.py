"""Conversations, messages and feedback: a caller sees only their own conversations."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func
from sqlalchemy.dialects.postgresql import insert

from oyl.models import ChatMessage, Conversation, Feedback
from oyl.pagination import Paging
from oyl.scoped import TenantRepository


class ConversationRepository(TenantRepository):
    def __init__(self, session, tenant_id: uuid.UUID, subject: str) -> None:
        super().__init__(session, tenant_id)
        self.subject = subject

    def conversations_query(self):
        return self.select(Conversation).where(Conversation.subject == self.subject)

    async def conversation(self, conversation_id: uuid.UUID) -> Conversation | None:
        return await self.session.scalar(
            self.conversations_query().where(Conversation.id == conversation_id)
        )

    async def conversations(
        self, paging: Paging, teammate_id: uuid.UUID | None
    ) -> tuple[Sequence[Any], int]:
        query = self.conversations_query()
        if teammate_id is not None:
            query = query.where(Conversation.teammate_id == teammate_id)
        return await self.page(query, paging, Conversation.updated_at.desc(), Conversation.id)

    async def messages(
        self, conversation_id: uuid.UUID, last: int | None = None
    ) -> list[ChatMessage]:
        query = self.select(ChatMessage).where(ChatMessage.conversation_id == conversation_id)
        if last is not None:
            rows = await self.session.scalars(
                query.order_by(ChatMessage.sequence.desc()).limit(last)
            )
            return list(reversed(rows.all()))
        rows = await self.session.scalars(query.order_by(ChatMessage.sequence))
        return list(rows.all())

    async def own_message(self, message_id: uuid.UUID) -> ChatMessage | None:
        return await self.session.scalar(
            self.select(ChatMessage)
            .join(
                Conversation,
                (Conversation.id == ChatMessage.conversation_id)
                & (Conversation.tenant_id == ChatMessage.tenant_id),
            )
            .where(ChatMessage.id == message_id, Conversation.subject == self.subject)
        )

    async def give_feedback(self, message_id: uuid.UUID, rating: int, comment: str) -> Feedback:
        statement = insert(Feedback).values(
            id=uuid.uuid4(),
            tenant_id=self.tenant_id,
            message_id=message_id,
            subject=self.subject,
            rating=rating,
            comment=comment,
        )
        statement = statement.on_conflict_do_update(
            index_elements=[Feedback.message_id, Feedback.subject],
            set_={"rating": rating, "comment": comment, "created_at": func.now()},
        ).returning(Feedback)
        return (await self.session.scalars(statement)).one()
