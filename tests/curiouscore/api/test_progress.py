"""Rewards and figures across learners: levels, badges, leaderboard, analytics; the suite spec."""

from __future__ import annotations

import asyncio
import uuid

from curiouscore.spec import spec
from servicekit.service import Resources
from servicekit.testing.app import app_client

ONE_MCQ = [
    {
        "step_type": "MCQ_SINGLE",
        "title": "Only",
        "instruction": "Pick yes",
        "options": ["yes", "no"],
        "correct_answer": 0,
        "points_possible": 10,
        "auto_narrate": False,
    }
]


async def pass_once(play, open_session, headers, challenge_id: str) -> None:
    sid = await open_session(headers, challenge_id, steps=0)
    await play(headers, "POST", f"/sessions/{sid}/attempt", {"answer": 0})


async def test_level_badges_and_leaderboard(client, admin, register, play, open_session) -> None:
    # The leaderboard is shared by every test: compare relative positions only.
    big = await _challenge(client, admin, xp_reward=600)
    star, runner_up = await register("star"), await register("runner")
    await pass_once(play, open_session, star, big)
    me = await play(star, "GET", "/auth/me")
    assert me["xp"] == 600 + 50 and me["level"] == 2

    small = [await _challenge(client, admin, xp_reward=10) for _ in range(5)]
    for challenge_id in small:
        await pass_once(play, open_session, runner_up, challenge_id)
    badges = {b["badge"]["name"] for b in await play(runner_up, "GET", "/badges/me")}
    assert badges == {"First Steps", "Quick Learner"}
    runner_me = await play(runner_up, "GET", "/auth/me")
    assert runner_me["xp"] == 5 * 10 + 50 + 100

    board = await play(runner_up, "GET", "/leaderboard?limit=100")
    names = [entry["username"] for entry in board]
    assert names.index("star") < names.index("runner")
    assert all(
        set(entry) == {"rank", "username", "xp", "level", "badges", "is_you"} for entry in board
    )
    # Only the caller's own row is marked, even if another learner took the same username.
    namesake = await register("runner")
    await pass_once(play, open_session, namesake, big)
    board = await play(runner_up, "GET", "/leaderboard?limit=100")
    runners = [entry for entry in board if entry["username"] == "runner"]
    assert len(runners) >= 2
    assert [entry["xp"] for entry in board if entry["is_you"]] == [runner_me["xp"]]
    catalogue = await play(runner_up, "GET", "/badges")
    assert [b["name"] for b in catalogue] == ["First Steps", "Quick Learner", "AI Explorer"]


async def test_dashboard_tracks_progress_and_resume(
    client, admin, register, play, open_session
) -> None:
    challenge_id = await _challenge(client, admin, steps=2)
    learner = await register()
    sid = await open_session(learner, challenge_id, steps=0)
    await play(learner, "POST", f"/sessions/{sid}/attempt", {"answer": 0})
    dashboard = await play(learner, "GET", "/dashboard")
    row = next(c for c in dashboard["challenges"] if c["challenge_id"] == challenge_id)
    assert row["status"] == "in_progress" and row["progress_percent"] == 50.0
    assert row["resume_session_id"] == sid
    assert dashboard["completed_count"] == 0
    await play(learner, "POST", f"/sessions/{sid}/attempt", {"answer": 0})
    await client.patch(
        f"/admin/challenges/{challenge_id}", json={"is_active": False}, headers=admin
    )
    after = await play(learner, "GET", "/dashboard")
    # Withdrawn from the catalogue, but the learner did pass it.
    assert after["completed_count"] == 1
    assert challenge_id not in [c["challenge_id"] for c in after["challenges"]]


async def test_analytics_show_pass_rate_and_most_failed_steps(
    client, admin, register, play, open_session
) -> None:
    challenge_id = await _challenge(client, admin, steps=2)
    for wrong_answers in (0, 2):
        learner = await register()
        sid = await open_session(learner, challenge_id, steps=0)
        await play(learner, "POST", f"/sessions/{sid}/attempt", {"answer": 0})
        for _ in range(wrong_answers):
            await play(learner, "POST", f"/sessions/{sid}/attempt", {"answer": 1})
        await play(learner, "POST", f"/sessions/{sid}/attempt", {"answer": 0})
    figures = await play(admin, "GET", f"/admin/challenges/{challenge_id}/analytics")
    assert figures["sessions"] == 2 and figures["completed"] == 2 and figures["pass_rate"] == 1.0
    assert figures["most_failed_steps"] == [1]
    second = figures["steps"][1]
    assert (second["attempts"], second["failures"], second["completions"]) == (4, 2, 2)
    assert figures["steps"][0]["first_try_rate"] == 1.0
    await play(admin, "GET", f"/admin/challenges/{uuid.uuid4()}/analytics", status=404)


async def test_unknown_model_provider_is_refused(client, admin) -> None:
    challenge_id = await _challenge(client, admin)
    answer = await client.put(
        f"/admin/challenges/{challenge_id}/model", json={"llm_model": "nobody/x"}, headers=admin
    )
    assert answer.status_code == 422


async def test_the_suite_spec_builds_and_seeds(make_database, monkeypatch, scripted_gm) -> None:
    url = make_database("curiouscore_spec")
    monkeypatch.setenv("SECRET_KEY", "spec-test-secret-0123456789abcdef")
    resources = Resources(database_url=url)
    assert spec.name == "curiouscore" and spec.cli is not None
    app = spec.create_app(resources)
    async with app_client(app) as client:
        assert (await client.get("/health")).json()["database"] == "connected"
        assert app.state.curiouscore.settings.database_url == url
    await asyncio.to_thread(spec.seed, resources)  # it runs its own event loop
    async with app_client(spec.create_app(resources)) as client:
        assert len((await client.get("/challenges")).json()) >= 4


async def _challenge(client, admin, *, xp_reward: int = 100, steps: int = 1) -> str:
    created = await client.post(
        "/admin/challenges",
        json={"title": f"Quick {uuid.uuid4().hex[:6]}", "xp_reward": xp_reward},
        headers=admin,
    )
    challenge_id = created.json()["id"]
    for _ in range(steps):
        added = await client.post(
            f"/admin/challenges/{challenge_id}/steps", json=ONE_MCQ[0], headers=admin
        )
        assert added.status_code == 201
    return challenge_id
