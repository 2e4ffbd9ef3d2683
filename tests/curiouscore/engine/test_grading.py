"""Grading worked examples: single choice, partial credit, thresholds, clamping."""

from __future__ import annotations

import pytest

from curiouscore.engine.definitions import StepDefinition, StepType
from curiouscore.engine.grading import (
    InvalidAnswer,
    answer_text,
    clamp_llm_score,
    grade_choice,
    hint_penalty,
    passes,
)

MULTI = StepDefinition(
    2,
    StepType.MCQ_MULTI,
    "Many",
    "Pick",
    options=("A", "B", "C", "D", "E"),
    correct_answers=(0, 1, 3),
    points_possible=30,
    passing_threshold=66,
)
SINGLE = StepDefinition(
    1, StepType.MCQ_SINGLE, "One", "Pick", options=("A", "B"), correct_answer=1, points_possible=20
)
TF = StepDefinition(3, StepType.TRUE_FALSE, "TF", "False?", correct_answer=1, points_possible=10)


@pytest.mark.parametrize(
    ("answer", "score", "passed", "correct"),
    [
        ([0, 1, 3], 30, True, True),
        ([3, 1, 0], 30, True, True),  # order does not matter
        ([0, 1], 20, True, False),  # 2 of 3 right: 20/30 = 66.7% >= 66%
        ([0], 10, False, False),
        ([0, 1, 3, 4], 20, True, False),  # a wrong pick cancels a right one
        ([0, 1, 2, 3, 4], 10, False, False),  # picking everything is not a strategy
        ([2, 4], 0, False, False),
    ],
)
def test_multi_partial_credit(answer, score, passed, correct) -> None:
    grade = grade_choice(MULTI, answer)
    assert (grade.score, grade.passed, grade.correct) == (score, passed, correct)


def test_single_choice_all_or_nothing() -> None:
    assert grade_choice(SINGLE, 1).score == 20
    assert grade_choice(SINGLE, 0).score == 0
    assert not grade_choice(SINGLE, 0).passed


def test_true_false_is_index_zero_for_true() -> None:
    assert grade_choice(TF, 1).correct  # "False" is index 1
    assert grade_choice(TF, False).correct  # JSON false means False, not index 0
    assert not grade_choice(TF, True).correct
    assert answer_text(TF, 1) == "False"


@pytest.mark.parametrize(
    ("step", "answer"),
    [
        (SINGLE, 2),
        (SINGLE, -1),
        (SINGLE, "1"),
        (SINGLE, True),
        (SINGLE, [1]),
        (MULTI, []),
        (MULTI, [5]),
        (MULTI, 1),
        (MULTI, [True]),
    ],
)
def test_malformed_answers_are_refused(step, answer) -> None:
    with pytest.raises(InvalidAnswer):
        grade_choice(step, answer)


def test_zero_point_step_passes_on_correct_without_dividing_by_zero() -> None:
    assert passes(0, 0, 70, correct=True)
    assert not passes(0, 0, 70, correct=False)


@pytest.mark.parametrize(
    ("raw", "points", "expected"),
    [(12, 10, 10), (-3, 10, 0), (7.9, 10, 7), ("8", 10, 8), ("lots", 10, 0), (None, 10, 0)],
)
def test_llm_scores_are_clamped(raw, points, expected) -> None:
    assert clamp_llm_score(raw, points) == expected


def test_hint_penalty_rounds_up() -> None:
    assert hint_penalty(40, 10) == 4
    assert hint_penalty(15, 10) == 2
    assert hint_penalty(0, 10) == 0
