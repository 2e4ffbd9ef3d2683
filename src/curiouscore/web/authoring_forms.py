"""The admin's challenge and step forms, read into the API's request bodies and back.

Pure functions over form fields (``{name: [values]}``): the admin router validates the result
with the API's own schemas, so a form accepts exactly what ``/admin/challenges`` accepts.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from curiouscore.challenges.schemas import ChallengeAdmin, StepOut
from curiouscore.engine.definitions import StepType

OPTION_ROWS = 6
"""Option inputs on the step form (the API allows up to ten; six fit every seeded step)."""

Form = Mapping[str, Sequence[str]]


class FormError(ValueError):
    """A field that cannot even be read (bad JSON); the message names it."""


def _one(form: Form, name: str, default: str = "") -> str:
    values = form.get(name) or []
    return values[0] if values else default


def _json_object(form: Form, name: str, label: str) -> Any:
    text = _one(form, name).strip()
    if not text:
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise FormError(f"{label} is not valid JSON ({exc.msg}, line {exc.lineno})") from exc


def challenge_values(form: Form) -> dict[str, Any]:
    """A ``ChallengeCreate`` body (numbers left as text for the schema to check)."""
    tags = [t.strip() for t in _one(form, "tags").split(",") if t.strip()]
    variables = _json_object(form, "custom_variables", "Custom variables")
    return {
        "title": _one(form, "title").strip(),
        "description": _one(form, "description").strip(),
        "tags": tags,
        "difficulty": _one(form, "difficulty", "beginner"),
        "challenge_type": _one(form, "challenge_type", "advanced"),
        "system_prompt": _one(form, "system_prompt"),
        "custom_variables": variables if variables is not None else {},
        "estimated_time_minutes": _one(form, "estimated_time_minutes", "30"),
        "xp_reward": _one(form, "xp_reward", "100"),
        "passing_score": _one(form, "passing_score", "70"),
        "is_active": bool(form.get("is_active")),
        "llm_model": _one(form, "llm_model").strip() or None,
    }


def challenge_defaults(challenge: ChallengeAdmin | None) -> dict[str, Any]:
    """The challenge form's initial values."""
    if challenge is None:
        return {
            "title": "",
            "description": "",
            "tags": "",
            "difficulty": "beginner",
            "challenge_type": "advanced",
            "system_prompt": "",
            "custom_variables": "",
            "estimated_time_minutes": 30,
            "xp_reward": 100,
            "passing_score": 70,
            "is_active": True,
            "llm_model": "",
        }
    return {
        "title": challenge.title,
        "description": challenge.description,
        "tags": ", ".join(challenge.tags),
        "difficulty": challenge.difficulty,
        "challenge_type": challenge.challenge_type,
        "system_prompt": challenge.system_prompt,
        "custom_variables": (
            json.dumps(challenge.custom_variables, indent=2) if challenge.custom_variables else ""
        ),
        "estimated_time_minutes": challenge.estimated_time_minutes,
        "xp_reward": challenge.xp_reward,
        "passing_score": challenge.passing_score,
        "is_active": challenge.is_active,
        "llm_model": challenge.llm_model or "",
    }


def form_echo(form: Form) -> dict[str, Any]:
    """The submitted fields, to show the form again as the admin left it."""
    return {name: values[0] if len(values) == 1 else list(values) for name, values in form.items()}


def step_values(form: Form) -> dict[str, Any]:
    """A ``StepCreate`` body: option rows left blank are dropped, and the "correct" marks follow
    their options to their new positions."""
    kind = _one(form, "step_type")
    marked = set(form.get("correct") or [])
    options: list[str] = []
    correct: list[int] = []
    for row in range(OPTION_ROWS):
        text = _one(form, f"option_{row}").strip()
        if not text:
            continue
        if str(row) in marked:
            correct.append(len(options))
        options.append(text)
    values: dict[str, Any] = {
        "step_type": kind,
        "title": _one(form, "title").strip(),
        "instruction": _one(form, "instruction").strip(),
        "options": [],
        "correct_answer": None,
        "correct_answers": [],
        "points_possible": _one(form, "points_possible", "10"),
        "passing_threshold": _one(form, "passing_threshold", "70"),
        "rubric": None,
        "gm_context": _one(form, "gm_context"),
        "auto_narrate": bool(form.get("auto_narrate")),
    }
    if kind == StepType.MCQ_SINGLE:
        if len(correct) != 1:
            raise FormError("Mark exactly one option as correct")
        values["options"], values["correct_answer"] = options, correct[0]
    elif kind == StepType.MCQ_MULTI:
        if not correct:
            raise FormError("Mark at least one option as correct")
        values["options"], values["correct_answers"] = options, correct
    elif kind == StepType.TRUE_FALSE:
        answer = _one(form, "true_false")
        if answer not in ("0", "1"):
            raise FormError("Choose whether the statement is true or false")
        values["correct_answer"] = int(answer)  # 0 = True, 1 = False, as the engine's options
    elif kind == StepType.CHAT:
        values["rubric"] = _json_object(form, "rubric", "Rubric")
        if values["rubric"] is None:
            raise FormError("A CHAT step needs a rubric")
    return values


def step_defaults(step: StepOut | None) -> dict[str, Any]:
    """The step form's initial values, options padded to ``OPTION_ROWS`` rows."""
    if step is None:
        return {
            "step_type": "MCQ_SINGLE",
            "title": "",
            "instruction": "",
            "options": [""] * OPTION_ROWS,
            "correct": set(),
            "true_false": "",
            "points_possible": 10,
            "passing_threshold": 70,
            "rubric": "",
            "gm_context": "",
            "auto_narrate": True,
        }
    options = step.options if step.step_type != StepType.TRUE_FALSE else []
    correct = set(step.correct_answers)
    if step.correct_answer is not None and step.step_type == StepType.MCQ_SINGLE:
        correct = {step.correct_answer}
    return {
        "step_type": step.step_type,
        "title": step.title,
        "instruction": step.instruction,
        "options": list(options) + [""] * (OPTION_ROWS - len(options)),
        "correct": {str(i) for i in correct},
        "true_false": (str(step.correct_answer) if step.step_type == StepType.TRUE_FALSE else ""),
        "points_possible": step.points_possible,
        "passing_threshold": step.passing_threshold,
        "rubric": json.dumps(step.rubric, indent=2) if step.rubric else "",
        "gm_context": step.gm_context,
        "auto_narrate": step.auto_narrate,
    }


def step_echo(form: Form) -> dict[str, Any]:
    """A rejected step form, as the admin left it."""
    return {
        "step_type": _one(form, "step_type"),
        "title": _one(form, "title"),
        "instruction": _one(form, "instruction"),
        "options": [_one(form, f"option_{row}") for row in range(OPTION_ROWS)],
        "correct": set(form.get("correct") or []),
        "true_false": _one(form, "true_false"),
        "points_possible": _one(form, "points_possible"),
        "passing_threshold": _one(form, "passing_threshold"),
        "rubric": _one(form, "rubric"),
        "gm_context": _one(form, "gm_context"),
        "auto_narrate": bool(form.get("auto_narrate")),
    }


def moved(step_ids: Sequence[str], step_id: str, direction: str) -> list[str]:
    """The step order after moving ``step_id`` one place ``up`` or ``down`` (ends stay)."""
    order = list(step_ids)
    if step_id not in order:
        raise FormError("Unknown step")
    at = order.index(step_id)
    to = at - 1 if direction == "up" else at + 1
    if 0 <= to < len(order):
        order[at], order[to] = order[to], order[at]
    return order
