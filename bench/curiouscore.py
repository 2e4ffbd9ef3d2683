"""CuriousCore's response-time targets on these 2 cores: prints a table, writes JSON.

    .venv/bin/python bench/curiouscore.py

The guide's targets at p95, measured through the real app and PostgreSQL with a scripted Game
Master answering instantly (so the figures are the service's own cost): session creation
< 100 ms, MCQ submission < 200 ms, state retrieval < 200 ms; and, without the model's own time,
session start with narration (< 500 ms) and CHAT submission with LEM grading (< 3 s).

Then the time to rebuild a session against its length: with a snapshot every 5 events, loading
applies at most 4 events whatever the length, while a replay from the first event applies them
all. The snapshot holds the transcript, so reading it still grows with the number of messages.

The database is ``DATABASE_URL`` when set, else the embedded PostgreSQL (a scratch database).
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
import uuid
from typing import Any

# This file's name is the package's: its folder (sys.path[0]) goes last, so that `curiouscore`
# is the package and `report` is still found.
sys.path.append(sys.path.pop(0))

from report import report
from scratch import scratch_database

from curiouscore.config import Settings
from curiouscore.engine.machine import replay
from curiouscore.engine.state import SNAPSHOT_SCHEMA_VERSION, SessionState
from curiouscore.main import build_app
from curiouscore.play import repository
from servicekit.llm import install_script
from servicekit.testing.app import app_client

TARGETS_MS = {
    "session_create": 100,
    "session_start": 500,
    "mcq_submit": 200,
    "chat_submit": 3000,
    "state": 200,
}
SAMPLES = 60
LENGTHS = (20, 200, 1000)  # events, two per wrong answer
PASSWORD = "benchmark password"


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[18]


def game_master(messages: list[dict[str, str]]) -> Any:
    if "evaluator" in messages[0]["content"]:
        return {"raw_score": 10, "rationale": "ok", "criteria_scores": {}, "passed": True}
    return "Onwards."


async def timed(call) -> tuple[float, Any]:
    started = time.perf_counter()
    answer = await call
    elapsed = (time.perf_counter() - started) * 1000
    if answer.status_code >= 400:
        raise RuntimeError(f"{answer.status_code}: {answer.text}")
    return elapsed, answer.json()


async def load_time(
    db: Any, definition: Any, session_id: uuid.UUID, row: Any, snapshots: bool
) -> float:
    """Milliseconds to rebuild a session's state: queries plus replay."""
    started = time.perf_counter()
    snapshot = (
        await repository.latest_snapshot(
            db, session_id, schema_version=SNAPSHOT_SCHEMA_VERSION, up_to=row.last_sequence
        )
        if snapshots
        else None
    )
    start = SessionState.from_dict(snapshot.snapshot_data) if snapshot else None
    after = snapshot.event_sequence if snapshot else 0
    events = await repository.events_after(db, session_id, after, row.last_sequence)
    replay(definition, events, start)
    return (time.perf_counter() - started) * 1000


