"""LLM timeouts and errors: a calm message, 0 points for that attempt, and the game goes on."""

from __future__ import annotations

import json
import uuid

import pytest
from sqlalchemy import select

from curiouscore.engine.machine import (
    EVALUATION_UNAVAILABLE,
    EVALUATION_UNAVAILABLE_MOVE_ON,
    HINT_UNAVAILABLE,
    NARRATION_UNAVAILABLE,
)
from curiouscore.main import build_app
from curiouscore.models import GameEvent
from servicekit.llm import LLMUnavailable
from servicekit.testing.app import app_client

PROVIDER_SECRET = "upstream said: invalid x-api-key sk-live-123"


async def at_chat_step(play, open_session, headers, challenge_id) -> str:
    sid = await open_session(headers, challenge_id)
    for answer in (1, [0, 1, 3], 1):
        await play(headers, "POST", f"/sessions/{sid}/attempt", {"answer": answer})
    return sid


async def test_lem_timeout_then_error_then_move_on(
    register, every_type, play, gm, core, open_session
) -> None:
    learner = await register()
    sid = await at_chat_step(play, open_session, learner, every_type)
    gm.lem.extend(["slow", LLMUnavailable(PROVIDER_SECRET)])

    timed_out = await play(learner, "POST", f"/sessions/{sid}/attempt", {"answer": "My answer"})
    ui = timed_out["ui_response"]
    assert ui["status"] == "active" and ui["ui_mode"] == "CHAT" and ui["score"] == 60
    assert ui["messages"][-1]["content"] == EVALUATION_UNAVAILABLE
    assert not ui["can_continue"]

    errored = await play(learner, "POST", f"/sessions/{sid}/attempt", {"answer": "My answer"})
    ui = errored["ui_response"]
    assert ui["messages"][-1]["content"] == EVALUATION_UNAVAILABLE_MOVE_ON
    assert ui["can_continue"]
    assert PROVIDER_SECRET not in json.dumps(errored)

    moved = await play(learner, "POST", f"/sessions/{sid}/action", {"action": "continue"})
    assert moved["ui_response"]["status"] == "completed"
    assert moved["ui_response"]["outcome"]["final_score"] == 60
    assert moved["ui_response"]["outcome"]["passed"] is False  # 60% < 70%

    async with core.db.session() as db:
        events = list(
            await db.scalars(
                select(GameEvent)
                .where(GameEvent.session_id == sid)
                .order_by(GameEvent.sequence_number)
            )
        )
    assert PROVIDER_SECRET not in json.dumps([e.event_data for e in events])
    failures = [
        e.event_data["error"]
        for e in events
        if e.event_type == "LLM_TASK_COMPLETED" and not e.event_data["ok"]
    ]
    assert failures == ["timeout", "unavailable"]


async def test_retry_after_a_failed_evaluation_can_still_pass(
    register, every_type, play, gm, open_session
) -> None:
    learner = await register()
    sid = await at_chat_step(play, open_session, learner, every_type)
    gm.lem.extend([LLMUnavailable("boom"), 40])
    await play(learner, "POST", f"/sessions/{sid}/attempt", {"answer": "first"})
    done = await play(learner, "POST", f"/sessions/{sid}/attempt", {"answer": "again"})
    assert done["ui_response"]["outcome"]["final_score"] == 100


async def test_invalid_lem_json_gets_one_repair_then_fails_calmly(
    register, every_type, play, gm, open_session
) -> None:
    learner = await register()
    sid = await at_chat_step(play, open_session, learner, every_type)
    gm.lem.extend(["not json at all", "still not json"])
    answer = await play(learner, "POST", f"/sessions/{sid}/attempt", {"answer": "text"})
    assert answer["ui_response"]["messages"][-1]["content"] == EVALUATION_UNAVAILABLE
    assert gm.calls.count("evaluate") == 2


async def test_narration_and_hint_failures_are_calm(register, every_type, play, gm) -> None:
    learner = await register()
    gm.narration.append(LLMUnavailable(PROVIDER_SECRET))
    gm.hints.append("slow")
    sid = (await play(learner, "POST", "/sessions", {"challenge_id": every_type}, status=201))["id"]
    started = await play(learner, "POST", f"/sessions/{sid}/start")
    assert started["ui_response"]["messages"][-1]["content"] == NARRATION_UNAVAILABLE
    await play(learner, "POST", f"/sessions/{sid}/action", {"action": "continue"})
    hinted = await play(learner, "POST", f"/sessions/{sid}/action", {"action": "hint"})
    assert hinted["ui_response"]["messages"][-1]["content"] == HINT_UNAVAILABLE
    assert hinted["session"]["hints_used"] == 0  # an undelivered hint costs nothing


@pytest.mark.parametrize(
    "budget", [{"llm_max_requests_per_minute": 2}, {"llm_max_requests_per_day": 2}]
)
async def test_llm_request_budgets_are_enforced(
    budget, cc_database, settings_for, admin, client, gm
) -> None:
    app = build_app(settings_for(cc_database, **budget))
    async with app_client(app) as limited:
        registered = await limited.post(
            "/auth/register",
            json={"email": f"budget-{uuid.uuid4().hex[:6]}@example.com", "password": "long pw!"},
        )
        headers = {"Authorization": f"Bearer {registered.json()['access_token']}"}
        created = await client.post(
            "/admin/challenges",
            json={"title": "Budget", "challenge_type": "advanced"},
            headers=admin,
        )
        challenge_id = created.json()["id"]
        await client.post(
            f"/admin/challenges/{challenge_id}/steps",
            json={
                "step_type": "CHAT",
                "title": "Say",
                "instruction": "Say something",
                "rubric": {"criteria": {"any": {"description": "anything", "points": 10}}},
                "auto_narrate": False,
            },
            headers=admin,
        )
        sid = (
            await limited.post("/sessions", json={"challenge_id": challenge_id}, headers=headers)
        ).json()["id"]
        await limited.post(f"/sessions/{sid}/start", headers=headers)
        gm.lem.extend([0, 0])
        codes = []
        for _ in range(3):
            answer = await limited.post(
                f"/sessions/{sid}/attempt", json={"answer": "hi"}, headers=headers
            )
            codes.append(answer.status_code)
        assert codes == [200, 200, 429]
        state = (await limited.get(f"/sessions/{sid}/state", headers=headers)).json()
        # The refused attempt was not recorded.
        assert [m["content"] for m in state["ui_response"]["messages"] if m["role"] == "user"] == [
            "hi",
            "hi",
        ]


async def test_non_finite_lem_numbers_are_invalid_output_not_a_crash(
    register, every_type, play, gm, open_session
) -> None:
    learner = await register()
    sid = await at_chat_step(play, open_session, learner, every_type)
    verdict = {"rationale": "x", "criteria_scores": {"idea": float("inf")}, "passed": True}
    gm.lem.append({**verdict, "raw_score": float("nan")})
    answer = await play(learner, "POST", f"/sessions/{sid}/attempt", {"answer": "text"})
    ui = answer["ui_response"]
    assert ui["messages"][-1]["content"] == EVALUATION_UNAVAILABLE and ui["score"] == 60
