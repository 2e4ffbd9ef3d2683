"""Sessions over HTTP."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator


class SessionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    challenge_id: uuid.UUID


# Generous bounds that stop a client from making the server parse megabytes; the engine applies
# the real limits (MAX_ANSWER_CHARS, the step's option count) with clear messages.
AnswerText = Annotated[str, Field(max_length=50_000)]
AnswerChoices = Annotated[list[int], Field(max_length=100)]


class Attempt(BaseModel):
    model_config = ConfigDict(extra="forbid")

    answer: int | bool | AnswerText | AnswerChoices = Field(
        description="An option index (MCQ_SINGLE, TRUE_FALSE: 0 = True), a list of indices "
        "(MCQ_MULTI), true/false (TRUE_FALSE) or text (CHAT)."
    )


ACTIONS = ("continue", "hint", "abandon")


class Action(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: str = Field(max_length=32, description="continue, hint or abandon (any case)")

    @field_validator("action")
    @classmethod
    def _known(cls, value: str) -> str:
        name = value.strip().lower()
        if name not in ACTIONS:
            raise ValueError(f"Unknown action: {value}. Valid actions: {', '.join(ACTIONS)}")
        return name


class CoachQuestion(BaseModel):
    model_config = ConfigDict(extra="forbid")

    session_id: uuid.UUID
    message: str = Field(min_length=1, max_length=2000)


class CoachAnswer(BaseModel):
    content: str
    available: bool


class SessionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    user_id: uuid.UUID
    challenge_id: uuid.UUID
    challenge_version: int
    status: str
    current_step_index: int
    total_score: int
    max_possible_score: int
    mistakes_count: int
    hints_used: int
    passed: bool | None
    percentage: float | None
    created_at: datetime
    started_at: datetime | None
    completed_at: datetime | None


class SessionView(BaseModel):
    session: SessionOut
    ui_response: dict[str, Any]


class ReplayCheck(BaseModel):
    session_id: uuid.UUID
    last_sequence: int
    snapshots_checked: int
    consistent: bool
    mismatches: list[int]
    """Sequences whose stored snapshot differs from a full replay."""
