"""The authoritative state machine: commands become events, events become state.

``apply`` is the only function that changes a ``SessionState``; it reads nothing but the event
and the challenge version being played, so replaying the same events always gives the same state,
byte for byte. ``Game``'s commands validate what the learner may do now, then emit events through
``apply`` as they go (a decision sees the state its own earlier events produced). LLM work is
returned as tasks; the service runs them and hands each result back to ``Game.resolve``.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from curiouscore.engine.definitions import ChallengeDefinition, StepType
from curiouscore.engine.events import Event, EventType
from curiouscore.engine.grading import (
    InvalidAnswer,
    answer_text,
    choice_index,
    clamp_llm_score,
    grade_choice,
    hint_penalty,
    passes,
)
from curiouscore.engine.simple_mode import read_reply
from curiouscore.engine.state import (
    ABANDONED,
    ABANDONED_MODE,
    ACTIVE,
    COMPLETED,
    COMPLETED_MODE,
    CREATED,
    MESSAGE_WINDOW,
    ChatMessage,
    Outcome,
    SessionState,
    SimpleTurn,
    StepProgress,
)

NARRATION_UNAVAILABLE = "The Game Master is quiet for a moment. Carry on with the step below."
EVALUATION_UNAVAILABLE = (
    "We couldn't evaluate your answer just now. Nothing is lost: send it again in a moment."
)
EVALUATION_UNAVAILABLE_MOVE_ON = (
    "We still couldn't evaluate your answer. You can send it again, or use Continue to move on "
    "to the next step (this step then scores 0)."
)
HINT_UNAVAILABLE = "Hints are unavailable right now. Re-read the instruction and try one idea."
TEACHING_UNAVAILABLE = "The Game Master needs a moment. Send your message again to carry on."


class NotAllowed(Exception):
    """The command does not fit the session's state (finished, wrong step type, no hints...)."""


class TaskKind(StrEnum):
    narrate = "narrate"
    evaluate = "evaluate"
    hint = "hint"
    teach = "teach"


@dataclass(frozen=True)
class Rules:
    """Policy the service configures; consulted when deciding, never when applying."""

    max_hints_per_step: int = 3
    hint_penalty_percent: int = 10
    max_failed_evaluations: int = 2
    max_answer_chars: int = 5000


@dataclass(frozen=True)
class LLMTask:
    kind: TaskKind
    step_index: int
    answer: str = ""
    scorable: bool = False
    """Teaching turns only: whether the answer may earn points (not a wrong MCQ choice)."""


@dataclass(frozen=True)
class TaskResult:
    """What running an ``LLMTask`` gave: text (or validated JSON data), or a failure."""

    ok: bool
    model: str
    requested_at: str
    text: str = ""
    data: dict[str, Any] | None = None
    latency_ms: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    error: str | None = None
    """A category (``timeout``, ``unavailable``, ``invalid_output``...), never provider text."""


@dataclass
class Decision:
    state: SessionState
    events: list[Event] = field(default_factory=list)
    tasks: list[LLMTask] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------
# Applying events


