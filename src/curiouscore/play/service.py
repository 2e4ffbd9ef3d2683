"""Session use cases: one command = read, decide, run LLM tasks, write atomically.

A command reads the session (projection, latest snapshot, later events) in a short transaction,
lets the engine decide, runs the Game Master's LLM tasks with no transaction open, then writes
every new event, the snapshots that fall due and the updated projection in one transaction,
guarded by the sequence number it read: if another request moved the session meanwhile, nothing
is written and the client gets 409 (retry on the fresh state).
"""

from __future__ import annotations

import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from curiouscore.challenges.service import ChallengeService
from curiouscore.engine.definitions import ChallengeDefinition, canonical_json
from curiouscore.engine.events import Event, EventType
from curiouscore.engine.grading import InvalidAnswer
from curiouscore.engine.machine import (
    Decision,
    Game,
    NotAllowed,
    Rules,
    TaskKind,
    TaskResult,
    apply,
    replay,
)
from curiouscore.engine.state import SNAPSHOT_SCHEMA_VERSION, SessionState
from curiouscore.engine.view import ui_response
from curiouscore.models import GameSession
from curiouscore.play import repository
from curiouscore.play.game_master import GameMaster, now_iso
from curiouscore.play.schemas import CoachAnswer, ReplayCheck, SessionOut, SessionView
from curiouscore.progress.service import reward_completion
from servicekit.db import Database
from servicekit.errors import Conflict, NotFound, Unprocessable
from servicekit.logging import get_logger
from servicekit.ratelimit import RateLimited

log = get_logger("curiouscore.sessions")

Command = Callable[[Game, SessionState, str], Decision]
COACH_UNAVAILABLE = "The coach is unavailable right now. Re-read the step and try one idea."


@dataclass
class Loaded:
    row: GameSession
    challenge: ChallengeDefinition
    state: SessionState
    model: str | None
    """The model the Game Master uses now (None: no LLM configured)."""


