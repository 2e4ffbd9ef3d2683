"""What a learner's client is shown of a session: the ``ui_response``.

Built from the state and the challenge version, it declares the one input the client may render
(``ui_mode``) and carries option texts only: answer keys, rubrics, Game Master context and system
prompts never appear here.
"""

from __future__ import annotations

from typing import Any

from curiouscore.engine.definitions import CHOICE_STEP_TYPES, ChallengeDefinition, StepType
from curiouscore.engine.machine import Rules
from curiouscore.engine.state import ACTIVE, SessionState


def ui_response(
    state: SessionState, challenge: ChallengeDefinition, rules: Rules
) -> dict[str, Any]:
    total = len(challenge.steps)
    index = min(state.current_step_index, max(total - 1, 0))
    step = challenge.steps[index] if total else None
    done = sum(1 for progress in state.steps if progress.done)
    progress = state.steps[index] if state.steps else None
    body: dict[str, Any] = {
        "ui_mode": state.ui_mode,
        "status": state.status,
        "step_index": index,
        "total_steps": total,
        "step_title": step.title if step else "",
        "step_instruction": step.instruction if step else "",
        "messages": [
            {
                "role": m.role,
                "content": m.content,
                "timestamp": m.timestamp,
                "metadata": m.metadata,
            }
            for m in state.messages
        ],
        "score": state.total_score,
        "max_score": state.max_possible_score,
        "progress_percentage": round(done * 100 / total, 1) if total else 0.0,
        "score_percentage": (
            round(state.total_score * 100 / state.max_possible_score, 1)
            if state.max_possible_score
            else 0.0
        ),
        "hints_used": state.hints_used,
        "mistakes_count": state.mistakes_count,
        "steps": [
            {
                "step_index": number,
                "title": definition.title,
                "attempts": record.attempts,
                "score": record.best_score,
                "max_score": record.max_score,
                "passed": record.passed,
                "done": record.done,
                "hints_used": record.hints_used,
            }
            for number, (definition, record) in enumerate(
                zip(challenge.steps, state.steps, strict=False)
            )
        ],
        "options": None,
        "can_continue": False,
        "hints_remaining": 0,
        "outcome": None,
    }
    if state.outcome is not None:
        body["outcome"] = {
            "final_score": state.outcome.final_score,
            "max_score": state.outcome.max_score,
            "percentage": state.outcome.percentage,
            "passed": state.outcome.passed,
        }
    if state.status != ACTIVE or step is None or progress is None:
        return body
    body["hints_remaining"] = max(0, rules.max_hints_per_step - progress.hints_used)
    if challenge.is_simple and state.simple is not None:
        if state.simple.ui_mode == StepType.MCQ_SINGLE.value:
            body["options"] = list(state.simple.options)
        body["can_continue"] = state.simple.ui_mode == StepType.CONTINUE_GATE.value
        body.update(state.simple.progress)
        return body
    if state.ui_mode in CHOICE_STEP_TYPES:
        body["options"] = list(step.choices)
    body["can_continue"] = step.step_type is StepType.CONTINUE_GATE or (
        step.step_type is StepType.CHAT
        and progress.failed_evaluations >= rules.max_failed_evaluations
    )
    if step.step_type is StepType.CONTINUE_GATE:
        body["hints_remaining"] = 0
    return body