async def run(url: str) -> dict[str, Any]:
    install_script("bench-gm", game_master)
    settings = Settings(
        _env_file=None,
        database_url=url,
        secret_key="bench-secret-0123456789abcdef0123",
        default_llm_provider="scripted",
        default_llm_model="bench-gm",
        auth_rate_limit="100000/minute",
        llm_max_requests_per_minute=100000,
        log_level="WARNING",
    )
    app = build_app(settings)
    async with app_client(app) as client:
        core = app.state.curiouscore
        await core.accounts.create_admin("bench-admin@example.com", PASSWORD, "admin")
        admin_login = await client.post(
            "/auth/login", json={"email": "bench-admin@example.com", "password": PASSWORD}
        )
        admin = {"Authorization": f"Bearer {admin_login.json()['access_token']}"}
        challenge = (
            await client.post("/admin/challenges", json={"title": "Bench"}, headers=admin)
        ).json()["id"]
        for n in range(SAMPLES + 1):
            await client.post(
                f"/admin/challenges/{challenge}/steps",
                json={
                    "step_type": "MCQ_SINGLE",
                    "title": f"Q{n}",
                    "instruction": "Pick B",
                    "options": ["A", "B", "C"],
                    "correct_answer": 1,
                    "points_possible": 10,
                },
                headers=admin,
            )
        registered = await client.post(
            "/auth/register",
            json={"email": f"{uuid.uuid4().hex}@example.com", "password": PASSWORD},
        )
        learner = {"Authorization": f"Bearer {registered.json()['access_token']}"}

        creates, starts = [], []
        for _ in range(SAMPLES):
            ms, created = await timed(
                client.post("/sessions", json={"challenge_id": challenge}, headers=learner)
            )
            creates.append(ms)
            ms, _ = await timed(client.post(f"/sessions/{created['id']}/start", headers=learner))
            starts.append(ms)
        chat_challenge = (
            await client.post("/admin/challenges", json={"title": "Bench chat"}, headers=admin)
        ).json()["id"]
        for n in range(SAMPLES):
            await client.post(
                f"/admin/challenges/{chat_challenge}/steps",
                json={
                    "step_type": "CHAT",
                    "title": f"Explain {n}",
                    "instruction": "Explain it",
                    "rubric": {"criteria": {"idea": {"description": "the idea", "points": 10}}},
                },
                headers=admin,
            )
        chat_sid = (
            await client.post("/sessions", json={"challenge_id": chat_challenge}, headers=learner)
        ).json()["id"]
        await client.post(f"/sessions/{chat_sid}/start", headers=learner)
        chats = []
        for _ in range(SAMPLES - 1):
            ms, _ = await timed(
                client.post(
                    f"/sessions/{chat_sid}/attempt",
                    json={"answer": "An explanation of the idea."},
                    headers=learner,
                )
            )
            chats.append(ms)
        sid = (
            await client.post("/sessions", json={"challenge_id": challenge}, headers=learner)
        ).json()["id"]
        await client.post(f"/sessions/{sid}/start", headers=learner)
        submits, states = [], []
        for _ in range(SAMPLES):
            ms, _ = await timed(
                client.post(f"/sessions/{sid}/attempt", json={"answer": 1}, headers=learner)
            )
            submits.append(ms)
            ms, _ = await timed(client.get(f"/sessions/{sid}/state", headers=learner))
            states.append(ms)

        # Replay against length: one session grown by wrong answers (2 events each).
        long_sid = uuid.UUID(
            (
                await client.post("/sessions", json={"challenge_id": challenge}, headers=learner)
            ).json()["id"]
        )
        await client.post(f"/sessions/{long_sid}/start", headers=learner)
        definition = None
        replays: list[dict[str, float]] = []
        for length in LENGTHS:
            while True:
                state = (await client.get(f"/sessions/{long_sid}/state", headers=learner)).json()
                if state["ui_response"]["mistakes_count"] * 2 >= length:
                    break
                await client.post(
                    f"/sessions/{long_sid}/attempt", json={"answer": 0}, headers=learner
                )
            with_snapshots, from_scratch = [], []
            async with core.db.session() as db:
                row = await repository.by_id(db, long_sid)
                definition = await core.challenges.version(db, row.challenge_id, 1)
                for _ in range(20):
                    with_snapshots.append(await load_time(db, definition, long_sid, row, True))
                    from_scratch.append(await load_time(db, definition, long_sid, row, False))
            replays.append(
                {
                    "events": row.last_sequence,
                    "load_with_snapshots_ms": round(statistics.median(with_snapshots), 2),
                    "replay_from_first_event_ms": round(statistics.median(from_scratch), 2),
                    "events_replayed_with_snapshots": row.last_sequence % core.play.snapshot_every,
                }
            )
    return {
        "session_create_p95_ms": round(p95(creates), 1),
        "mcq_submit_p95_ms": round(p95(submits), 1),
        "state_p95_ms": round(p95(states), 1),
        "session_start_p95_ms": round(p95(starts), 1),
        "chat_submit_p95_ms": round(p95(chats), 1),
        "targets_ms": TARGETS_MS,
        "replay": replays,
        "samples": SAMPLES,
    }


async def main() -> None:
    async with scratch_database("bench_curiouscore") as url:
        results = await run(url)
    rows = [
        ("session create p95 (target < 100 ms)", f"{results['session_create_p95_ms']} ms"),
        ("MCQ submit p95 (target < 200 ms)", f"{results['mcq_submit_p95_ms']} ms"),
        ("state p95 (target < 200 ms)", f"{results['state_p95_ms']} ms"),
        (
            "session start with narration p95 (target < 500 ms)",
            f"{results['session_start_p95_ms']} ms",
        ),
        ("CHAT submit with LEM p95 (target < 3 s)", f"{results['chat_submit_p95_ms']} ms"),
    ]
    for entry in results["replay"]:
        rows.append(
            (
                f"rebuild {entry['events']} events: snapshot+"
                f"{entry['events_replayed_with_snapshots']} / from event 1",
                f"{entry['load_with_snapshots_ms']} / {entry['replay_from_first_event_ms']} ms",
            )
        )
    report("CuriousCore", rows, results, "curiouscore.json")


if __name__ == "__main__":
    asyncio.run(main())
