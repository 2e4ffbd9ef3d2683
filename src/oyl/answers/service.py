"""Answering a question put to a teammate: route it to assistants, let each one answer from its
own knowledge with citations, merge, and keep the conversation.

Each assistant retrieves from its knowledge bases (hybrid search, threshold); with nothing
relevant it says so without calling a model. Otherwise the model gets the assistant's instruction
as system prompt, the conversation's last turns, and numbered context, and its ``[n]`` marks
become structured citations (document, page, chunk, snippet, score; never a file path).

Streamed, the model's reply is read delta by delta and each answer delta is passed on at once
(reasoning apart); citations, usage and the record of the conversation come from the complete
reply, exactly as without streaming. A reply that breaks off is an error, never a short answer.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func

from oyl.answers import grounding
from oyl.answers.grounding import ContextBlock, Mode
from oyl.answers.orchestration import Candidate, OrchestrationConfig, Strategy, select
from oyl.answers.repository import ConversationRepository
from oyl.answers.schemas import (
    AssistantAnswer,
    Citation,
    ConversationDetail,
    ConversationOut,
    FeedbackIn,
    FeedbackOut,
    MessageOut,
    QueryRequest,
    QueryResponse,
    UsageOut,
)
from oyl.answers.streamed import Kind, ReasoningSplitter
from oyl.config import Settings
from oyl.hierarchy.repository import HierarchyRepository
from oyl.models import Assistant, ChatMessage, Conversation, Teammate
from oyl.pagination import Paging
from oyl.retrieval.service import Retriever
from oyl.tenancy import Caller
from oyl.usage.accounting import increment
from oyl.usage.repository import UsageRepository
from servicekit.db import Database
from servicekit.errors import Conflict, NotFound, ServiceError, ServiceUnavailable
from servicekit.llm import Completion, LLMClient, LLMError, Message
from servicekit.ratelimit import RateLimited

AnswerListener = Callable[[AssistantAnswer], Awaitable[None]]
# (assistant, kind, text): a piece of an assistant's reply as it is generated.
TextListener = Callable[[Assistant, Kind, str], Awaitable[None]]


@dataclass(frozen=True)
class _Participant:
    assistant: Assistant
    kb_ids: list[uuid.UUID]


@dataclass(frozen=True)
class Prepared:
    """A question accepted for answering: who answers, with which history, where it is kept."""

    strategy: Strategy
    participants: list[_Participant]
    history: list[Message]
    conversation_id: uuid.UUID


class AnswerService:
    def __init__(
        self, db: Database, settings: Settings, retriever: Retriever, llm: LLMClient
    ) -> None:
        self.db = db
        self.settings = settings
        self.retriever = retriever
        self.llm = llm

    # -- asking -------------------------------------------------------------------------------

    async def ask(
        self,
        caller: Caller,
        teammate_id: uuid.UUID,
        request: QueryRequest,
        on_answer: AnswerListener | None = None,
    ) -> QueryResponse:
        return await self.answer(
            caller, await self.prepare(caller, teammate_id, request), request, on_answer
        )

    async def prepare(
        self, caller: Caller, teammate_id: uuid.UUID, request: QueryRequest
    ) -> Prepared:
        """Everything that can refuse the question (404, 409, quota), before any answering."""
        async with self.db.session() as session:
            tree = HierarchyRepository(session, caller.tenant_id)
            talks = ConversationRepository(session, caller.tenant_id, caller.subject)
            teammate = await tree.get(Teammate, teammate_id)
            if teammate is None:
                raise NotFound("Teammate not found")
            await _check_token_quota(UsageRepository(session, caller.tenant_id))
            assistants = await tree.assistants_of(teammate_id)
            if not assistants:
                raise Conflict("This teammate has no assistants to answer yet")
            config = OrchestrationConfig.model_validate(teammate.orchestration_config or {})
            candidates = [Candidate(a.id, a.name, i) for i, a in enumerate(assistants)]
            chosen = select(config, candidates)
            if not chosen:
                raise Conflict("The orchestration config selects no assistant")
            by_id = {a.id: a for a in assistants}
            links = await tree.knowledge_base_ids_of([c.id for c in chosen])
            participants = [_Participant(by_id[c.id], links[c.id]) for c in chosen]
            history: list[Message] = []
            if request.conversation_id is not None:
                conversation = await talks.conversation(request.conversation_id)
                if conversation is None or conversation.teammate_id != teammate_id:
                    raise NotFound("Conversation not found")
                for message in await talks.messages(conversation.id, self.settings.history_turns):
                    history.append(Message(role=message.role, content=message.content))  # type: ignore[typeddict-item]
            else:
                conversation = Conversation(
                    teammate_id=teammate_id, subject=caller.subject, title=request.query[:200]
                )
                await talks.add(conversation, conflict="Conversation exists")
        return Prepared(config.strategy, participants, history, conversation.id)

    async def answer(
        self,
        caller: Caller,
        prepared: Prepared,
        request: QueryRequest,
        on_answer: AnswerListener | None = None,
        on_text: TextListener | None = None,
    ) -> QueryResponse:
        """Answer a prepared question; with ``on_text`` the replies are streamed through it."""
        started = time.perf_counter()

        async def one(participant: _Participant) -> AssistantAnswer:
            result = await self._answer(caller, participant, request, prepared.history, on_text)
            if on_answer is not None:
                await on_answer(result)
            return result

        answers = await self._run(prepared.strategy, prepared.participants, one)
        response = _merge(request, prepared.strategy, answers)
        message_id = await self._record(caller, prepared.conversation_id, request, response)
        return response.model_copy(
            update={
                "conversation_id": prepared.conversation_id,
                "message_id": message_id,
                "took_ms": round((time.perf_counter() - started) * 1000, 2),
            }
        )

    async def _run(
        self,
        strategy: Strategy,
        participants: list[_Participant],
        answer: Callable[[_Participant], Awaitable[AssistantAnswer]],
    ) -> list[AssistantAnswer]:
        if strategy in (Strategy.parallel, Strategy.weighted):
            return list(await asyncio.gather(*(answer(p) for p in participants)))
        answers: list[AssistantAnswer] = []
        for participant in participants:
            result = await answer(participant)
            answers.append(result)
            if strategy is Strategy.fallback and result.found:
                return [result]
        if strategy is Strategy.fallback:
            return answers[:1]
        return answers

    async def _answer(
        self,
        caller: Caller,
        participant: _Participant,
        request: QueryRequest,
        history: list[Message],
        on_text: TextListener | None = None,
    ) -> AssistantAnswer:
        assistant = participant.assistant
        retrieved = await self.retriever.search(
            caller.tenant_id,
            request.query,
            participant.kb_ids,
            top_k=request.top_k,
            filters=request.filters,
        )
        if not retrieved.hits:
            if on_text is not None:
                await on_text(assistant, "token", grounding.NOT_FOUND)
            return AssistantAnswer(
                assistant_id=assistant.id,
                assistant_name=assistant.name,
                answer=grounding.NOT_FOUND,
                found=False,
                citations=[],
                model=None,
            )
        blocks = [
            ContextBlock(number, hit.document_name, hit.page, hit.text)
            for number, hit in enumerate(retrieved.hits, start=1)
        ]
        messages = grounding.build_messages(
            instruction=assistant.instruction,
            blocks=blocks,
            question=request.query,
            mode=request.mode,
            history=history,
        )
        model = assistant.model or (
            self.settings.reasoning_model
            if request.mode is Mode.reasoning
            else self.settings.fast_model
        )
        try:
            if on_text is None:
                completion = await self.llm.complete(
                    messages, model=model, max_tokens=self.settings.answer_max_tokens
                )
            else:
                completion = await self._streamed(messages, model, assistant, on_text)
        except LLMError as exc:
            raise ServiceUnavailable(
                f"The model {model} could not answer for {assistant.name}: {exc}",
                code="llm_unavailable",
            ) from exc
        text, reasoning = grounding.split_reasoning(completion.text)
        numbers = grounding.cited_numbers(text, len(blocks))
        found = bool(text) and not grounding.says_not_found(text)
        citations = [
            Citation(
                n=n,
                document_id=retrieved.hits[n - 1].document_id,
                document_name=retrieved.hits[n - 1].document_name,
                page=retrieved.hits[n - 1].page,
                chunk_id=retrieved.hits[n - 1].chunk_id,
                snippet=grounding.snippet(retrieved.hits[n - 1].text),
                score=retrieved.hits[n - 1].score,
            )
            for n in numbers
        ]
        return AssistantAnswer(
            assistant_id=assistant.id,
            assistant_name=assistant.name,
            answer=text if found else grounding.NOT_FOUND,
            found=found,
            citations=citations if found else [],
            model=completion.model,
            reasoning=reasoning,
            usage=UsageOut(
                prompt_tokens=completion.usage.prompt_tokens,
                completion_tokens=completion.usage.completion_tokens,
            ),
        )

    async def _streamed(
        self, messages: list[Message], model: str, assistant: Assistant, on_text: TextListener
    ) -> Completion:
        """The model's complete reply, each piece passed to ``on_text`` as it is generated."""
        splitter = ReasoningSplitter()
        async with self.llm.stream(
            messages, model=model, max_tokens=self.settings.answer_max_tokens
        ) as stream:
            async for delta in stream:
                for kind, text in splitter.feed(delta):
                    await on_text(assistant, kind, text)
        for kind, text in splitter.flush():
            await on_text(assistant, kind, text)
        if stream.completion is None:  # cannot happen: a stream read to its end is complete
            raise LLMError("the model's stream ended without its reply")
        return stream.completion

    async def _record(
        self,
        caller: Caller,
        conversation_id: uuid.UUID,
        request: QueryRequest,
        response: QueryResponse,
    ) -> uuid.UUID:
        async with self.db.session() as session:
            talks = ConversationRepository(session, caller.tenant_id, caller.subject)
            question = ChatMessage(
                conversation_id=conversation_id, role="user", content=request.query
            )
            await talks.add(question, conflict="Message exists")
            reply = ChatMessage(
                conversation_id=conversation_id,
                role="assistant",
                content=response.answer,
                mode=request.mode.value,
                citations=[c.model_dump(mode="json") for c in response.citations],
                attributions=[
                    a.model_dump(mode="json", exclude={"reasoning"}) for a in response.assistants
                ],
                reasoning=response.reasoning,
                prompt_tokens=response.usage.prompt_tokens,
                completion_tokens=response.usage.completion_tokens,
            )
            await talks.add(reply, conflict="Message exists")
            conversation = await talks.conversation(conversation_id)
            if conversation is not None:
                conversation.updated_at = func.now()
            await session.execute(
                increment(
                    caller.tenant_id,
                    queries=1,
                    prompt_tokens=response.usage.prompt_tokens,
                    completion_tokens=response.usage.completion_tokens,
                )
            )
            return reply.id

    async def stream(
        self, caller: Caller, prepared: Prepared, request: QueryRequest
    ) -> AsyncIterator[tuple[str, str]]:
        """(event, JSON data) pairs, in this order:

        ``token`` (``assistant_id``, ``text``) for each answer delta as the model generates it
        (``reasoning`` likewise, when asked for), ``assistant`` with each assistant's complete
        answer, then ``citations``, ``usage`` and ``done`` with the whole response, as the
        non-streamed answer. The question was accepted by :meth:`prepare` already, so refusals
        are HTTP statuses; a failure while answering (a model down, a reply broken off) ends the
        stream with an ``error`` event and no ``done``. A client that goes away cancels the
        answering, which closes the model's stream.
        """
        queue: asyncio.Queue[tuple[str, str] | None] = asyncio.Queue()

        async def on_text(assistant: Assistant, kind: Kind, text: str) -> None:
            if kind == "reasoning" and not request.include_reasoning:
                return
            await queue.put((kind, json.dumps({"assistant_id": str(assistant.id), "text": text})))

        async def on_answer(result: AssistantAnswer) -> None:
            public = (
                result
                if request.include_reasoning
                else result.model_copy(update={"reasoning": None})
            )
            await queue.put(("assistant", public.model_dump_json()))

        async def produce() -> None:
            try:
                response = public_view(
                    await self.answer(caller, prepared, request, on_answer, on_text), request
                )
                citations = [c.model_dump(mode="json") for c in response.citations]
                await queue.put(("citations", json.dumps({"citations": citations})))
                await queue.put(("usage", response.usage.model_dump_json()))
                await queue.put(("done", response.model_dump_json()))
            except ServiceError as exc:
                await queue.put(("error", _error_json(exc.status_code, exc.code, exc.message)))
            except Exception:
                await queue.put(("error", _error_json(500, "internal_error", "The answer failed")))
                raise
            finally:
                await queue.put(None)

        task = asyncio.create_task(produce())
        try:
            while (item := await queue.get()) is not None:
                yield item
        finally:
            if not task.done():
                task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    # -- conversations ------------------------------------------------------------------------

    async def list_conversations(
        self, caller: Caller, paging: Paging, teammate_id: uuid.UUID | None
    ) -> tuple[list[ConversationOut], int]:
        async with self.db.session() as session:
            talks = ConversationRepository(session, caller.tenant_id, caller.subject)
            rows, total = await talks.conversations(paging, teammate_id)
        return [ConversationOut.model_validate(row) for row in rows], total

    async def conversation(self, caller: Caller, conversation_id: uuid.UUID) -> ConversationDetail:
        async with self.db.session() as session:
            talks = ConversationRepository(session, caller.tenant_id, caller.subject)
            conversation = await _own_conversation(talks, conversation_id)
            messages = await talks.messages(conversation_id)
        return ConversationDetail(
            **ConversationOut.model_validate(conversation).model_dump(),
            messages=[MessageOut.model_validate(m) for m in messages],
        )

    async def delete_conversation(self, caller: Caller, conversation_id: uuid.UUID) -> None:
        async with self.db.session() as session:
            talks = ConversationRepository(session, caller.tenant_id, caller.subject)
            await session.delete(await _own_conversation(talks, conversation_id))

    async def feedback(
        self, caller: Caller, message_id: uuid.UUID, body: FeedbackIn
    ) -> FeedbackOut:
        async with self.db.session() as session:
            talks = ConversationRepository(session, caller.tenant_id, caller.subject)
            message = await talks.own_message(message_id)
            if message is None or message.role != "assistant":
                raise NotFound("Answer not found")
            row = await talks.give_feedback(
                message_id, 1 if body.rating == "up" else -1, body.comment
            )
        return FeedbackOut(
            message_id=message_id,
            rating=body.rating,
            comment=row.comment,
            created_at=row.created_at,
        )


