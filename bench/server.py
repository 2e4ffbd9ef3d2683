"""A service under benchmark: a uvicorn child process on a free port, used once it is healthy."""

from __future__ import annotations

import asyncio
import socket
import sys
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx

START_TIMEOUT_S = 60.0


async def wait_healthy(
    client: httpx.AsyncClient, url: str, child: asyncio.subprocess.Process
) -> None:
    """Poll ``url`` until it answers 200; raise if ``child`` exits or START_TIMEOUT_S passes."""
    try:
        async with asyncio.timeout(START_TIMEOUT_S):
            while True:
                if child.returncode is not None:
                    raise RuntimeError(f"the benchmark server exited with {child.returncode}")
                try:
                    if (await client.get(url)).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.05)
    except TimeoutError:
        raise RuntimeError(f"the benchmark server did not answer {url} in time") from None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass(frozen=True)
class RunningServer:
    base: str
    """The base URL (``http://127.0.0.1:<port>``)."""
    pid: int
    """The uvicorn process (with ``--workers``, the supervisor of the worker processes)."""


@asynccontextmanager
async def uvicorn_server(
    app: str, env: Mapping[str, str], *, health: str, options: Sequence[str] = ()
) -> AsyncIterator[str]:
    """Run ``uvicorn <app>`` until the block ends; yields its base URL once ``health`` is 200."""
    async with uvicorn_process(app, env, health=health, options=options) as running:
        yield running.base


@asynccontextmanager
async def uvicorn_process(
    app: str, env: Mapping[str, str], *, health: str, options: Sequence[str] = ()
) -> AsyncIterator[RunningServer]:
    """``uvicorn_server`` that also gives the process id (to measure the server's CPU)."""
    port = _free_port()
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "uvicorn", app, "--port", str(port), "--log-level", "warning",
        *options, env=dict(env),
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient() as client:
            await wait_healthy(client, f"{base}{health}", child)
        yield RunningServer(base, child.pid)
    finally:
        if child.returncode is None:
            child.terminate()
        try:
            await asyncio.wait_for(child.wait(), timeout=30)
        except TimeoutError:
            child.kill()
            await child.wait()
