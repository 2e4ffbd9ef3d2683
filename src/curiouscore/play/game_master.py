"""The LLM roles of a session, as single-purpose calls: narrate, evaluate, hint, teach, coach.

Every call goes through the kit's client, bounded by ``LLM_TIMEOUT_SECONDS`` as a whole (retries
included) and by the per-user ``LLM_MAX_REQUESTS_PER_MINUTE``. Failures become a ``TaskResult``
with an error category: provider text never reaches a learner or the event log.
"""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime
from typing import Any

import limits

from curiouscore.config import Settings
from curiouscore.engine.definitions import CHOICE_STEP_TYPES, ChallengeDefinition
from curiouscore.engine.machine import LLMTask, TaskKind, TaskResult
from curiouscore.engine.simple_mode import ProgressTracking, metadata_contract
from curiouscore.engine.state import SessionState
from servicekit.llm import (
    Completion,
    LLMClient,
    LLMError,
    LLMRateLimited,
    LLMResponseError,
    LLMTimeout,
    Message,
    ProviderNotConfigured,
    UnknownModel,
)
from servicekit.logging import get_logger
from servicekit.ratelimit import RateLimiter

log = get_logger("curiouscore.llm")

LEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "raw_score": {"type": "number"},
        "rationale": {"type": "string"},
        "criteria_scores": {"type": "object", "additionalProperties": {"type": "number"}},
        "passed": {"type": "boolean"},
    },
    "required": ["raw_score", "rationale", "criteria_scores", "passed"],
}

GM_SYSTEM = (
    "You are the Game Master of a short learning challenge. Write two or three encouraging "
    "sentences that introduce the current step. Never reveal answers and never decide scores."
)
LEM_SYSTEM = (
    "You are a strict, fair evaluator. Grade the learner's answer only against the rubric. "
    "Reply with JSON only. Address the learner as 'you' in the rationale: be specific about "
    "what was good and what is missing, and encouraging."
)
HINT_SYSTEM = (
    "You are a Socratic guide. Give one or two sentences that nudge the learner towards the "
    "answer with a question or a pointer. Never give the answer itself."
)
COACH_SYSTEM = (
    "You are a study coach for one learning challenge. Only discuss this challenge's topic. "
    "Never give the answer to the current step; help the learner think instead. Stay under "
    "120 words."
)

_TASK_LIMITS = {
    TaskKind.narrate: (0.7, 300),
    TaskKind.evaluate: (0.0, 500),
    TaskKind.hint: (0.5, 200),
    TaskKind.teach: (0.7, 2000),
}


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


