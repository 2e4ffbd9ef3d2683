"""Live events over SSE: ordered seq, catch-up with Last-Event-ID, several subscribers and
several server processes (separate apps sharing one database), and the end of the stream."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import httpx
from httpx_sse import aconnect_sse

from galileo_arena.config import Settings
from galileo_arena.main import build_app
from servicekit.testing.server import serve_in_loop

MODEL = "scripted/live"


async def _events(
    client: httpx.AsyncClient, run_id: str, *, last_id: int | None = None, limit: int = 10_000
) -> list[dict[str, Any]]:
    """Read the stream until it ends by itself (or ``limit`` events); the decoded frames."""
    headers = {"Last-Event-ID": str(last_id)} if last_id is not None else {}
    received: list[dict[str, Any]] = []
    async with aconnect_sse(client, "GET", f"/runs/{run_id}/events", headers=headers) as source:
        assert source.response.headers["x-accel-buffering"] == "no"
        assert source.response.headers["cache-control"] == "no-cache"
        assert source.response.headers["connection"] == "keep-alive"
        async for sse in source.aiter_sse():
            frame = json.loads(sse.data)
            assert sse.id == str(frame["seq"])
            received.append(frame)
            if len(received) >= limit:
                break
    return received


async def _start(client: httpx.AsyncClient) -> str:
    detail = (await client.get("/datasets/climate_v1")).json()
    body = {"dataset_id": "climate_v1", "case_id": detail["cases"][0]["case_id"], "models": [MODEL]}
    response = await client.post("/runs", json=body)
    assert response.status_code == 201, response.text
    return response.json()["run_id"]


async def test_reconnecting_client_misses_nothing_and_sees_nothing_twice(
    galileo_settings: Settings, llm_script: Callable[..., Any], scripted_debater: Callable[..., Any]
) -> None:
    gate = asyncio.Event()
    llm_script(MODEL, scripted_debater(gate=gate))
    async with (
        serve_in_loop(build_app(galileo_settings)) as base,
        httpx.AsyncClient(base_url=base, timeout=30) as client,
    ):
        run_id = await _start(client)
        first = await _events(client, run_id, limit=6)
        assert [e["seq"] for e in first] == [1, 2, 3, 4, 5, 6]
        assert first[0]["event_type"] == "run_started"
        assert first[0]["payload"]["run_id"] == run_id

        gate.set()  # the judge answers while nobody listens
        rest = await asyncio.wait_for(_events(client, run_id, last_id=6), 30)
        seqs = [e["seq"] for e in first + rest]
        assert seqs == list(range(1, len(seqs) + 1))
        assert rest[-1]["event_type"] == "run_finished"  # and the stream ended by itself
        types = [e["event_type"] for e in first + rest]
        assert types.count("agent_message") == 14
        assert "case_scored" in types and "metrics_update" in types
        scored = next(e for e in rest if e["event_type"] == "case_scored")
        assert {"score", "passed", "verdict", "label"} <= set(scored["payload"])

        # a late subscriber gets the whole history, identical
        replay = await asyncio.wait_for(_events(client, run_id), 30)
        assert replay == first + rest


async def test_subscribers_on_two_server_processes_see_the_same_stream(
    galileo_settings: Settings, llm_script: Callable[..., Any], scripted_debater: Callable[..., Any]
) -> None:
    """Two apps on one database stand in for two uvicorn workers: events cross via NOTIFY."""
    gate = asyncio.Event()
    llm_script(MODEL, scripted_debater(gate=gate))
    async with (
        serve_in_loop(build_app(galileo_settings)) as base_a,
        serve_in_loop(build_app(galileo_settings)) as base_b,
        httpx.AsyncClient(base_url=base_a, timeout=30) as a,
        httpx.AsyncClient(base_url=base_b, timeout=30) as b,
    ):
        run_id = await _start(a)
        readers = [
            asyncio.create_task(_events(a, run_id)),
            asyncio.create_task(_events(b, run_id)),
            asyncio.create_task(_events(b, run_id)),
        ]
        await asyncio.sleep(0.5)
        gate.set()
        streams = await asyncio.wait_for(asyncio.gather(*readers), 60)
        assert streams[0] == streams[1] == streams[2]
        assert streams[0][-1]["event_type"] == "run_finished"
        assert [e["seq"] for e in streams[0]] == list(range(1, len(streams[0]) + 1))


async def test_cancel_stops_the_run_and_ends_the_stream(
    galileo_settings: Settings, llm_script: Callable[..., Any], scripted_debater: Callable[..., Any]
) -> None:
    gate = asyncio.Event()  # never set: the judge would wait forever
    llm_script(MODEL, scripted_debater(gate=gate))
    async with (
        serve_in_loop(build_app(galileo_settings)) as base,
        httpx.AsyncClient(base_url=base, timeout=30) as client,
    ):
        run_id = await _start(client)
        await _events(client, run_id, limit=3)
        reader = asyncio.create_task(_events(client, run_id))
        response = await client.post(f"/runs/{run_id}/cancel")
        assert response.status_code == 200
        assert response.json()["status"] == "CANCELLED"
        events = await asyncio.wait_for(reader, 30)
        assert events[-1]["event_type"] == "run_finished"
        assert events[-1]["payload"]["status"] == "CANCELLED"
        again = await client.post(f"/runs/{run_id}/cancel")
        assert again.status_code == 409
        await asyncio.sleep(0.5)
        info = (await client.get(f"/runs/{run_id}")).json()
        assert info["status"] == "CANCELLED"
        assert info["progress"]["cancelled"] == 1
