"""Fan-out latency of the kit's event log: one event to 100 SSE subscribers over real HTTP.

Run alone: ``.venv/bin/python bench/kit_events.py`` prints a table and writes
``bench/results/kit_events.json``. ``bench/kit.py`` imports :func:`bench_events`.

A service process (uvicorn, the kit's app factory, an :class:`EventHub` in its lifespan) serves
one SSE stream; this process opens 100 connections to it, then publishes events one at a time,
each in its own committed transaction. A sample is the time from calling ``publish_now`` to one
subscriber parsing the event, so it includes the commit, NOTIFY, the hub's read, the SSE write
and the client's parsing (the client shares the machine's 2 cores with the server and
PostgreSQL). The database is ``DATABASE_URL`` when set, else the embedded PostgreSQL; the
benchmark's table is dropped afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import statistics
import sys
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import uvicorn
from fastapi import APIRouter, FastAPI, Request
from httpx_sse import aconnect_sse
from report import RESULTS_DIR, report
from server import wait_healthy
from sse_starlette import EventSourceResponse

from servicekit.app import create_app
from servicekit.db import Database, naming_metadata
from servicekit.embedded import embedded_postgres
from servicekit.events import EventHub, EventLog, event_log_table, sse_response

RESULTS = RESULTS_DIR / "kit_events.json"
TARGET_P99_MS = 50.0
SUBSCRIBERS = 100
EVENTS = 200
# Space events out so that each one's latency is measured alone, not a queue behind the last.
INTERVAL_S = 0.02
STREAM = "bench"


def _database_url() -> str:
    return os.environ.get("DATABASE_URL") or embedded_postgres().ensure_database("bench")


def _event_log(url: str, table: str) -> tuple[Database, EventLog]:
    database = Database(url)
    metadata = naming_metadata()
    return database, EventLog(database, event_log_table(metadata, table))


def serve(url: str, table: str, fd: int) -> None:
    """The service side, run in a child process on the socket ``fd`` its parent bound."""
    database, events = _event_log(url, table)
    hub = EventHub(events)
    router = APIRouter()

    @router.get("/events")
    async def stream(request: Request) -> EventSourceResponse:
        return sse_response(hub, request, STREAM)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await hub.start()
        yield
        await hub.stop()
        await database.dispose()

    app = create_app(title="bench-events", version="0", routers=[router], lifespan=lifespan)
    uvicorn.run(app, fd=fd, log_level="warning", timeout_graceful_shutdown=5)


@asynccontextmanager
async def _server(url: str, table: str) -> AsyncIterator[str]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(256)
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    child = await asyncio.create_subprocess_exec(
        *(sys.executable, __file__, "serve", url, table, str(sock.fileno())),
        pass_fds=[sock.fileno()],
        stdout=asyncio.subprocess.DEVNULL,  # its access log; failures still reach stderr
    )
    try:
        async with httpx.AsyncClient() as client:
            await wait_healthy(client, f"{base}/health", child)
        yield base
    finally:
        child.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(child.wait(), timeout=15)
        except TimeoutError:
            child.kill()
            await child.wait()
        sock.close()


async def _measure(url: str, table: str) -> dict[str, Any]:
    database, events = _event_log(url, table)
    async with database.engine.begin() as conn:
        await conn.run_sync(events.table.metadata.create_all)
    try:
        async with _server(url, table) as base:
            return await fan_out(base, events)
    finally:
        async with database.engine.begin() as conn:
            await conn.run_sync(events.table.metadata.drop_all)
        await database.dispose()


async def fan_out(
    base: str, events: EventLog, *, path: str = "/events", stream: str = STREAM
) -> dict[str, Any]:
    """Open ``SUBSCRIBERS`` SSE streams on ``base + path``, publish to ``stream``, time arrivals."""
    received: list[dict[int, float]] = [{} for _ in range(SUBSCRIBERS)]
    arrivals: asyncio.Queue[int] = asyncio.Queue()

    async def subscriber(index: int, client: httpx.AsyncClient) -> None:
        async with aconnect_sse(client, "GET", f"{base}{path}") as source:
            source.response.raise_for_status()
            async for sse in source.aiter_sse():
                seq = int(sse.id)
                received[index][seq] = time.perf_counter()
                arrivals.put_nowait(seq)

    async def all_received(seq: int) -> None:
        while sum(seq in got for got in received) < SUBSCRIBERS:
            await arrivals.get()

    limits = httpx.Limits(max_connections=SUBSCRIBERS + 10)
    async with httpx.AsyncClient(limits=limits, timeout=httpx.Timeout(30, read=None)) as client:
        tasks = [asyncio.create_task(subscriber(i, client)) for i in range(SUBSCRIBERS)]
        try:
            # Warm-up events, until every subscriber has its connection and is live.
            warm = await events.publish_now(stream, "warmup", {})
            await asyncio.wait_for(all_received(warm.seq), timeout=60)
            published: dict[int, float] = {}
            for n in range(EVENTS):
                started = time.perf_counter()
                event = await events.publish_now(stream, "tick", {"n": n})
                published[event.seq] = started
                await asyncio.sleep(INTERVAL_S)
            await asyncio.wait_for(all_received(max(published)), timeout=60)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    samples = sorted(
        (got[seq] - started) * 1000 for got in received for seq, started in published.items()
    )
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return {
        "subscribers": SUBSCRIBERS,
        "events": EVENTS,
        "samples": len(samples),
        "interval_ms": INTERVAL_S * 1000,
        "cpu_count": os.cpu_count(),
        "p50_ms": round(cuts[49], 2),
        "p95_ms": round(cuts[94], 2),
        "p99_ms": round(cuts[98], 2),
        "max_ms": round(samples[-1], 2),
        "target_p99_ms": TARGET_P99_MS,
    }


def bench_events() -> dict[str, Any]:
    """Measure the fan-out; returns the figures written to the JSON results."""
    table = f"bench_event_log_{uuid.uuid4().hex[:8]}"
    return asyncio.run(_measure(_database_url(), table))


def main() -> None:
    results = bench_events()
    verdict = "meets" if results["p99_ms"] < TARGET_P99_MS else "ABOVE"
    report(
        f"Event fan-out to {results['subscribers']} SSE subscribers",
        [
            (f"events (one every {results['interval_ms']:.0f} ms)", str(results["events"])),
            ("samples (event x subscriber)", str(results["samples"])),
            ("p50", f"{results['p50_ms']:.1f} ms"),
            ("p95", f"{results['p95_ms']:.1f} ms"),
            (f"p99 ({verdict} target {TARGET_P99_MS:.0f} ms)", f"{results['p99_ms']:.1f} ms"),
            ("max", f"{results['max_ms']:.1f} ms"),
            ("CPUs", str(results["cpu_count"])),
        ],
        results,
        RESULTS.name,
    )


if __name__ == "__main__":
    if sys.argv[1:2] == ["serve"]:
        parser = argparse.ArgumentParser()
        parser.add_argument("command")
        parser.add_argument("url")
        parser.add_argument("table")
        parser.add_argument("fd", type=int)
        args = parser.parse_args()
        serve(args.url, args.table, args.fd)
    else:
        main()