def apply(state: SessionState, event: Event, challenge: ChallengeDefinition) -> None:
    """Fold one event into ``state`` (in place)."""
    data, at = event.data, event.occurred_at
    kind = event.type
    if kind is EventType.SESSION_CREATED:
        state.session_id = data["session_id"]
        state.challenge_id = data["challenge_id"]
        state.user_id = data["user_id"]
        state.challenge_version = data["challenge_version"]
        state.steps = [StepProgress(max_score=points) for points in data["step_points"]]
        state.max_possible_score = sum(data["step_points"])
        state.status = CREATED
    elif kind is EventType.SESSION_STARTED:
        state.status = ACTIVE
        state.started_at = at
    elif kind is EventType.STEP_ENTERED:
        state.current_step_index = data["step_index"]
        state.ui_mode = data["ui_mode"]
        if challenge.is_simple:
            state.simple = SimpleTurn()
    elif kind is EventType.USER_SUBMITTED_ANSWER:
        state.steps[data["step_index"]].attempts += 1
        _say(state, ChatMessage("user", data["text"], at, {"step_index": data["step_index"]}))
    elif kind is EventType.USER_CONTINUED:
        _say(state, ChatMessage("user", "[Continue]", at))
    elif kind is EventType.USER_REQUESTED_HINT:
        _say(state, ChatMessage("user", "[Hint requested]", at))
    elif kind is EventType.HINT_PROVIDED:
        if data["ok"]:
            state.hints_used += 1
            state.steps[data["step_index"]].hints_used += 1
        _say(state, ChatMessage("gm", data["content"], at, {"hint": True}))
    elif kind is EventType.SCORE_DEDUCTED:
        state.steps[data["step_index"]].deducted += data["points"]
    elif kind is EventType.SCORE_AWARDED:
        step = state.steps[data["step_index"]]
        step.best_score += data["points"]
        state.total_score += data["points"]
    elif kind is EventType.STEP_COMPLETED:
        step = state.steps[data["step_index"]]
        step.done = True
        step.passed = data["passed"]
        _feedback(state, data, at)
    elif kind is EventType.STEP_FAILED:
        step = state.steps[data["step_index"]]
        if data["reason"] == "evaluation_unavailable":
            step.failed_evaluations += 1
        else:
            state.mistakes_count += 1
        _feedback(state, data, at)
    elif kind is EventType.GM_NARRATED:
        _say(state, ChatMessage("gm", data["content"], at, data.get("metadata")))
        turn = data.get("turn")
        if turn is not None:
            state.simple = SimpleTurn(**turn)
            state.ui_mode = turn["ui_mode"]
    elif kind is EventType.LEM_EVALUATED:
        metadata = {"score": data["score"], "max": data["max_score"], "passed": data["passed"]}
        _say(state, ChatMessage("gm", data["rationale"], at, metadata))
    elif kind is EventType.SESSION_COMPLETED:
        state.status = COMPLETED
        state.ui_mode = COMPLETED_MODE
        state.completed_at = at
        state.outcome = Outcome(
            final_score=data["final_score"],
            max_score=data["max_score"],
            percentage=data["percentage"],
            passed=data["passed"],
        )
    elif kind is EventType.SESSION_ABANDONED:
        state.status = ABANDONED
        state.ui_mode = ABANDONED_MODE
        state.completed_at = at
    # LLM_TASK_REQUESTED / LLM_TASK_COMPLETED are audit records: no state of their own.
    state.last_sequence = event.sequence


def _say(state: SessionState, message: ChatMessage) -> None:
    """Add to the transcript, keeping the latest ``MESSAGE_WINDOW`` messages: the state (and so
    every snapshot) stays bounded however long a learner keeps a session going."""
    state.messages.append(message)
    if len(state.messages) > MESSAGE_WINDOW:
        del state.messages[: len(state.messages) - MESSAGE_WINDOW]


def _feedback(state: SessionState, data: dict[str, Any], at: str) -> None:
    if data.get("feedback"):
        metadata = {"score": data.get("score", 0), "max": data.get("max_score", 0)}
        _say(state, ChatMessage("gm", data["feedback"], at, metadata))


def replay(
    challenge: ChallengeDefinition,
    events: Iterable[Event],
    snapshot: SessionState | None = None,
) -> SessionState:
    """The state after ``events``, starting from ``snapshot`` (its events excluded) or nothing."""
    state = copy.deepcopy(snapshot) if snapshot is not None else SessionState()
    for event in events:
        if event.sequence <= state.last_sequence:
            continue
        if event.sequence != state.last_sequence + 1:
            raise ValueError(
                f"event log gap: expected sequence {state.last_sequence + 1}, got {event.sequence}"
            )
        apply(state, event, challenge)
    return state


# ---------------------------------------------------------------------------------------------
# Deciding


