"""Bodies of questions, answers, conversations and feedback."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from oyl.answers.grounding import Mode
from oyl.retrieval.schemas import Filters

Question = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]


class QueryRequest(BaseModel):
    query: Question
    mode: Mode = Mode.fast
    top_k: int | None = Field(default=None, ge=1, le=20)
    conversation_id: uuid.UUID | None = None
    """Continue a conversation (its last turns are given to the model); default: a new one."""
    include_reasoning: bool = False
    """Return the model's reasoning (``reasoning`` mode); it is never part of the answer."""
    stream: bool = False
    """Answer as Server-Sent Events: ``token`` events as the answer is generated, one
    ``assistant`` event per assistant, then ``citations``, ``usage`` and ``done`` (the whole
    response); a failure midway is an ``error`` event instead of ``done``."""
    filters: Filters = Field(default_factory=Filters)


class Citation(BaseModel):
    n: int
    document_id: uuid.UUID
    document_name: str
    page: int
    chunk_id: uuid.UUID
    snippet: str
    score: float


class UsageOut(BaseModel):
    prompt_tokens: int = 0
    completion_tokens: int = 0


class AssistantAnswer(BaseModel):
    assistant_id: uuid.UUID
    assistant_name: str
    answer: str
    found: bool
    citations: list[Citation]
    model: str | None
    reasoning: str | None = None
    usage: UsageOut = Field(default_factory=UsageOut)


class QueryResponse(BaseModel):
    query: str
    mode: Mode
    strategy: str
    answer: str
    found: bool
    citations: list[Citation]
    assistants: list[AssistantAnswer]
    """Each answering assistant's own answer (the attribution)."""
    reasoning: str | None = None
    conversation_id: uuid.UUID
    message_id: uuid.UUID
    usage: UsageOut
    took_ms: float


class ConversationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    teammate_id: uuid.UUID
    title: str
    created_at: datetime
    updated_at: datetime


class MessageOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    role: str
    content: str
    mode: str | None
    citations: list[dict[str, Any]]
    attributions: list[dict[str, Any]]
    created_at: datetime


class ConversationDetail(ConversationOut):
    messages: list[MessageOut]


class FeedbackIn(BaseModel):
    rating: Literal["up", "down"]
    comment: Annotated[str, StringConstraints(strip_whitespace=True, max_length=4000)] = ""


class FeedbackOut(BaseModel):
    message_id: uuid.UUID
    rating: Literal["up", "down"]
    comment: str
    created_at: datetime
