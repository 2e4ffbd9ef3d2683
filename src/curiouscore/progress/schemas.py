"""Progress over HTTP."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict


class BadgeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    description: str
    icon: str
    badge_type: str
    xp_reward: int


class EarnedBadge(BaseModel):
    badge_id: str
    earned_at: datetime
    badge: BadgeOut


class LeaderboardEntry(BaseModel):
    rank: int
    username: str
    xp: int
    level: int
    badges: int
    # Usernames are not unique: whether a row is the viewer's own is told by this flag.
    is_you: bool = False


class ChallengeProgress(BaseModel):
    challenge_id: uuid.UUID
    title: str
    status: str
    """``not_started``, ``in_progress``, ``completed`` (passed) or ``attempted`` (not passed)."""
    progress_percent: float
    best_percentage: float | None
    passed: bool
    resume_session_id: uuid.UUID | None


class Dashboard(BaseModel):
    total_xp: int
    level: int
    xp_into_level: int
    xp_per_level: int
    completed_count: int
    badges: int
    challenges: list[ChallengeProgress]


class StepFigures(BaseModel):
    step_index: int
    title: str | None
    attempts: int
    failures: int
    completions: int
    first_try_rate: float | None
    """Completions per attempt: 1.0 means everyone got it right at once."""


class LLMFigures(BaseModel):
    calls: int
    failures: int
    average_latency_ms: float
    tokens: int
    cost_usd: float


class ChallengeAnalytics(BaseModel):
    challenge_id: uuid.UUID
    sessions: int
    started: int
    completed: int
    passed: int
    pass_rate: float | None
    """Passed among completed sessions."""
    average_percentage: float | None
    average_completion_seconds: float | None
    steps: list[StepFigures]
    most_failed_steps: list[int]
    llm: LLMFigures
    """The Game Master's calls in this challenge's sessions (the cost log)."""
