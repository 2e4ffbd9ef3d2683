"""The debate as a fixed sequence of phases, run for one model on one case.

setup -> independent (3 proposals in parallel) -> cross_exam (7 sequential steps) -> revision
(3, sequential) -> dispute (3, only when the early-stop rule does not hold) -> judge (1). That is
14 LLM calls, or 17 with a dispute, plus one retry for each invalid answer.

Each message is handed to the observer as soon as it exists, and the debate waits for the
observer, so a caller that persists and streams messages has stored each one before the next call
starts. Provider errors that survive the kit's retries propagate, and so does cancellation: a
debate that cannot reach its model stops rather than inventing answers.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Protocol, TypeVar

from pydantic import BaseModel

from galileo_arena.core.schemas import Case, CasePacket, JudgeDecision
from galileo_arena.debate import fallbacks
from galileo_arena.debate.judge import judge_debate
from galileo_arena.debate.memo import (
    DEBATERS,
    SharedMemo,
    early_stop_reason,
    memo_from_proposals,
    memo_from_revisions,
)
from galileo_arena.debate.output_mode import StructuredOutput, output_mode_for
from galileo_arena.debate.prompts import DebatePrompts, TranscriptEntry, prompt_hash
from galileo_arena.debate.schemas import (
    Addressee,
    AnswersMessage,
    DebateRole,
    DisputeAnswersMessage,
    DisputeQuestionsMessage,
    Phase,
    Proposal,
    Question,
    QuestionsMessage,
    Revision,
)
from galileo_arena.debate.structured import (
    CallSettings,
    StructuredResult,
    json_schema_of,
    structured_call,
)
from servicekit.llm import LLMClient

ModelT = TypeVar("ModelT", bound=BaseModel)

ORTHODOX, HERETIC, SKEPTIC = DebateRole.ORTHODOX, DebateRole.HERETIC, DebateRole.SKEPTIC


@dataclass(frozen=True, slots=True)
class DebateConfig:
    """How a debate calls its model.

    ``max_tokens`` bounds each reply: the prompts ask for answers under 1200 characters (about
    300 tokens), so 600 leaves room without letting a rambling model run up cost. ``call_timeout``
    bounds each attempt (None: the client's timeout). ``judge_model`` makes the judge an
    independent model instead of the debaters' own. ``pressure`` is an optional context line
    added to the case packet (a pressure treatment); None by default, as upstream.
    """

    temperature: float = 0.0
    max_tokens: int = 600
    call_timeout: float | None = None
    structured_output: StructuredOutput = "auto"
    prompt_version: str = "v1"
    judge_model: str | None = None
    pressure: str | None = None


@dataclass(frozen=True, slots=True)
class DebateMessage:
    """One stored turn. ``content`` is the validated answer as JSON (the judge's: its raw text);
    ``valid`` is False for a debater's fallback or an invalid judge; ``retried`` when the first
    reply was invalid. Tokens, cost and latency cover both attempts."""

    role: DebateRole
    phase: Phase
    round: int
    content: str
    data: dict[str, Any] | None
    model: str
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float
    latency_s: float
    valid: bool
    retried: bool

    @property
    def calls(self) -> int:
        return 2 if self.retried else 1


class DebateObserver(Protocol):
    async def phase_started(self, phase: Phase) -> None: ...

    async def message(self, message: DebateMessage) -> None: ...


@dataclass(frozen=True, slots=True)
class DebateOutcome:
    messages: tuple[DebateMessage, ...]
    judge: JudgeDecision | None
    judge_raw: str
    judge_error: str | None
    judge_data: dict[str, Any] | None
    calls: int
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float
    llm_seconds: float
    prompt_version: str
    prompt_hash: str
    dispute_held: bool
    early_stop_reason: str | None


async def run_debate(
    llm: LLMClient,
    model: str,
    packet: CasePacket,
    *,
    config: DebateConfig,
    observer: DebateObserver | None = None,
) -> DebateOutcome:
    """Debate ``packet`` with ``model`` in every role (the judge: ``config.judge_model`` if set)."""
    if isinstance(packet, Case):
        packet = packet.packet()  # the label must not travel any further
    return await _Debate(llm, model, packet, config, observer).run()


class _Debate:
    def __init__(
        self,
        llm: LLMClient,
        model: str,
        packet: CasePacket,
        config: DebateConfig,
        observer: DebateObserver | None,
    ) -> None:
        self._llm = llm
        self._config = config
        self._observer = observer
        self._hash = prompt_hash(config.prompt_version)

        judge_model = config.judge_model or model
        self._call = self._call_settings(model)
        self._judge_call = self._call_settings(judge_model)
        self._prompts = DebatePrompts(
            packet, version=config.prompt_version, mode=self._call.mode, pressure=config.pressure
        )
        self._judge_prompts = DebatePrompts(
            packet,
            version=config.prompt_version,
            mode=self._judge_call.mode,
            pressure=config.pressure,
        )
        self._messages: list[DebateMessage] = []
        self._transcript: list[TranscriptEntry] = []

    def _call_settings(self, model: str) -> CallSettings:
        return CallSettings(
            model=model,
            mode=output_mode_for(model, self._config.structured_output),
            temperature=self._config.temperature,
            max_tokens=self._config.max_tokens,
            timeout=self._config.call_timeout,
        )

    async def run(self) -> DebateOutcome:
        await self._start(Phase.SETUP)
        proposals = await self._independent()
        memo = memo_from_proposals(proposals)
        await self._cross_exam(proposals, memo)
        exchanges = [e for e in self._transcript if e.phase == Phase.CROSS_EXAM]
        revisions = await self._revise(proposals, exchanges, memo)
        stop_reason = early_stop_reason(revisions)
        if stop_reason is None:
            await self._dispute(revisions)
        return await self._judge(dispute_held=stop_reason is None, stop_reason=stop_reason)

    # -- phases ------------------------------------------------------------------------------

    async def _independent(self) -> dict[DebateRole, Proposal]:
        await self._start(Phase.INDEPENDENT)

        async def propose(role: DebateRole) -> tuple[DebateRole, StructuredResult[Proposal]]:
            result = await structured_call(
                self._llm,
                self._call,
                self._prompts.proposal(role),
                Proposal,
                retry_prompt=lambda bad, _problem: self._prompts.proposal_retry(role, bad),
                fallback=fallbacks.PROPOSAL,
            )
            return role, result

        proposals: dict[DebateRole, Proposal] = {}
        tasks = [asyncio.create_task(propose(role)) for role in DEBATERS]
        try:
            # Recorded as each finishes, one at a time, so the observer never runs concurrently.
            for finished in asyncio.as_completed(tasks):
                role, result = await finished
                proposals[role] = result.value
                await self._record(role, Phase.INDEPENDENT, 1, result)
        finally:
            # On an error (or cancellation) the other proposals are abandoned, not left running.
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        return proposals

    async def _cross_exam(self, proposals: Mapping[DebateRole, Proposal], memo: SharedMemo) -> None:
        await self._start(Phase.CROSS_EXAM)
        to_heretic = await self._question(1, ORTHODOX, HERETIC, proposals, memo)
        await self._answer(2, HERETIC, ORTHODOX, to_heretic.questions, proposals, memo)
        to_orthodox = await self._question(3, HERETIC, ORTHODOX, proposals, memo)
        await self._answer(4, ORTHODOX, HERETIC, to_orthodox.questions, proposals, memo)
        skeptics = await self._skeptic_question(5, proposals, memo)
        for round_number, role in ((6, ORTHODOX), (7, HERETIC)):
            addressed = _addressed_to(skeptics.questions, role)
            await self._answer(round_number, role, SKEPTIC, addressed, proposals, memo)

    async def _revise(
        self,
        proposals: Mapping[DebateRole, Proposal],
        exchanges: list[TranscriptEntry],
        memo: SharedMemo,
    ) -> dict[DebateRole, Revision]:
        await self._start(Phase.REVISION)
        revisions: dict[DebateRole, Revision] = {}
        for round_number, role in enumerate(DEBATERS, start=1):
            prompt = self._prompts.revision(role, _dump(proposals[role]), exchanges, memo)
            result = await self._structured(prompt, Revision, fallbacks.REVISION)
            revisions[role] = result.value
            await self._record(role, Phase.REVISION, round_number, result)
        return revisions

    async def _dispute(self, revisions: Mapping[DebateRole, Revision]) -> None:
        await self._start(Phase.DISPUTE)
        memo = memo_from_revisions(revisions)
        revision_tables = {role: _dump(revisions[role]) for role in DEBATERS}
        prompt = self._prompts.dispute_question(revision_tables, memo)
        asked = await self._structured(prompt, DisputeQuestionsMessage, fallbacks.DISPUTE_QUESTION)
        await self._record(SKEPTIC, Phase.DISPUTE, 1, asked)
        question = asked.value.questions[0]
        for round_number, role in ((2, ORTHODOX), (3, HERETIC)):
            prompt = self._prompts.dispute_answer(
                role, revision_tables[role], _dump(question), memo
            )
            answered = await self._structured(
                prompt, DisputeAnswersMessage, fallbacks.dispute_answer_to(question.q)
            )
            await self._record(role, Phase.DISPUTE, round_number, answered)

    async def _judge(self, *, dispute_held: bool, stop_reason: str | None) -> DebateOutcome:
        await self._start(Phase.JUDGE)
        prompt = self._judge_prompts.judge(self._transcript)
        judged = await judge_debate(self._llm, self._judge_call, prompt, self._judge_prompts)
        attempt = judged.attempt
        await self._emit(
            DebateMessage(
                role=DebateRole.JUDGE,
                phase=Phase.JUDGE,
                round=1,
                content=judged.raw,
                data=judged.data,
                model=self._judge_call.model,
                prompt_tokens=attempt.prompt_tokens,
                completion_tokens=attempt.completion_tokens,
                cost_usd=attempt.cost_usd,
                latency_s=attempt.latency_s,
                valid=judged.decision is not None,
                retried=judged.retried,
            )
        )
        messages = tuple(self._messages)
        return DebateOutcome(
            messages=messages,
            judge=judged.decision,
            judge_raw=judged.raw,
            judge_error=judged.error,
            judge_data=judged.data,
            calls=sum(message.calls for message in messages),
            prompt_tokens=sum(message.prompt_tokens for message in messages),
            completion_tokens=sum(message.completion_tokens for message in messages),
            cost_usd=sum(message.cost_usd for message in messages),
            llm_seconds=sum(message.latency_s for message in messages),
            prompt_version=self._config.prompt_version,
            prompt_hash=self._hash,
            dispute_held=dispute_held,
            early_stop_reason=stop_reason,
        )

    # -- cross-examination steps -------------------------------------------------------------

    async def _question(
        self,
        round_number: int,
        role: DebateRole,
        target: DebateRole,
        proposals: Mapping[DebateRole, Proposal],
        memo: SharedMemo,
    ) -> QuestionsMessage:
        prompt = self._prompts.question(
            role, target, _dump(proposals[role]), _dump(proposals[target]), memo
        )
        result = await self._structured(prompt, QuestionsMessage, fallbacks.QUESTIONS)
        if result.valid:
            # The step fixes who is asked; a model that names someone else still asks the target.
            addressee = Addressee(str(target))
            questions = [q.model_copy(update={"to": addressee}) for q in result.value.questions]
            result = replace(result, value=QuestionsMessage(questions=questions))
        await self._record(role, Phase.CROSS_EXAM, round_number, result)
        return result.value

    async def _skeptic_question(
        self, round_number: int, proposals: Mapping[DebateRole, Proposal], memo: SharedMemo
    ) -> QuestionsMessage:
        tables = {role: _dump(proposals[role]) for role in DEBATERS}
        prompt = self._prompts.skeptic_question(tables, memo)
        result = await self._structured(prompt, QuestionsMessage, fallbacks.QUESTIONS)
        await self._record(SKEPTIC, Phase.CROSS_EXAM, round_number, result)
        return result.value

    async def _answer(
        self,
        round_number: int,
        role: DebateRole,
        asker: DebateRole,
        questions: list[Question],
        proposals: Mapping[DebateRole, Proposal],
        memo: SharedMemo,
    ) -> None:
        asked = [_dump(question) for question in questions]
        prompt = self._prompts.answer(role, asker, _dump(proposals[role]), asked, memo)
        fallback = fallbacks.answers_to([question.q for question in questions])
        result = await self._structured(prompt, AnswersMessage, fallback)
        await self._record(role, Phase.CROSS_EXAM, round_number, result)

    # -- plumbing ----------------------------------------------------------------------------

    async def _structured(
        self, prompt: str, schema: type[ModelT], fallback: ModelT
    ) -> StructuredResult[ModelT]:
        def retry_prompt(bad_output: str, problem: str) -> str:
            return self._prompts.invalid_retry(prompt, bad_output, problem, json_schema_of(schema))

        return await structured_call(
            self._llm, self._call, prompt, schema, retry_prompt=retry_prompt, fallback=fallback
        )

    async def _start(self, phase: Phase) -> None:
        if self._observer is not None:
            await self._observer.phase_started(phase)

    async def _record(
        self,
        role: DebateRole,
        phase: Phase,
        round_number: int,
        result: StructuredResult[Any],
    ) -> None:
        data = _dump(result.value)
        attempt = result.attempt
        self._transcript.append(
            TranscriptEntry(role=role, phase=phase, round=round_number, content=data)
        )
        await self._emit(
            DebateMessage(
                role=role,
                phase=phase,
                round=round_number,
                content=result.value.model_dump_json(),
                data=data,
                model=self._call.model,
                prompt_tokens=attempt.prompt_tokens,
                completion_tokens=attempt.completion_tokens,
                cost_usd=attempt.cost_usd,
                latency_s=attempt.latency_s,
                valid=result.valid,
                retried=result.retried,
            )
        )

    async def _emit(self, message: DebateMessage) -> None:
        self._messages.append(message)
        if self._observer is not None:
            await self._observer.message(message)


def _dump(value: BaseModel) -> dict[str, Any]:
    return value.model_dump(mode="json")


def _addressed_to(questions: list[Question], role: DebateRole) -> list[Question]:
    """The Skeptic's questions for ``role`` (or both sides); all of them if none names it."""
    mine = [q for q in questions if q.to in (Addressee(str(role)), Addressee.BOTH)]
    return mine or list(questions)
