"""Galileo Arena on a real PostgreSQL, with scripted debaters answering like a real model would."""

from __future__ import annotations

import asyncio
import importlib.util
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from galileo_arena.config import Settings
from galileo_arena.main import build_app
from servicekit.llm.types import Message
from servicekit.testing.app import app_client


def _load_debater() -> Callable[..., Callable[[list[Message]], Any]]:
    spec = importlib.util.spec_from_file_location(
        "galileo_scripted_debater", Path(__file__).with_name("scripted_debater.py")
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.debater


debater = _load_debater()


@pytest.fixture
def galileo_settings(make_database: Callable[[str], str]) -> Settings:
    return Settings(
        _env_file=None,
        database_url=make_database("galileo"),
        ml_scoring_enabled=False,
        executor_poll_seconds=0.2,
        run_lease_seconds=3,
    )


@pytest.fixture
async def galileo_client(galileo_settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with app_client(build_app(galileo_settings)) as client:
        yield client


async def wait_for_run(
    client: httpx.AsyncClient, run_id: str, *, within: float = 60.0
) -> dict[str, Any]:
    """Poll until the run reaches a final status; its info."""
    async with asyncio.timeout(within):
        while True:
            info = (await client.get(f"/runs/{run_id}")).json()
            if info["status"] in {"COMPLETED", "FAILED", "CANCELLED"}:
                return info
            await asyncio.sleep(0.1)


@pytest.fixture
def scripted_debater() -> Callable[..., Callable[[list[Message]], Any]]:
    return debater


@pytest.fixture
def finished() -> Callable[..., Any]:
    return wait_for_run
