"""What a challenge is, as the engine sees it: an immutable, versioned definition.

A session plays one version of its challenge; the definition (answer keys included) is stored
with that version, so replaying a session never depends on later edits.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any


class StepType(StrEnum):
    MCQ_SINGLE = "MCQ_SINGLE"
    MCQ_MULTI = "MCQ_MULTI"
    TRUE_FALSE = "TRUE_FALSE"
    CHAT = "CHAT"
    CONTINUE_GATE = "CONTINUE_GATE"


CHOICE_STEP_TYPES = frozenset({StepType.MCQ_SINGLE, StepType.MCQ_MULTI, StepType.TRUE_FALSE})
"""Step types answered by picking options (their ``ui_mode`` strings compare equal too)."""


class ChallengeType(StrEnum):
    simple = "simple"
    advanced = "advanced"


TRUE_FALSE_OPTIONS = ("True", "False")
"""Index 0 is True and 1 is False, everywhere (the upstream seeds had them inverted)."""


@dataclass(frozen=True)
class StepDefinition:
    step_index: int
    step_type: StepType
    title: str
    instruction: str
    options: tuple[str, ...] = ()
    correct_answer: int | None = None
    correct_answers: tuple[int, ...] = ()
    points_possible: int = 10
    passing_threshold: int = 70
    rubric: dict[str, Any] | None = None
    gm_context: str = ""
    auto_narrate: bool = True

    @property
    def choices(self) -> tuple[str, ...]:
        if self.step_type is StepType.TRUE_FALSE and not self.options:
            return TRUE_FALSE_OPTIONS
        return self.options

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["step_type"] = self.step_type.value
        data["options"] = list(self.options)
        data["correct_answers"] = list(self.correct_answers)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StepDefinition:
        return cls(
            step_index=int(data["step_index"]),
            step_type=StepType(data["step_type"]),
            title=data["title"],
            instruction=data["instruction"],
            options=tuple(data.get("options") or ()),
            correct_answer=data.get("correct_answer"),
            correct_answers=tuple(data.get("correct_answers") or ()),
            points_possible=int(data.get("points_possible", 10)),
            passing_threshold=int(data.get("passing_threshold", 70)),
            rubric=data.get("rubric"),
            gm_context=data.get("gm_context") or "",
            auto_narrate=bool(data.get("auto_narrate", True)),
        )


@dataclass(frozen=True)
class ChallengeDefinition:
    challenge_id: str
    version: int
    title: str
    challenge_type: ChallengeType
    passing_score: int
    xp_reward: int
    steps: tuple[StepDefinition, ...]
    system_prompt: str = ""
    description: str = ""
    difficulty: str = "beginner"
    extra: dict[str, Any] = field(default_factory=dict)
    """Content the engine does not interpret (help resources, progress tracking...)."""

    @property
    def is_simple(self) -> bool:
        return self.challenge_type is ChallengeType.simple

    def step(self, index: int) -> StepDefinition:
        return self.steps[index]

    def to_dict(self) -> dict[str, Any]:
        return {
            "challenge_id": self.challenge_id,
            "version": self.version,
            "title": self.title,
            "challenge_type": self.challenge_type.value,
            "passing_score": self.passing_score,
            "xp_reward": self.xp_reward,
            "steps": [step.to_dict() for step in self.steps],
            "system_prompt": self.system_prompt,
            "description": self.description,
            "difficulty": self.difficulty,
            "extra": self.extra,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ChallengeDefinition:
        return cls(
            challenge_id=data["challenge_id"],
            version=int(data["version"]),
            title=data["title"],
            challenge_type=ChallengeType(data["challenge_type"]),
            passing_score=int(data["passing_score"]),
            xp_reward=int(data["xp_reward"]),
            steps=tuple(StepDefinition.from_dict(s) for s in data["steps"]),
            system_prompt=data.get("system_prompt") or "",
            description=data.get("description") or "",
            difficulty=data.get("difficulty") or "beginner",
            extra=data.get("extra") or {},
        )

    def content_hash(self) -> str:
        """Identifies the content regardless of its version number (what a new version needs)."""
        content = self.to_dict()
        content.pop("version")
        return hashlib.sha256(canonical_json(content).encode()).hexdigest()


def canonical_json(value: Any) -> str:
    """One text per value (sorted keys, no spaces): what "byte for byte the same" compares."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
