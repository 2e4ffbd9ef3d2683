"""One Galileo Arena served for real (uvicorn in a thread) on a fresh database for the whole
folder, scripted debaters that tests can hold at a gate, and an API client to check the pages
against."""

from __future__ import annotations

import asyncio
import runpy
import threading
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from galileo_arena.config import Settings
from galileo_arena.main import build_app
from servicekit.llm.types import Message
from servicekit.testing.server import serve_in_thread

# The API tests' scripted debater: it answers every debate prompt the way a real model would.
debater: Callable[..., Callable[[list[Message]], Any]] = runpy.run_path(
    str(Path(__file__).parents[1] / "api" / "scripted_debater.py")
)["debater"]

CASE_ID = "CL01"
DATASET_ID = "climate_v1"
FINAL_STATUSES = {"COMPLETED", "FAILED", "CANCELLED"}


class ThreadGate:
    """Holds scripted replies until the test opens it. The server runs in another thread with
    its own event loop, so an ``asyncio.Event`` of the test's loop could not wake it."""

    def __init__(self) -> None:
        self._event = threading.Event()

    async def wait(self) -> None:
        await asyncio.to_thread(self._event.wait)

    def open(self) -> None:
        self._event.set()


def gated(reply: Callable[[list[Message]], Any], gate: ThreadGate) -> Callable[..., Any]:
    """``reply`` that waits at ``gate`` before its first answer (and every later one)."""

    async def answer(messages: list[Message]) -> Any:
        await gate.wait()
        return await reply(messages)

    return answer


@pytest.fixture
def gates() -> Iterator[Callable[[], ThreadGate]]:
    """New gates for a test, all opened at its end so that no server thread stays blocked."""
    made: list[ThreadGate] = []

    def make() -> ThreadGate:
        made.append(ThreadGate())
        return made[-1]

    yield make
    for gate in made:
        gate.open()


@pytest.fixture(scope="session")
def galileo_url(make_database: Callable[[str], str]) -> Iterator[str]:
    settings = Settings(
        _env_file=None,
        database_url=make_database("galileo_ui"),
        ml_scoring_enabled=False,
        executor_poll_seconds=0.2,
        run_lease_seconds=3,
        rate_limit_runs="1000/minute",
    )
    with serve_in_thread(build_app(settings)) as base_url:
        yield base_url


class Galileo:
    """The served app: its base URL, an API client, and the steps tests share."""

    dataset_id = DATASET_ID
    case_id = CASE_ID

    def __init__(self, base_url: str, api: httpx.AsyncClient) -> None:
        self.base_url = base_url
        self.api = api

    def url(self, path: str) -> str:
        return self.base_url + path

    async def start_run(self, models: list[str], **selection: Any) -> str:
        body = {"dataset_id": DATASET_ID, "models": models, **(selection or {"case_id": CASE_ID})}
        response = await self.api.post("/runs", json=body)
        assert response.status_code == 201, response.text
        return response.json()["run_id"]

    async def finished(self, run_id: str, within: float = 60) -> dict[str, Any]:
        async with asyncio.timeout(within):
            while True:
                info = (await self.api.get(f"/runs/{run_id}")).json()
                if info["status"] in FINAL_STATUSES:
                    return info
                await asyncio.sleep(0.1)

    async def wait_for_messages(self, run_id: str, count: int, within: float = 30) -> None:
        async with asyncio.timeout(within):
            while True:
                if len(await self.messages(run_id)) >= count:
                    return
                await asyncio.sleep(0.1)

    async def messages(self, run_id: str, case_id: str = CASE_ID) -> list[dict[str, Any]]:
        response = await self.api.get(f"/runs/{run_id}/cases/{case_id}")
        assert response.status_code == 200, response.text
        return response.json()["messages"]


@pytest.fixture
async def galileo(galileo_url: str) -> AsyncIterator[Galileo]:
    async with httpx.AsyncClient(base_url=galileo_url, timeout=30) as api:
        yield Galileo(galileo_url, api)


@pytest.fixture
async def flipping_runs(galileo: Galileo, scripted: Callable[..., str]) -> tuple[str, str, str]:
    """Two finished runs of one model on CL01 (labelled SUPPORTED) and CL02 (REFUTED): it
    answers SUPPORTED in run A and REFUTED in run B, so B has one regression and one
    improvement. (model key, run A, run B)"""
    name = f"flip-{uuid.uuid4().hex[:8]}"  # its own model: the history filter finds these two
    runs = []
    for verdict in ("SUPPORTED", "REFUTED"):
        model = scripted(name, verdict=verdict)
        runs.append(await galileo.start_run([model], case_ids=["CL01", "CL02"]))
        await galileo.finished(runs[-1])
    return model, runs[0], runs[1]


@pytest.fixture
def scripted(llm_script: Callable[..., Any]) -> Callable[..., str]:
    """``scripted("name", start=gate, **options)``: a scripted debater answers as
    ``scripted/name`` for this test (``options`` go to ``debater``; with ``start``, it waits at
    that gate before every answer); returns the model key."""

    def install(name: str, *, start: ThreadGate | None = None, **options: Any) -> str:
        reply = debater(**options)
        model = f"scripted/{name}"
        llm_script(model, reply if start is None else gated(reply, start))
        return model

    return install