class _Draft:
    """Emits events onto a private copy of the state, applying each at once."""

    def __init__(self, state: SessionState, challenge: ChallengeDefinition, now: str) -> None:
        self.decision = Decision(state=copy.deepcopy(state))
        self.challenge = challenge
        self.now = now

    @property
    def state(self) -> SessionState:
        return self.decision.state

    def emit(self, kind: EventType, data: dict[str, Any], *, at: str | None = None) -> None:
        event = Event(self.state.last_sequence + 1, kind, data, at or self.now)
        apply(self.state, event, self.challenge)
        self.decision.events.append(event)

    def task(self, kind: TaskKind, answer: str = "", *, scorable: bool = False) -> None:
        self.decision.tasks.append(
            LLMTask(kind, self.state.current_step_index, answer, scorable=scorable)
        )


class Game:
    """Commands on sessions of one challenge version."""

    def __init__(self, challenge: ChallengeDefinition, rules: Rules | None = None) -> None:
        self.challenge = challenge
        self.rules = rules or Rules()

    # -- commands ------------------------------------------------------------------------------

    def create(self, *, session_id: str, user_id: str, now: str) -> Decision:
        draft = _Draft(SessionState(), self.challenge, now)
        draft.emit(
            EventType.SESSION_CREATED,
            {
                "session_id": session_id,
                "challenge_id": self.challenge.challenge_id,
                "user_id": user_id,
                "challenge_version": self.challenge.version,
                "step_points": [step.points_possible for step in self.challenge.steps],
            },
        )
        return draft.decision

    def start(self, state: SessionState, now: str) -> Decision:
        if state.status != CREATED:
            raise NotAllowed("Session already started")
        if not self.challenge.steps:
            raise NotAllowed("This challenge has no steps configured")
        draft = _Draft(state, self.challenge, now)
        draft.emit(EventType.SESSION_STARTED, {})
        self._enter(draft, 0)
        return draft.decision

    def attempt(self, state: SessionState, answer: Any, now: str) -> Decision:
        self._require_active(state)
        if self.challenge.is_simple:
            return self._simple_attempt(state, answer, now)
        step = self.challenge.step(state.current_step_index)
        if step.step_type is StepType.CONTINUE_GATE:
            raise NotAllowed("This step is a gate: use the continue action to move on")
        draft = _Draft(state, self.challenge, now)
        if step.step_type is StepType.CHAT:
            text = self._free_text(answer)
            draft.emit(
                EventType.USER_SUBMITTED_ANSWER,
                {"step_index": step.step_index, "answer": text, "text": text},
            )
            draft.task(TaskKind.evaluate, text)
            return draft.decision
        grade = grade_choice(step, answer)  # InvalidAnswer: nothing recorded
        draft.emit(
            EventType.USER_SUBMITTED_ANSWER,
            {"step_index": step.step_index, "answer": answer, "text": answer_text(step, answer)},
        )
        self._score(draft, grade.score, grade.passed, correct=grade.correct)
        return draft.decision

    def act(self, state: SessionState, action: str, now: str) -> Decision:
        name = action.strip().lower()
        if name == "continue":
            return self._continue(state, now)
        if name == "hint":
            return self._hint(state, now)
        if name == "abandon":
            if state.is_finished:
                raise NotAllowed("Session already finished")
            draft = _Draft(state, self.challenge, now)
            draft.emit(EventType.SESSION_ABANDONED, {"step_index": state.current_step_index})
            return draft.decision
        raise NotAllowed(f"Unknown action: {action}. Valid actions: continue, hint, abandon")

    def resolve(self, state: SessionState, task: LLMTask, result: TaskResult, now: str) -> Decision:
        """Record an LLM task's run and act on its result (possibly queueing more tasks)."""
        draft = _Draft(state, self.challenge, now)
        draft.emit(
            EventType.LLM_TASK_REQUESTED,
            {"task": task.kind.value, "step_index": task.step_index, "model": result.model},
            at=result.requested_at,
        )
        draft.emit(
            EventType.LLM_TASK_COMPLETED,
            {
                "task": task.kind.value,
                "step_index": task.step_index,
                "model": result.model,
                "ok": result.ok,
                "error": result.error,
                "latency_ms": result.latency_ms,
                "prompt_tokens": result.prompt_tokens,
                "completion_tokens": result.completion_tokens,
                "cost_usd": result.cost_usd,
            },
        )
        if task.kind is TaskKind.narrate:
            content = result.text.strip() if result.ok and result.text.strip() else None
            draft.emit(
                EventType.GM_NARRATED,
                {
                    "step_index": task.step_index,
                    "kind": "narration",
                    "content": content or NARRATION_UNAVAILABLE,
                },
            )
        elif task.kind is TaskKind.hint:
            self._resolve_hint(draft, task, result)
        elif task.kind is TaskKind.evaluate:
            self._resolve_evaluation(draft, task, result)
        else:
            self._resolve_teaching(draft, task, result)
        return draft.decision

    # -- advanced steps ------------------------------------------------------------------------

    def _enter(self, draft: _Draft, index: int) -> None:
        step = self.challenge.step(index)
        draft.emit(EventType.STEP_ENTERED, {"step_index": index, "ui_mode": step.step_type.value})
        if self.challenge.is_simple:
            draft.task(TaskKind.teach)
        elif step.auto_narrate:
            draft.task(TaskKind.narrate)

    def _score(self, draft: _Draft, score: int, passed: bool, *, correct: bool | None) -> None:
        """Record one graded attempt: only a passing attempt earns points (minus hint costs).

        ``correct`` is None for rubric-graded answers, whose feedback is the LEM's rationale.
        """
        index = draft.state.current_step_index
        progress = draft.state.steps[index]
        base = {"step_index": index, "max_score": progress.max_score}
        if not passed:
            feedback = "Not quite. Try again."
            if score:
                threshold = self.challenge.step(index).passing_threshold
                feedback = f"Partly right ({score}/{progress.max_score}), but this step needs "
                feedback += f"{threshold}% to pass. Try again."
            draft.emit(
                EventType.STEP_FAILED,
                {**base, "reason": "incorrect", "score": score, "feedback": feedback},
            )
            return
        earned = max(0, min(score, progress.max_score) - progress.deducted)
        feedback = ""
        if correct is not None:
            verdict = "Correct!" if correct else "Partly right, and enough to pass."
            feedback = f"{verdict} You earned {earned}/{progress.max_score} points."
        if earned:
            draft.emit(EventType.SCORE_AWARDED, {"step_index": index, "points": earned})
        draft.emit(
            EventType.STEP_COMPLETED,
            {**base, "passed": True, "score": earned, "feedback": feedback},
        )
        self._advance(draft)

    def _advance(self, draft: _Draft) -> None:
        index = draft.state.current_step_index
        if index + 1 < len(self.challenge.steps):
            self._enter(draft, index + 1)
        else:
            self._complete(draft)

    def _complete(self, draft: _Draft) -> None:
        state = draft.state
        top = state.max_possible_score
        percentage = round(state.total_score * 100 / top, 2) if top else 100.0
        draft.emit(
            EventType.SESSION_COMPLETED,
            {
                "final_score": state.total_score,
                "max_score": top,
                "percentage": percentage,
                "passed": percentage >= self.challenge.passing_score,
            },
        )

    def _continue(self, state: SessionState, now: str) -> Decision:
        self._require_active(state)
        index = state.current_step_index
        draft = _Draft(state, self.challenge, now)
        if self.challenge.is_simple:
            if state.simple is None or state.simple.ui_mode != StepType.CONTINUE_GATE:
                raise NotAllowed("Continue is only available when the Game Master offers it")
            draft.emit(EventType.USER_CONTINUED, {"step_index": index})
            draft.task(TaskKind.teach, "Continue")
            return draft.decision
        step = self.challenge.step(index)
        progress = state.steps[index]
        if step.step_type is StepType.CONTINUE_GATE:
            draft.emit(EventType.USER_CONTINUED, {"step_index": index})
            draft.emit(
                EventType.STEP_COMPLETED,
                {"step_index": index, "passed": True, "score": 0, "max_score": 0},
            )
        elif (
            step.step_type is StepType.CHAT
            and progress.failed_evaluations >= self.rules.max_failed_evaluations
        ):
            draft.emit(EventType.USER_CONTINUED, {"step_index": index})
            draft.emit(
                EventType.STEP_COMPLETED,
                {
                    "step_index": index,
                    "passed": False,
                    "skipped": True,
                    "score": 0,
                    "max_score": progress.max_score,
                    "feedback": "Moving on: this step scores 0 because it couldn't be evaluated.",
                },
            )
        else:
            raise NotAllowed("Continue only passes a gate: answer this step to move on")
        self._advance(draft)
        return draft.decision

    def _hint(self, state: SessionState, now: str) -> Decision:
        self._require_active(state)
        index = state.current_step_index
        if (
            not self.challenge.is_simple
            and self.challenge.step(index).step_type is StepType.CONTINUE_GATE
        ):
            raise NotAllowed("A gate needs no hint: use continue")
        if state.steps[index].hints_used >= self.rules.max_hints_per_step:
            raise NotAllowed(f"No hints left for this step ({self.rules.max_hints_per_step} used)")
        draft = _Draft(state, self.challenge, now)
        draft.emit(EventType.USER_REQUESTED_HINT, {"step_index": index})
        draft.task(TaskKind.hint)
        return draft.decision

    def _resolve_hint(self, draft: _Draft, task: LLMTask, result: TaskResult) -> None:
        text = result.text.strip() if result.ok else ""
        if not text:
            draft.emit(
                EventType.HINT_PROVIDED,
                {"step_index": task.step_index, "ok": False, "content": HINT_UNAVAILABLE},
            )
            return
        progress = draft.state.steps[task.step_index]
        draft.emit(
            EventType.HINT_PROVIDED,
            {
                "step_index": task.step_index,
                "ok": True,
                "content": f"💡 Hint: {text}",
                "hint_number": progress.hints_used + 1,
            },
        )
        cost = min(
            hint_penalty(progress.max_score, self.rules.hint_penalty_percent),
            progress.max_score - progress.deducted,
        )
        if cost > 0:
            draft.emit(EventType.SCORE_DEDUCTED, {"step_index": task.step_index, "points": cost})

    def _resolve_evaluation(self, draft: _Draft, task: LLMTask, result: TaskResult) -> None:
        step = self.challenge.step(task.step_index)
        index = task.step_index
        if not result.ok or result.data is None:
            failures = draft.state.steps[index].failed_evaluations + 1
            can_move_on = failures >= self.rules.max_failed_evaluations
            message = EVALUATION_UNAVAILABLE_MOVE_ON if can_move_on else EVALUATION_UNAVAILABLE
            draft.emit(
                EventType.LEM_EVALUATED,
                {
                    "step_index": index,
                    "ok": False,
                    "raw_score": 0,
                    "score": 0,
                    "max_score": step.points_possible,
                    "rationale": message,
                    "criteria_scores": {},
                    "passed": False,
                },
            )
            draft.emit(
                EventType.STEP_FAILED,
                {"step_index": index, "reason": "evaluation_unavailable", "score": 0},
            )
            return
        data = result.data
        score = clamp_llm_score(data.get("raw_score"), step.points_possible)
        # A zero-point step has no score to threshold: the LEM's own verdict decides it.
        passed = passes(
            score, step.points_possible, step.passing_threshold, correct=data.get("passed") is True
        )
        draft.emit(
            EventType.LEM_EVALUATED,
            {
                "step_index": index,
                "ok": True,
                "raw_score": data.get("raw_score"),
                "score": score,
                "max_score": step.points_possible,
                "rationale": str(data.get("rationale", "")).strip() or "Evaluated.",
                "criteria_scores": data.get("criteria_scores") or {},
                "passed": passed,
            },
        )
        if passed:
            self._score(draft, score, True, correct=None)
        else:
            threshold = step.passing_threshold
            draft.emit(
                EventType.STEP_FAILED,
                {
                    "step_index": index,
                    "reason": "below_threshold",
                    "score": score,
                    "max_score": step.points_possible,
                    "feedback": f"This step needs {threshold}% to pass: revise and try again.",
                },
            )

    # -- simple challenges ---------------------------------------------------------------------

    def _simple_attempt(self, state: SessionState, answer: Any, now: str) -> Decision:
        turn = state.simple or SimpleTurn()
        draft = _Draft(state, self.challenge, now)
        index = state.current_step_index
        if turn.ui_mode == StepType.CONTINUE_GATE:
            raise NotAllowed("Use the continue action to move on")
        if turn.ui_mode == StepType.MCQ_SINGLE:
            step = self.challenge.step(index)
            asked = replace(step, step_type=StepType.MCQ_SINGLE, options=tuple(turn.options))
            chosen = choice_index(asked, answer)
            text = turn.options[chosen]
            correct: bool | None = None
            note = "[No answer key came with this question: grade the choice yourself.]"
            if turn.correct_answer is not None:
                correct = chosen == turn.correct_answer
                verdict = "correct" if correct else "incorrect"
                note = f"[The engine graded this choice as {verdict}.]"
            draft.emit(
                EventType.USER_SUBMITTED_ANSWER,
                {"step_index": index, "answer": chosen, "text": text, "correct": correct},
            )
            # Without a key the engine cannot grade, so the model's score stands (clamped), as
            # for free text; a wrong choice against a key earns nothing whatever it proposes.
            draft.task(TaskKind.teach, f"{text}\n{note}", scorable=correct is not False)
            return draft.decision
        text = self._free_text(answer)
        draft.emit(
            EventType.USER_SUBMITTED_ANSWER, {"step_index": index, "answer": text, "text": text}
        )
        draft.task(TaskKind.teach, text, scorable=True)
        return draft.decision

    def _resolve_teaching(self, draft: _Draft, task: LLMTask, result: TaskResult) -> None:
        state = draft.state
        index = task.step_index
        if not result.ok or not result.text.strip():
            draft.emit(
                EventType.GM_NARRATED,
                {"step_index": index, "kind": "teaching", "content": TEACHING_UNAVAILABLE},
            )
            return
        # Hints taken lower what is left to earn, as on an authored step.
        remaining = state.max_possible_score - state.total_score - state.steps[index].deducted
        directive = read_reply(
            result.text, remaining_budget=max(0, remaining), allow_score=task.scorable
        )
        turn = SimpleTurn(
            ui_mode=directive.ui_mode,
            options=directive.options,
            correct_answer=directive.correct_answer,
            progress=directive.progress,
        )
        draft.emit(
            EventType.GM_NARRATED,
            {
                "step_index": index,
                "kind": "teaching",
                "content": directive.content,
                "turn": {
                    "ui_mode": turn.ui_mode,
                    "options": turn.options,
                    "correct_answer": turn.correct_answer,
                    "progress": turn.progress,
                },
            },
        )
        if directive.score_change:
            draft.emit(
                EventType.SCORE_AWARDED, {"step_index": index, "points": directive.score_change}
            )
        if directive.complete:
            progress = state.steps[index]
            draft.emit(
                EventType.STEP_COMPLETED,
                {
                    "step_index": index,
                    "passed": passes(
                        progress.best_score,
                        progress.max_score,
                        self.challenge.passing_score,
                        correct=True,
                    ),
                    "score": progress.best_score,
                    "max_score": progress.max_score,
                },
            )
            self._complete(draft)

    # -- shared checks -------------------------------------------------------------------------

    def _require_active(self, state: SessionState) -> None:
        if state.status == CREATED:
            raise NotAllowed("Session not started: start it first")
        if state.status != ACTIVE:
            raise NotAllowed(f"Session is {state.status}: no further input is accepted")

    def _free_text(self, answer: Any) -> str:
        if isinstance(answer, bool) or not isinstance(answer, str | int | float):
            raise InvalidAnswer("Write your answer as text")
        text = str(answer).strip()
        if not text:
            raise InvalidAnswer("The answer is empty")
        if len(text) > self.rules.max_answer_chars:
            raise InvalidAnswer(
                f"The answer is longer than {self.rules.max_answer_chars} characters"
            )
        return text