class PlayService:
    def __init__(
        self,
        db: Database,
        challenges: ChallengeService,
        game_master: GameMaster,
        rules: Rules,
        *,
        snapshot_every: int = 5,
    ) -> None:
        self.db = db
        self.challenges = challenges
        self.gm = game_master
        self.rules = rules
        self.snapshot_every = snapshot_every

    async def create(self, user_id: str, challenge_id: uuid.UUID) -> SessionView:
        session_id = uuid.uuid4()
        async with self.db.session() as db:
            challenge = await self.challenges.publish(db, challenge_id)
            decision = Game(challenge, self.rules).create(
                session_id=str(session_id), user_id=user_id, now=now_iso()
            )
            row = GameSession(
                id=session_id,
                user_id=uuid.UUID(user_id),
                challenge_id=challenge_id,
                challenge_version=challenge.version,
                status=decision.state.status,
                current_step_index=0,
                total_score=0,
                max_possible_score=decision.state.max_possible_score,
                mistakes_count=0,
                hints_used=0,
                last_sequence=0,
            )
            db.add(row)
            await db.flush()
            await self._write(db, row, 0, decision.events, SessionState(), challenge)
            await db.refresh(row)
        log.info("session created", session_id=str(session_id), challenge_id=str(challenge_id))
        return self._view(row, decision.state, challenge)

    async def view(self, user_id: str, session_id: uuid.UUID) -> SessionView:
        loaded = await self._load(user_id, session_id)
        return self._view(loaded.row, loaded.state, loaded.challenge)

    async def start(self, user_id: str, session_id: uuid.UUID) -> SessionView:
        return await self._execute(user_id, session_id, lambda g, s, now: g.start(s, now))

    async def attempt(self, user_id: str, session_id: uuid.UUID, answer: Any) -> SessionView:
        return await self._execute(user_id, session_id, lambda g, s, now: g.attempt(s, answer, now))

    async def act(self, user_id: str, session_id: uuid.UUID, action: str) -> SessionView:
        return await self._execute(user_id, session_id, lambda g, s, now: g.act(s, action, now))

    async def sessions(
        self,
        user_id: str,
        *,
        challenge_id: uuid.UUID | None,
        statuses: list[str] | None,
        limit: int,
    ) -> list[SessionOut]:
        async with self.db.session() as db:
            rows = await repository.listed(
                db, uuid.UUID(user_id), challenge_id=challenge_id, statuses=statuses, limit=limit
            )
        return [SessionOut.model_validate(r) for r in rows]

    async def coach(self, user_id: str, session_id: uuid.UUID, question: str) -> CoachAnswer:
        loaded = await self._load(user_id, session_id)
        if not await self.gm.within_budget(user_id):
            raise RateLimited("Too many LLM requests this minute; try again shortly")
        answer = await self.gm.coach(loaded.challenge, loaded.state, question, loaded.model)
        return CoachAnswer(content=answer or COACH_UNAVAILABLE, available=answer is not None)

    async def verify_replay(self, session_id: uuid.UUID) -> ReplayCheck:
        """Admin: every stored snapshot compared with a replay from the first event."""
        async with self.db.session() as db:
            row = await repository.by_id(db, session_id)
            if row is None:
                raise NotFound("Session not found")
            challenge = await self.challenges.version(db, row.challenge_id, row.challenge_version)
            events = await repository.events_after(db, session_id, 0, row.last_sequence)
            snapshots = await repository.all_snapshots(db, session_id, SNAPSHOT_SCHEMA_VERSION)
        state = SessionState()
        mismatches: list[int] = []
        by_sequence = dict(snapshots)
        for event in events:
            apply(state, event, challenge)
            stored = by_sequence.get(event.sequence)
            if stored is not None and canonical_json(stored) != state.canonical():
                mismatches.append(event.sequence)
        return ReplayCheck(
            session_id=session_id,
            last_sequence=row.last_sequence,
            snapshots_checked=len(snapshots),
            consistent=not mismatches and state.last_sequence == row.last_sequence,
            mismatches=mismatches,
        )

    # -- the command cycle ---------------------------------------------------------------------

    async def _execute(self, user_id: str, session_id: uuid.UUID, command: Command) -> SessionView:
        loaded = await self._load(user_id, session_id)
        game = Game(loaded.challenge, self.rules)
        try:
            decision = command(game, loaded.state, now_iso())
        except NotAllowed as exc:
            raise Conflict(str(exc), code="not_allowed") from exc
        except InvalidAnswer as exc:
            raise Unprocessable(str(exc), code="invalid_answer") from exc
        state, events = decision.state, list(decision.events)
        tasks = deque(decision.tasks)
        first = True
        while tasks:
            task = tasks.popleft()
            if not await self.gm.within_budget(user_id):
                if first and task.kind is not TaskKind.narrate:
                    # Refused before anything is written: the learner's input is not consumed.
                    raise RateLimited("Too many LLM requests this minute; try again shortly")
                result = _skipped(loaded.model)
            else:
                result = await self.gm.run(task, state, loaded.challenge, loaded.model)
            first = False
            follow = game.resolve(state, task, result, now_iso())
            state = follow.state
            events.extend(follow.events)
            tasks.extend(follow.tasks)
        async with self.db.session() as db:
            values = await self._write(
                db, loaded.row, loaded.state.last_sequence, events, loaded.state, loaded.challenge
            )
        for name, value in values.items():
            setattr(loaded.row, name, value)
        return self._view(loaded.row, state, loaded.challenge)

    async def _load(self, user_id: str, session_id: uuid.UUID) -> Loaded:
        async with self.db.session() as db:
            row = await repository.owned(db, uuid.UUID(user_id), session_id)
            if row is None:
                raise NotFound("Session not found")
            challenge = await self.challenges.version(db, row.challenge_id, row.challenge_version)
            assigned = await self.challenges.assigned_model(db, row.challenge_id)
            snapshot = await repository.latest_snapshot(
                db, session_id, schema_version=SNAPSHOT_SCHEMA_VERSION, up_to=row.last_sequence
            )
            start = SessionState.from_dict(snapshot.snapshot_data) if snapshot else None
            after = snapshot.event_sequence if snapshot else 0
            events = await repository.events_after(db, session_id, after, row.last_sequence)
        state = replay(challenge, events, start)
        return Loaded(row, challenge, state, self.gm.model_for(assigned))

    async def _write(
        self,
        db: AsyncSession,
        row: GameSession,
        expected: int,
        events: list[Event],
        before: SessionState,
        challenge: ChallengeDefinition,
    ) -> dict[str, Any]:
        """Events, due snapshots, projection and rewards: all or nothing; the new projection."""
        if not events:
            return {}
        state, snapshots = self._fold(before, events, challenge)
        values = {
            "status": state.status,
            "current_step_index": state.current_step_index,
            "total_score": state.total_score,
            "max_possible_score": state.max_possible_score,
            "mistakes_count": state.mistakes_count,
            "hints_used": state.hints_used,
            "last_sequence": state.last_sequence,
            "started_at": repository.parse_time(state.started_at),
            "completed_at": repository.parse_time(state.completed_at),
            "passed": state.outcome.passed if state.outcome else None,
            "percentage": state.outcome.percentage if state.outcome else None,
            "updated_at": repository.parse_time(events[-1].occurred_at),
        }
        if not await repository.advance_projection(db, row.id, expected, values):
            raise Conflict(
                "The session changed while this request ran; reload its state and retry",
                code="session_conflict",
            )
        try:
            await repository.append(db, row.id, events)
        except IntegrityError as exc:  # a writer that bypassed the projection check
            raise Conflict(
                "The session changed concurrently; retry", code="session_conflict"
            ) from exc
        await repository.add_snapshots(db, row.id, snapshots, SNAPSHOT_SCHEMA_VERSION)
        completed = [e for e in events if e.type is EventType.SESSION_COMPLETED]
        if completed and state.outcome is not None:
            log.info(
                "session completed",
                session_id=str(row.id),
                percentage=state.outcome.percentage,
                passed=state.outcome.passed,
            )
            await reward_completion(
                db,
                user_id=row.user_id,
                session_id=row.id,
                challenge=challenge,
                outcome=state.outcome,
            )
        return values

    def _fold(
        self, before: SessionState, events: list[Event], challenge: ChallengeDefinition
    ) -> tuple[SessionState, list[tuple[int, dict[str, Any]]]]:
        """The state after ``events`` and a snapshot for every sequence the policy names."""
        state = SessionState.from_dict(before.to_dict())
        snapshots = []
        for event in events:
            apply(state, event, challenge)
            if event.sequence % self.snapshot_every == 0:
                snapshots.append((event.sequence, state.to_dict()))
        return state, snapshots

    def _view(
        self, row: GameSession, state: SessionState, challenge: ChallengeDefinition
    ) -> SessionView:
        return SessionView(
            session=SessionOut.model_validate(row),
            ui_response=ui_response(state, challenge, self.rules),
        )


def _skipped(model: str | None) -> TaskResult:
    return TaskResult(False, model or "", now_iso(), error="rate_limited")
