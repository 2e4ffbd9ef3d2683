"""Challenges and steps over HTTP: the learner's view (no prompts, no keys) and the author's."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from curiouscore.challenges.templating import reserved_names
from curiouscore.engine.definitions import StepType
from curiouscore.engine.simple_mode import ProgressTracking
from servicekit.llm import PROVIDERS

Difficulty = Literal["beginner", "intermediate", "advanced", "expert"]
Kind = Literal["simple", "advanced"]
MODEL_PATTERN = r"^[a-z0-9_-]+/\S+$"


class HelpResource(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=200)
    url: str = Field(pattern=r"^https?://", max_length=2000)
    description: str = Field(default="", max_length=1000)


class Criterion(BaseModel):
    model_config = ConfigDict(extra="forbid")

    description: str = Field(min_length=1, max_length=2000)
    points: int = Field(ge=0, le=1000)


class Rubric(BaseModel):
    """What the LEM grades a CHAT answer against."""

    model_config = ConfigDict(extra="forbid")

    criteria: dict[str, Criterion] = Field(min_length=1, max_length=20)
    total_points: int | None = Field(default=None, ge=0)
    passing_threshold: int | None = Field(default=None, ge=0, le=100)


class _ChallengeFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @field_validator("llm_model", check_fields=False)
    @classmethod
    def _known_provider(cls, value: str | None) -> str | None:
        if value is not None and value.split("/", 1)[0] not in PROVIDERS:
            raise ValueError(f"unknown provider; known: {', '.join(PROVIDERS)}")
        return value

    @field_validator("custom_variables", check_fields=False)
    @classmethod
    def _no_builtin_shadowing(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        if value and (clash := reserved_names(value)):
            raise ValueError(f"custom variables may not be named {', '.join(clash)}")
        if value and "progress_tracking" in value:
            ProgressTracking.from_config(value["progress_tracking"])  # ValueError: 422
        return value


class ChallengeCreate(_ChallengeFields):
    title: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=5000)
    tags: list[str] = Field(default_factory=list, max_length=20)
    difficulty: Difficulty = "beginner"
    challenge_type: Kind = "advanced"
    system_prompt: str = Field(default="", max_length=20000)
    custom_variables: dict[str, Any] = Field(default_factory=dict)
    estimated_time_minutes: int = Field(default=30, ge=1, le=600)
    xp_reward: int = Field(default=100, ge=0, le=10000)
    passing_score: int = Field(default=70, ge=0, le=100)
    help_resources: list[HelpResource] = Field(default_factory=list, max_length=20)
    is_active: bool = True
    llm_model: str | None = Field(default=None, pattern=MODEL_PATTERN, max_length=200)


class ChallengeUpdate(_ChallengeFields):
    title: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=5000)
    tags: list[str] | None = Field(default=None, max_length=20)
    difficulty: Difficulty | None = None
    challenge_type: Kind | None = None
    system_prompt: str | None = Field(default=None, max_length=20000)
    custom_variables: dict[str, Any] | None = None
    estimated_time_minutes: int | None = Field(default=None, ge=1, le=600)
    xp_reward: int | None = Field(default=None, ge=0, le=10000)
    passing_score: int | None = Field(default=None, ge=0, le=100)
    help_resources: list[HelpResource] | None = Field(default=None, max_length=20)
    is_active: bool | None = None
    llm_model: str | None = Field(default=None, pattern=MODEL_PATTERN, max_length=200)


class ChallengePublic(BaseModel):
    """What anyone may read: no system prompt, no steps' answer keys."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    title: str
    description: str
    tags: list[str]
    difficulty: str
    challenge_type: str
    estimated_time_minutes: int
    xp_reward: int
    passing_score: int
    help_resources: list[dict[str, Any]]
    step_count: int = 0


class ChallengeAdmin(ChallengePublic):
    system_prompt: str
    custom_variables: dict[str, Any]
    is_active: bool
    llm_model: str | None
    created_at: datetime
    updated_at: datetime


class StepFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    step_type: StepType
    title: str = Field(min_length=1, max_length=200)
    instruction: str = Field(min_length=1, max_length=10000)
    options: list[str] = Field(default_factory=list, max_length=10)
    correct_answer: int | None = None
    correct_answers: list[int] = Field(default_factory=list, max_length=10)
    points_possible: int = Field(default=10, ge=0, le=1000)
    passing_threshold: int = Field(default=70, ge=0, le=100)
    rubric: Rubric | None = None
    gm_context: str = Field(default="", max_length=10000)
    auto_narrate: bool = True


