"""HTTP routes of questions to teammates, conversations and feedback."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Request, Response, status
from sse_starlette import EventSourceResponse, ServerSentEvent

from oyl.answers.schemas import (
    ConversationDetail,
    ConversationOut,
    FeedbackIn,
    FeedbackOut,
    QueryRequest,
    QueryResponse,
)
from oyl.answers.service import AnswerService, public_view
from oyl.identity.roles import Action
from oyl.pagination import Page, Paging, paging
from oyl.tenancy import Caller, caller, oyl_of

router = APIRouter(prefix="/api/v1", tags=["answers"])

asker = caller(Action.query)


def answers(request: Request) -> AnswerService:
    return oyl_of(request).answers


@router.post(
    "/teammates/{teammate_id}/query",
    responses={200: {"content": {"text/event-stream": {}}, "description": "with stream=true"}},
)
async def query_teammate(
    teammate_id: uuid.UUID,
    body: QueryRequest,
    who: Caller = Depends(asker),
    service: AnswerService = Depends(answers),
) -> QueryResponse:
    """Ask a teammate: its assistants answer from their knowledge with ``[n]`` citations, or
    say the answer is not in the knowledge base. ``mode``: ``fast`` or ``reasoning``.

    With ``stream=true`` the answer comes as Server-Sent Events: ``token`` (``assistant_id``,
    ``text``) as the model writes, ``assistant`` per assistant, then ``citations``, ``usage`` and
    ``done`` (this response's body); or ``error`` (the error envelope) if answering fails."""
    if body.stream:
        prepared = await service.prepare(who, teammate_id, body)
        events = (
            ServerSentEvent(data=data, event=event)
            async for event, data in service.stream(who, prepared, body)
        )
        return EventSourceResponse(events)  # type: ignore[return-value]
    return public_view(await service.ask(who, teammate_id, body), body)


@router.get("/conversations")
async def list_conversations(
    teammate_id: uuid.UUID | None = None,
    page: Paging = Depends(paging),
    who: Caller = Depends(asker),
    service: AnswerService = Depends(answers),
) -> Page[ConversationOut]:
    """The caller's own conversations, most recent first."""
    items, total = await service.list_conversations(who, page, teammate_id)
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


@router.get("/conversations/{conversation_id}")
async def get_conversation(
    conversation_id: uuid.UUID,
    who: Caller = Depends(asker),
    service: AnswerService = Depends(answers),
) -> ConversationDetail:
    """A conversation with its messages and their citations."""
    return await service.conversation(who, conversation_id)


@router.delete("/conversations/{conversation_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_conversation(
    conversation_id: uuid.UUID,
    who: Caller = Depends(asker),
    service: AnswerService = Depends(answers),
) -> Response:
    await service.delete_conversation(who, conversation_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.put("/messages/{message_id}/feedback")
async def give_feedback(
    message_id: uuid.UUID,
    body: FeedbackIn,
    who: Caller = Depends(asker),
    service: AnswerService = Depends(answers),
) -> FeedbackOut:
    """Rate an answer (``up`` or ``down``, with an optional comment); again replaces it."""
    return await service.feedback(who, message_id, body)
