"""The session event log's vocabulary: every type here is written by some path of the engine."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class EventType(StrEnum):
    SESSION_CREATED = "SESSION_CREATED"
    SESSION_STARTED = "SESSION_STARTED"
    SESSION_COMPLETED = "SESSION_COMPLETED"
    SESSION_ABANDONED = "SESSION_ABANDONED"
    STEP_ENTERED = "STEP_ENTERED"
    STEP_COMPLETED = "STEP_COMPLETED"
    STEP_FAILED = "STEP_FAILED"
    USER_SUBMITTED_ANSWER = "USER_SUBMITTED_ANSWER"
    USER_CONTINUED = "USER_CONTINUED"
    USER_REQUESTED_HINT = "USER_REQUESTED_HINT"
    SCORE_AWARDED = "SCORE_AWARDED"
    SCORE_DEDUCTED = "SCORE_DEDUCTED"
    GM_NARRATED = "GM_NARRATED"
    LEM_EVALUATED = "LEM_EVALUATED"
    HINT_PROVIDED = "HINT_PROVIDED"
    LLM_TASK_REQUESTED = "LLM_TASK_REQUESTED"
    LLM_TASK_COMPLETED = "LLM_TASK_COMPLETED"


@dataclass(frozen=True)
class NewEvent:
    """An event the engine decided on, before the service gives it a number and a time."""

    type: EventType
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Event:
    """A stored event. ``occurred_at`` is ISO 8601 text: replay reads time only from here."""

    sequence: int
    type: EventType
    data: dict[str, Any]
    occurred_at: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "sequence": self.sequence,
            "type": self.type.value,
            "data": self.data,
            "occurred_at": self.occurred_at,
        }
