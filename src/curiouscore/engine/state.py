"""The session aggregate: what replaying a session's events produces, and what snapshots hold."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from curiouscore.engine.definitions import canonical_json

SNAPSHOT_SCHEMA_VERSION = 1
"""Bump when ``SessionState``'s shape changes: older snapshots are then ignored and replayed."""

MESSAGE_WINDOW = 200
"""Transcript messages a state keeps (the latest): far more than a challenge needs."""

CREATED, ACTIVE, COMPLETED, ABANDONED = "created", "active", "completed", "abandoned"
COMPLETED_MODE, ABANDONED_MODE = "COMPLETED", "ABANDONED"


@dataclass
class StepProgress:
    attempts: int = 0
    best_score: int = 0
    max_score: int = 0
    passed: bool = False
    done: bool = False
    """Passed, or moved past (a gate, or a CHAT step the LLM could not evaluate)."""
    hints_used: int = 0
    deducted: int = 0
    failed_evaluations: int = 0


@dataclass
class ChatMessage:
    role: str  # "gm" | "user"
    content: str
    timestamp: str
    metadata: dict[str, Any] | None = None


@dataclass
class SimpleTurn:
    """What the Game Master of a simple challenge last asked for; ``correct_answer`` stays here."""

    ui_mode: str = "CHAT"
    options: list[str] = field(default_factory=list)
    correct_answer: int | None = None
    progress: dict[str, Any] = field(default_factory=dict)


@dataclass
class Outcome:
    final_score: int
    max_score: int
    percentage: float
    passed: bool


@dataclass
class SessionState:
    session_id: str = ""
    challenge_id: str = ""
    user_id: str = ""
    challenge_version: int = 0
    status: str = CREATED
    current_step_index: int = 0
    ui_mode: str = ""
    steps: list[StepProgress] = field(default_factory=list)
    total_score: int = 0
    max_possible_score: int = 0
    messages: list[ChatMessage] = field(default_factory=list)
    mistakes_count: int = 0
    hints_used: int = 0
    simple: SimpleTurn | None = None
    outcome: Outcome | None = None
    started_at: str | None = None
    completed_at: str | None = None
    last_sequence: int = 0

    @property
    def is_finished(self) -> bool:
        return self.status in (COMPLETED, ABANDONED)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SessionState:
        values = dict(data)
        values["steps"] = [StepProgress(**s) for s in data["steps"]]
        values["messages"] = [ChatMessage(**m) for m in data["messages"]]
        values["simple"] = SimpleTurn(**data["simple"]) if data.get("simple") else None
        values["outcome"] = Outcome(**data["outcome"]) if data.get("outcome") else None
        return cls(**values)

    def canonical(self) -> str:
        return canonical_json(self.to_dict())
