"""A run survives the death of the process executing it: another process takes it over after
the lease expires and redoes only the unfinished work, without duplicating anything."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from galileo_arena.config import Settings
from galileo_arena.main import build_app
from servicekit.testing.app import app_client

SERVER = textwrap.dedent(
    """
    import importlib.util, sys
    import uvicorn
    from servicekit.llm import install_script

    spec = importlib.util.spec_from_file_location("debater", sys.argv[1])
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    install_script("scripted/steady", module.debater(delay=0.15))

    from galileo_arena.config import Settings
    from galileo_arena.main import build_app

    settings = Settings(
        _env_file=None, database_url=sys.argv[2], ml_scoring_enabled=False,
        run_lease_seconds=2, executor_poll_seconds=0.2,
    )
    uvicorn.run(build_app(settings), host="127.0.0.1", port=int(sys.argv[3]), log_level="warning")
    """
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_killed_process_run_resumes_elsewhere(
    galileo_settings: Settings,
    llm_script: Callable[..., Any],
    scripted_debater: Callable[..., Any],
    finished: Callable[..., Any],
    tmp_path: Path,
) -> None:
    port = _free_port()
    script = tmp_path / "server.py"
    script.write_text(SERVER)
    debater_file = Path(__file__).with_name("scripted_debater.py")
    process = subprocess.Popen(  # noqa: ASYNC220 - a server we kill -9 below
        [sys.executable, str(script), str(debater_file), galileo_settings.database_url or "",
         str(port)],
        start_new_session=True,
    )  # fmt: skip
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as remote:
            async with asyncio.timeout(60):
                while True:
                    try:
                        if (await remote.get("/health")).status_code == 200:
                            break
                    except httpx.TransportError:
                        pass
                    await asyncio.sleep(0.2)
            detail = (await remote.get("/datasets/climate_v1")).json()
            cases = [case["case_id"] for case in detail["cases"][:3]]
            body = {"dataset_id": "climate_v1", "case_ids": cases, "models": ["scripted/steady"],
                    "concurrency": 1}  # fmt: skip
            run_id = (await remote.post("/runs", json=body)).json()["run_id"]
            async with asyncio.timeout(60):
                while True:  # polling another process: no event to wait on
                    info = (await remote.get(f"/runs/{run_id}")).json()
                    if info["progress"]["completed"] >= 1:
                        break
                    await asyncio.sleep(0.1)
            await asyncio.sleep(0.8)  # well into the second case's debate
            first_result = (await remote.get(f"/runs/{run_id}/cases/{cases[0]}")).json()
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()

    llm_script("scripted/steady", scripted_debater())
    async with app_client(build_app(galileo_settings)) as client:
        info = await finished(client, run_id)
        assert info["status"] == "COMPLETED"
        assert info["progress"]["completed"] == 3
        again = (await client.get(f"/runs/{run_id}/cases/{cases[0]}")).json()
        assert again["results"] == first_result["results"]  # finished work was not redone
        for case_id in cases:
            detail = (await client.get(f"/runs/{run_id}/cases/{case_id}")).json()
            assert len(detail["results"]) == 1
            # the interrupted attempt's partial transcript was replaced, not appended to
            assert len(detail["messages"]) == 14, case_id
