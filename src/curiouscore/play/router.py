"""``/sessions/*`` and the session-bounded ``/chat`` coach."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query, status

from curiouscore.dependencies import Admin, Core, Learner
from curiouscore.play.schemas import (
    Action,
    Attempt,
    CoachAnswer,
    CoachQuestion,
    ReplayCheck,
    SessionCreate,
    SessionOut,
    SessionView,
)

router = APIRouter(tags=["sessions"])

Status = Literal["created", "active", "completed", "abandoned"]


@router.post("/sessions", status_code=status.HTTP_201_CREATED)
async def create_session(body: SessionCreate, principal: Learner, cc: Core) -> SessionOut:
    """A new session on the challenge's current version (active challenges only); start it
    with ``POST /sessions/{id}/start``."""
    return (await cc.play.create(principal.subject or "", body.challenge_id)).session


@router.get("/sessions")
async def list_sessions(
    principal: Learner,
    cc: Core,
    challenge_id: uuid.UUID | None = None,
    status: Annotated[list[Status] | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> list[SessionOut]:
    """Your sessions, newest first; ``?challenge_id=...&status=active`` finds one to resume."""
    return await cc.play.sessions(
        principal.subject or "", challenge_id=challenge_id, statuses=status, limit=limit
    )


@router.post("/sessions/{session_id}/start")
async def start_session(session_id: uuid.UUID, principal: Learner, cc: Core) -> SessionView:
    return await cc.play.start(principal.subject or "", session_id)


@router.post("/sessions/{session_id}/attempt")
async def attempt(
    session_id: uuid.UUID, body: Attempt, principal: Learner, cc: Core
) -> SessionView:
    return await cc.play.attempt(principal.subject or "", session_id, body.answer)


@router.post("/sessions/{session_id}/action")
async def action(session_id: uuid.UUID, body: Action, principal: Learner, cc: Core) -> SessionView:
    return await cc.play.act(principal.subject or "", session_id, body.action)


@router.get("/sessions/{session_id}/state")
async def session_state(session_id: uuid.UUID, principal: Learner, cc: Core) -> SessionView:
    return await cc.play.view(principal.subject or "", session_id)


@router.post("/chat")
async def coach(body: CoachQuestion, principal: Learner, cc: Core) -> CoachAnswer:
    """Ask the coach about your own session's challenge (not an open LLM proxy)."""
    return await cc.play.coach(principal.subject or "", body.session_id, body.message)


@router.get("/admin/sessions/{session_id}/verify", tags=["admin"])
async def verify_replay(session_id: uuid.UUID, _: Admin, cc: Core) -> ReplayCheck:
    """Replay the session's events and compare the result with every stored snapshot."""
    return await cc.play.verify_replay(session_id)