class GameMaster:
    def __init__(self, llm: LLMClient, settings: Settings, limiter: RateLimiter) -> None:
        self.llm = llm
        self.settings = settings
        self.limiter = limiter
        # Shortest window first: a request refused by the minute costs nothing from the day.
        self._budget = [
            limits.parse(f"{settings.llm_max_requests_per_minute}/minute"),
            limits.parse(f"{settings.llm_max_requests_per_day}/day"),
        ]

    def model_for(self, assigned: str | None) -> str | None:
        """The challenge's assigned model, else the service default; None: no LLM at all."""
        return assigned or self.settings.default_model

    async def within_budget(self, user_id: str) -> bool:
        """Spend one of the user's LLM requests (per minute and per day); False when none is
        left."""
        decision = await self.limiter.hit(self._budget, "llm", f"user:{user_id}")
        return decision.allowed

    async def run(
        self, task: LLMTask, state: SessionState, challenge: ChallengeDefinition, model: str | None
    ) -> TaskResult:
        requested_at = now_iso()
        if model is None:
            return TaskResult(False, "", requested_at, error="not_configured")
        messages = self._messages(task, state, challenge)
        temperature, max_tokens = _TASK_LIMITS[task.kind]
        schema = LEM_SCHEMA if task.kind is TaskKind.evaluate else None
        started = time.perf_counter()
        try:
            completion = await self._complete(messages, model, temperature, max_tokens, schema)
        except LLMError as error:
            category = _category(error)
            log.warning("llm task failed", task=task.kind.value, model=model, error=category)
            return TaskResult(
                False,
                model,
                requested_at,
                latency_ms=round((time.perf_counter() - started) * 1000),
                error=category,
            )
        data = completion.data if isinstance(completion.data, dict) else None
        if data is not None and not _storable(data):
            # NaN or Infinity parse as JSON in Python but cannot be stored (JSONB refuses them).
            log.warning("llm task failed", task=task.kind.value, model=model, error="non_finite")
            return TaskResult(False, model, requested_at, error="invalid_output")
        usage = completion.usage
        log.info(
            "llm task done",
            task=task.kind.value,
            model=completion.model,
            latency_ms=round(completion.latency_s * 1000),
            tokens=usage.total_tokens,
        )
        return TaskResult(
            True,
            completion.model,
            requested_at,
            text=completion.text,
            data=data,
            latency_ms=round(completion.latency_s * 1000),
            prompt_tokens=usage.prompt_tokens,
            completion_tokens=usage.completion_tokens,
            cost_usd=round(completion.cost_usd or 0.0, 6),
        )

    async def coach(
        self, challenge: ChallengeDefinition, state: SessionState, question: str, model: str | None
    ) -> str | None:
        """The sidebar coach, bounded to this session's challenge; None when unavailable."""
        if model is None:
            return None
        step = challenge.step(min(state.current_step_index, len(challenge.steps) - 1))
        messages: list[Message] = [
            {"role": "system", "content": COACH_SYSTEM},
            {
                "role": "user",
                "content": (
                    f"Challenge: {challenge.title}\nCurrent step: {step.title}\n"
                    f"{step.instruction}{_current_question(challenge, state)}\n\n"
                    f"Learner's question: {question}"
                ),
            },
        ]
        try:
            completion = await self._complete(messages, model, 0.7, 400, None)
        except LLMError as error:
            log.warning("coach failed", model=model, error=_category(error))
            return None
        return completion.text.strip() or None

    async def test_run(self, system_prompt: str, message: str, model: str) -> Completion:
        """An admin's trial turn of a simple challenge's prompt (errors propagate)."""
        messages: list[Message] = [
            {"role": "system", "content": system_prompt},
            {"role": "user", "content": message},
        ]
        return await self._complete(messages, model, 0.7, 2000, None)

    async def review_prompt(
        self, prompt: str, title: str, difficulty: str, model: str
    ) -> Completion:
        schema = {
            "type": "object",
            "properties": {
                "feedback": {"type": "string"},
                "suggestions": {"type": "array", "items": {"type": "string"}},
                "confidence": {"type": "number"},
            },
            "required": ["feedback", "suggestions", "confidence"],
        }
        messages: list[Message] = [
            {
                "role": "system",
                "content": (
                    "You review system prompts of LLM-led lessons. Rate clarity, fit to the "
                    "difficulty, pedagogy, assessment and engagement. Reply with JSON only."
                ),
            },
            {
                "role": "user",
                "content": f"Title: {title}\nDifficulty: {difficulty}\n\nPrompt:\n{prompt}",
            },
        ]
        return await self._complete(messages, model, 0.3, 800, schema)

    async def _complete(
        self,
        messages: list[Message],
        model: str,
        temperature: float,
        max_tokens: int,
        schema: dict[str, Any] | None,
    ) -> Completion:
        budget = self.settings.llm_timeout_seconds

        async def ask(conversation: list[Message]) -> Completion:
            return await self.llm.complete(
                conversation,
                model=model,
                temperature=temperature,
                max_tokens=max_tokens,
                json_schema=schema,
            )

        try:
            async with asyncio.timeout(budget):
                try:
                    return await ask(messages)
                except LLMResponseError as error:
                    if schema is None:
                        raise
                    # One repair attempt: show the model its invalid reply and the problem.
                    return await ask(
                        [
                            *messages,
                            {"role": "assistant", "content": error.text or ""},
                            {
                                "role": "user",
                                "content": f"That reply was invalid ({error}). Reply again "
                                "with valid JSON only, matching the required keys.",
                            },
                        ]
                    )
        except TimeoutError as exc:
            raise LLMTimeout(f"no answer within {budget:g} s") from exc

    def _messages(
        self, task: LLMTask, state: SessionState, challenge: ChallengeDefinition
    ) -> list[Message]:
        step = challenge.step(task.step_index)
        total = len(challenge.steps)
        if task.kind is TaskKind.teach:
            return self._teaching(task, state, challenge)
        heading = f"Step {task.step_index + 1} of {total}: {step.title}\n{step.instruction}"
        if task.kind is TaskKind.narrate:
            context = f"\nContext from the author: {step.gm_context}" if step.gm_context else ""
            user = (
                f"Challenge: {challenge.title}\n{heading}\n"
                f"Score so far: {state.total_score}/{state.max_possible_score}{context}\n\n"
                "Write a brief introduction to this step."
            )
            return [{"role": "system", "content": GM_SYSTEM}, {"role": "user", "content": user}]
        if task.kind is TaskKind.evaluate:
            user = (
                f"{heading}\n\nLearner's answer:\n{task.answer}\n\n"
                f"Rubric (score out of {step.points_possible} points):\n"
                f"{json.dumps(step.rubric or {}, indent=2)}\n\n"
                "Return JSON with keys raw_score (number of points), rationale, "
                "criteria_scores (points per criterion) and passed."
            )
            return [{"role": "system", "content": LEM_SYSTEM}, {"role": "user", "content": user}]
        attempts = [
            m.content
            for m in state.messages
            if m.role == "user" and (m.metadata or {}).get("step_index") == task.step_index
        ][-3:]
        tried = "\n".join(f"- {a}" for a in attempts) or "- nothing yet"
        mode = state.ui_mode if challenge.is_simple else step.step_type.value
        kind = "multiple choice" if mode in CHOICE_STEP_TYPES else "free text"
        heading += _current_question(challenge, state)
        user = (
            f"{heading}\nAnswer type: {kind}\n"
            f"Hints already given on this step: {state.steps[task.step_index].hints_used}\n"
            f"The learner's recent answers:\n{tried}\n\nGive the next hint."
        )
        return [{"role": "system", "content": HINT_SYSTEM}, {"role": "user", "content": user}]

    def _teaching(
        self, task: LLMTask, state: SessionState, challenge: ChallengeDefinition
    ) -> list[Message]:
        system = challenge.system_prompt + metadata_contract(
            xp_reward=challenge.xp_reward,
            passing_score=challenge.passing_score,
            tracking=ProgressTracking.from_config(challenge.extra.get("progress_tracking")),
        )
        messages: list[Message] = [{"role": "system", "content": system}]
        history = state.messages[:-1] if task.answer else state.messages
        for message in history:
            role = "user" if message.role == "user" else "assistant"
            messages.append({"role": role, "content": message.content})
        if task.answer:
            messages.append({"role": "user", "content": task.answer})
        else:
            messages.append(
                {
                    "role": "user",
                    "content": "Begin the challenge: welcome the learner and ask the first "
                    "question.",
                }
            )
        return messages


def _current_question(challenge: ChallengeDefinition, state: SessionState) -> str:
    """What the learner is answering, for a simple challenge: its one synthetic step says nothing
    of the lesson, the Game Master's latest turn does (hints and grading notes excluded)."""
    if not challenge.is_simple:
        return ""
    asked = next(
        (m.content for m in reversed(state.messages) if m.role == "gm" and not m.metadata), ""
    )
    return f"\nThe Game Master's current question:\n{asked}"


def _storable(data: dict[str, Any]) -> bool:
    try:
        json.dumps(data, allow_nan=False)
    except ValueError:
        return False
    return True


def _category(error: LLMError) -> str:
    if isinstance(error, LLMTimeout):
        return "timeout"
    if isinstance(error, LLMRateLimited):
        return "rate_limited"
    if isinstance(error, LLMResponseError):
        return "invalid_output"
    if isinstance(error, ProviderNotConfigured | UnknownModel):
        return "not_configured"
    return "unavailable"
