"""Concurrent requests on one session cannot interleave: one wins, the others get 409."""

from __future__ import annotations

import asyncio
import uuid

from sqlalchemy import func, select

from curiouscore.engine.machine import Game
from curiouscore.main import build_app
from curiouscore.models import GameEvent
from servicekit.errors import Conflict
from servicekit.testing.app import app_client


async def test_concurrent_answers_are_serialised_by_sequence_number(
    register, every_type, play, core, open_session, gm, cc_database, settings_for
) -> None:
    learner = await register()
    sid = await open_session(learner, every_type)

    # Every request decides on the same state, then waits in the Game Master's narration of
    # the next step until all five are there: only then may one of them write. (A second app
    # on the same database, whose LLM timeout leaves time for all five to arrive.)
    barrier = asyncio.Barrier(5)
    gm.narration.extend([barrier] * 5)
    async with app_client(build_app(settings_for(cc_database, llm_timeout_seconds=20))) as other:
        answers = await asyncio.gather(
            *(
                other.post(f"/sessions/{sid}/attempt", json={"answer": 1}, headers=learner)
                for _ in range(5)
            )
        )
    codes = sorted(a.status_code for a in answers)
    assert codes == [200, 409, 409, 409, 409]
    conflict = next(a for a in answers if a.status_code == 409)
    assert conflict.json()["error"]["code"] == "session_conflict"

    state = await play(learner, "GET", f"/sessions/{sid}/state")
    # The step was scored once and the log has no duplicate numbers.
    assert state["ui_response"]["score"] == 20
    async with core.db.session() as db:
        numbers = list(
            await db.scalars(
                select(GameEvent.sequence_number)
                .where(GameEvent.session_id == sid)
                .order_by(GameEvent.sequence_number)
            )
        )
        distinct = await db.scalar(
            select(func.count(func.distinct(GameEvent.sequence_number))).where(
                GameEvent.session_id == sid
            )
        )
    assert numbers == list(range(1, len(numbers) + 1)) and distinct == len(numbers)
    assert state["session"]["total_score"] == 20


async def test_a_stale_writer_is_refused(register, every_type, play, core) -> None:
    """A command decided on an old state must not be written after a newer one."""
    learner = await register()
    sid = (await play(learner, "POST", "/sessions", {"challenge_id": every_type}, status=201))["id"]
    user_id = (await play(learner, "GET", "/auth/me"))["id"]
    loaded = await core.play._load(user_id, uuid.UUID(sid))
    await play(learner, "POST", f"/sessions/{sid}/start")
    stale = Game(loaded.challenge, core.play.rules).start(loaded.state, "2026-01-01T00:00:00+00:00")
    try:
        async with core.db.session() as db:
            await core.play._write(
                db,
                loaded.row,
                loaded.state.last_sequence,
                stale.events,
                loaded.state,
                loaded.challenge,
            )
    except Conflict as exc:
        assert exc.code == "session_conflict"
    else:
        raise AssertionError("a stale write was accepted")
