"""A challenge with every step type, and a clock, for the pure engine's tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from itertools import count

import pytest

from curiouscore.engine.definitions import (
    ChallengeDefinition,
    ChallengeType,
    StepDefinition,
    StepType,
)
from curiouscore.engine.machine import Rules

RUBRIC = {"criteria": {"idea": {"description": "The main idea", "points": 20}}}


def every_step_type() -> ChallengeDefinition:
    """gate(0) -> MCQ 20 -> MULTI 30 (75%) -> TF 10 -> CHAT 40 (60%): max 100, pass 70."""
    return ChallengeDefinition(
        challenge_id="c-1",
        version=1,
        title="Everything",
        challenge_type=ChallengeType.advanced,
        passing_score=70,
        xp_reward=100,
        steps=(
            StepDefinition(
                0, StepType.CONTINUE_GATE, "Welcome", "Press continue", points_possible=0
            ),
            StepDefinition(
                1,
                StepType.MCQ_SINGLE,
                "Pick",
                "Pick B",
                options=("A", "B", "C"),
                correct_answer=1,
                points_possible=20,
                passing_threshold=100,
            ),
            StepDefinition(
                2,
                StepType.MCQ_MULTI,
                "Many",
                "Pick A, B, D",
                options=("A", "B", "C", "D", "E"),
                correct_answers=(0, 1, 3),
                points_possible=30,
                passing_threshold=66,
            ),
            StepDefinition(
                3, StepType.TRUE_FALSE, "TF", "Say False", correct_answer=1, points_possible=10
            ),
            StepDefinition(
                4,
                StepType.CHAT,
                "Explain",
                "Explain it",
                rubric=RUBRIC,
                points_possible=40,
                passing_threshold=60,
            ),
        ),
    )


def prompted() -> ChallengeDefinition:
    """A simple challenge: one synthetic CHAT step worth the 50 XP reward; pass at 60%."""
    return ChallengeDefinition(
        challenge_id="c-simple",
        version=1,
        title="Prompted",
        challenge_type=ChallengeType.simple,
        passing_score=60,
        xp_reward=50,
        steps=(StepDefinition(0, StepType.CHAT, "Prompted", "Talk", points_possible=50),),
        system_prompt="Teach the learner.",
    )


@pytest.fixture
def simple() -> ChallengeDefinition:
    return prompted()


@pytest.fixture
def challenge() -> ChallengeDefinition:
    return every_step_type()


@pytest.fixture
def rules() -> Rules:
    return Rules(max_hints_per_step=2, hint_penalty_percent=10, max_failed_evaluations=2)


@pytest.fixture
def clock() -> Iterator[Callable[[], str]]:
    """Distinct, increasing ISO timestamps: replay must reproduce them from events alone."""
    ticks = count()

    def now() -> str:
        second = next(ticks)
        return f"2026-01-01T00:{second // 60:02d}:{second % 60:02d}.000+00:00"

    yield now
