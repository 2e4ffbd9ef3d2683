"""Grading of the authored step types; the engine's own arithmetic, never the LLM's.

Scores are whole points. A step passes when its score reaches ``passing_threshold`` percent of
its points; a zero-point step passes on a correct answer (no division by zero).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from curiouscore.engine.definitions import StepDefinition, StepType


class InvalidAnswer(ValueError):
    """The answer does not fit the step (wrong shape or out of range): nothing is recorded."""


@dataclass(frozen=True)
class Grade:
    score: int
    max_score: int
    passed: bool
    correct: bool


def passes(score: int, points: int, threshold: int, *, correct: bool) -> bool:
    if points <= 0:
        return correct
    return score * 100 >= threshold * points


def choice_index(step: StepDefinition, answer: Any) -> int:
    """The chosen option of an MCQ_SINGLE / TRUE_FALSE answer (JSON true/false for TRUE_FALSE)."""
    if step.step_type is StepType.TRUE_FALSE and isinstance(answer, bool):
        return 0 if answer else 1
    if isinstance(answer, bool) or not isinstance(answer, int):
        raise InvalidAnswer("Choose one option: send its index as an integer")
    if not 0 <= answer < len(step.choices):
        raise InvalidAnswer(f"Option {answer} does not exist (0..{len(step.choices) - 1})")
    return answer


def choice_indices(step: StepDefinition, answer: Any) -> list[int]:
    """The chosen options of an MCQ_MULTI answer: distinct, in range, at least one."""
    if not isinstance(answer, list) or not answer:
        raise InvalidAnswer("Choose at least one option: send a list of option indices")
    if any(isinstance(item, bool) or not isinstance(item, int) for item in answer):
        raise InvalidAnswer("Option indices must be integers")
    chosen = sorted(set(answer))
    if chosen[0] < 0 or chosen[-1] >= len(step.choices):
        raise InvalidAnswer(f"Option indices must be within 0..{len(step.choices) - 1}")
    return chosen


def _grade(step: StepDefinition, score: int, correct: bool) -> Grade:
    points = step.points_possible
    return Grade(
        score, points, passes(score, points, step.passing_threshold, correct=correct), correct
    )


def grade_single(step: StepDefinition, answer: Any) -> Grade:
    correct = choice_index(step, answer) == step.correct_answer
    return _grade(step, step.points_possible if correct else 0, correct)


def grade_multi(step: StepDefinition, answer: Any) -> Grade:
    """Partial credit: (right picks - wrong picks) / number of right options, floored at 0.

    Picking every option therefore earns nothing when there are as many distractors as keys.
    """
    chosen = set(choice_indices(step, answer))
    key = set(step.correct_answers)
    right, wrong = len(chosen & key), len(chosen - key)
    fraction = max(0, right - wrong) / len(key) if key else 0.0
    return _grade(step, math.floor(step.points_possible * fraction + 1e-9), chosen == key)


def grade_choice(step: StepDefinition, answer: Any) -> Grade:
    if step.step_type is StepType.MCQ_MULTI:
        return grade_multi(step, answer)
    return grade_single(step, answer)


def answer_text(step: StepDefinition, answer: Any) -> str:
    """How a choice answer reads in the transcript: the option texts, not their indices."""
    if step.step_type is StepType.MCQ_MULTI:
        return "; ".join(step.choices[i] for i in choice_indices(step, answer))
    return step.choices[choice_index(step, answer)]


def clamp_llm_score(raw: Any, points: int) -> int:
    """An LLM-proposed score as the engine accepts it: an integer within [0, points]."""
    try:
        value = math.floor(float(raw))
    except (TypeError, ValueError, OverflowError):
        return 0
    return max(0, min(points, value))


def hint_penalty(points: int, percent: int) -> int:
    return math.ceil(points * percent / 100)