async def _own_conversation(
    talks: ConversationRepository, conversation_id: uuid.UUID
) -> Conversation:
    conversation = await talks.conversation(conversation_id)
    if conversation is None:
        raise NotFound("Conversation not found")
    return conversation


async def _check_token_quota(usage: UsageRepository) -> None:
    tenant = await usage.tenant()
    used = await usage.tokens_today()
    if used >= tenant.max_tokens_per_day:
        now = datetime.now(UTC)
        midnight = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
        wait = max(1, int((midnight - now).total_seconds()))
        raise RateLimited(
            f"The tenant's quota of {tenant.max_tokens_per_day} tokens per day is used up",
            code="quota_exceeded",
            headers={"Retry-After": str(wait)},
            details={"max_tokens_per_day": tenant.max_tokens_per_day, "used": used},
        )


def _merge(
    request: QueryRequest, strategy: Strategy, answers: list[AssistantAnswer]
) -> QueryResponse:
    """One answer: the first assistant's (weighted, fallback), or each one's under its name,
    with citation numbers made distinct (sequential, parallel)."""
    usage = UsageOut(
        prompt_tokens=sum(a.usage.prompt_tokens for a in answers),
        completion_tokens=sum(a.usage.completion_tokens for a in answers),
    )
    found = [a for a in answers if a.found]
    reasoning_parts = [a.reasoning for a in answers if a.reasoning]
    if strategy in (Strategy.weighted, Strategy.fallback) or len(answers) == 1:
        lead = answers[0]
        text, citations = lead.answer, lead.citations
    elif not found:
        text, citations = grounding.NOT_FOUND, []
    else:
        parts, citations, offset = [], [], 0
        for result in found:
            parts.append(
                f"{result.assistant_name}: {grounding.shift_citations(result.answer, offset)}"
            )
            citations += [c.model_copy(update={"n": c.n + offset}) for c in result.citations]
            offset += max((c.n for c in result.citations), default=0)
        text = "\n\n".join(parts)
    return QueryResponse(
        query=request.query,
        mode=request.mode,
        strategy=strategy.value,
        answer=text,
        found=any(a.found for a in answers)
        if strategy is not Strategy.weighted
        else answers[0].found,
        citations=citations,
        assistants=answers,
        reasoning="\n\n".join(reasoning_parts) or None,
        conversation_id=uuid.UUID(int=0),
        message_id=uuid.UUID(int=0),
        usage=usage,
        took_ms=0.0,
    )


def public_view(response: QueryResponse, request: QueryRequest) -> QueryResponse:
    """Reasoning traces only when asked for."""
    if request.include_reasoning:
        return response
    return response.model_copy(
        update={
            "reasoning": None,
            "assistants": [a.model_copy(update={"reasoning": None}) for a in response.assistants],
        }
    )


def _error_json(status: int, code: str, message: str) -> str:
    return json.dumps({"error": {"code": code, "message": message}, "status": status})