class StepCreate(StepFields):
    step_index: int | None = Field(default=None, ge=0)
    """Where to insert (later steps shift down); default: at the end."""


class StepUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    step_type: StepType | None = None
    title: str | None = Field(default=None, min_length=1, max_length=200)
    instruction: str | None = Field(default=None, min_length=1, max_length=10000)
    options: list[str] | None = Field(default=None, max_length=10)
    correct_answer: int | None = None
    correct_answers: list[int] | None = Field(default=None, max_length=10)
    points_possible: int | None = Field(default=None, ge=0, le=1000)
    passing_threshold: int | None = Field(default=None, ge=0, le=100)
    rubric: Rubric | None = None
    gm_context: str | None = Field(default=None, max_length=10000)
    auto_narrate: bool | None = None


class StepOut(BaseModel):
    """An authored step, answer keys included: admins only."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    challenge_id: uuid.UUID
    step_index: int
    step_type: str
    title: str
    instruction: str
    options: list[str]
    correct_answer: int | None
    correct_answers: list[int]
    points_possible: int
    passing_threshold: int
    rubric: dict[str, Any] | None
    gm_context: str
    auto_narrate: bool
    created_at: datetime


class ChallengeDetail(ChallengeAdmin):
    steps: list[StepOut]


class ChallengePage(BaseModel):
    items: list[ChallengeAdmin]
    total: int
    page: int
    pages: int
    limit: int


class Reorder(BaseModel):
    model_config = ConfigDict(extra="forbid")

    step_ids: list[uuid.UUID] = Field(min_length=1, max_length=200)


class ModelMapping(_ChallengeFields):
    llm_model: str | None = Field(pattern=MODEL_PATTERN, max_length=200)
    """``provider/model`` for this challenge's LLM roles; null: the service default."""


class Activation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    is_active: bool


class PromptUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    system_prompt: str = Field(max_length=20000)


class ModelAssignment(BaseModel):
    challenge_id: uuid.UUID
    title: str
    llm_model: str


class ModelOverview(BaseModel):
    default_model: str | None
    """Used by every challenge without an assignment; None: LLM roles answer "unavailable"."""
    configured_providers: list[str]
    assignments: list[ModelAssignment]


class PromptCheckRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    system_prompt: str = Field(min_length=1, max_length=20000)
    title: str = Field(default="", max_length=200)
    difficulty: Difficulty = "beginner"
    run_llm: bool = True


class TestRunRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    test_message: str = Field(min_length=1, max_length=5000)


def check_step(step: dict[str, Any]) -> dict[str, Any]:
    """The step's fields made consistent for its type, or ValueError saying what is wrong."""
    kind = StepType(step["step_type"])
    options = step.get("options") or []
    if kind in (StepType.MCQ_SINGLE, StepType.MCQ_MULTI) and len(options) < 2:
        raise ValueError(f"{kind.value} needs at least two options")
    if kind is StepType.TRUE_FALSE:
        if options not in ([], ["True", "False"]):
            raise ValueError("TRUE_FALSE options are always ['True', 'False'] (0 = True)")
        options = ["True", "False"]
    choices = len(options)
    if kind in (StepType.MCQ_SINGLE, StepType.TRUE_FALSE):
        key = step.get("correct_answer")
        if not isinstance(key, int) or isinstance(key, bool) or not 0 <= key < choices:
            raise ValueError(f"correct_answer must be an option index within 0..{choices - 1}")
        step["correct_answers"] = []
    elif kind is StepType.MCQ_MULTI:
        keys = step.get("correct_answers") or []
        if not keys or len(set(keys)) != len(keys) or not all(0 <= k < choices for k in keys):
            raise ValueError(f"correct_answers must be distinct option indices in 0..{choices - 1}")
        step["correct_answer"] = None
    else:
        step["correct_answer"], step["correct_answers"] = None, []
        if kind is not StepType.CHAT:
            options = []
    if kind is StepType.CHAT:
        if not step.get("rubric"):
            raise ValueError("a CHAT step needs a rubric")
        options = []
    elif kind is StepType.CONTINUE_GATE:
        step["points_possible"] = 0  # a gate is passed, not graded
    step["options"] = options
    return step
