"""Serve an ASGI app over real HTTP on a free local port, for tests.

Two forms: :func:`serve_in_thread` runs uvicorn in its own thread and event loop (like a separate
process, but it starts in milliseconds): for protocol doubles, browser tests and anything a
synchronous test talks to. :func:`serve_in_loop` runs it inside the test's running event loop, so
the app can share async fixtures (hubs, database engines) with the test; httpx's in-process ASGI
transport buffers whole responses, so streaming endpoints (SSE) need one of these real servers.

In both, the socket is bound here (port 0) and handed to uvicorn, so there is no window in which
another process could take the port between choosing it and listening on it.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager, suppress
from typing import Literal

import uvicorn
from starlette.types import ASGIApp

# How long a server may take to start, or to stop once its clients are gone.
SERVER_TIMEOUT_S = 30.0
# uvicorn's default is to wait for open connections (an SSE stream, a WebSocket) indefinitely.
GRACEFUL_SHUTDOWN_S = 2


def _bound_socket() -> tuple[socket.socket, int]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock, sock.getsockname()[1]


def _config(app: ASGIApp, lifespan: Literal["auto", "on", "off"]) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        lifespan=lifespan,
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_S,
    )


@contextmanager
def serve_in_thread(
    app: ASGIApp, *, lifespan: Literal["auto", "on", "off"] = "auto"
) -> Iterator[str]:
    """Serve ``app`` in a background thread; yields ``http://127.0.0.1:PORT``."""
    sock, port = _bound_socket()
    server = uvicorn.Server(_config(app, lifespan))

    def run() -> None:
        # uvicorn reports a failed startup (lifespan error) with sys.exit(3); the waiting loop
        # below sees the thread end before the server started and raises in the test instead.
        with suppress(SystemExit):
            server.run(sockets=[sock])

    thread = threading.Thread(target=run, name=f"test-server-{port}", daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + SERVER_TIMEOUT_S
        while not server.started:
            if not thread.is_alive():
                raise RuntimeError("the test server exited during startup; see its log above")
            if time.monotonic() > deadline:
                raise RuntimeError(f"the test server did not start in {SERVER_TIMEOUT_S} s")
            time.sleep(0.01)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=SERVER_TIMEOUT_S)
        sock.close()
        if thread.is_alive():
            raise RuntimeError("the test server did not stop; a request handler is stuck")


@asynccontextmanager
async def serve_in_loop(
    app: ASGIApp, *, lifespan: Literal["auto", "on", "off"] = "auto"
) -> AsyncIterator[str]:
    """Serve ``app`` in the running event loop; yields ``http://127.0.0.1:PORT``.

    On exit the server shuts down as on SIGTERM: open SSE responses are ended, then the lifespan's
    shutdown runs.
    """
    sock, port = _bound_socket()
    server = uvicorn.Server(_config(app, lifespan))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        async with asyncio.timeout(SERVER_TIMEOUT_S):
            while not server.started:
                if task.done():
                    task.result()  # raises the startup failure
                    raise RuntimeError("the test server exited during startup")
                await asyncio.sleep(0.01)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
        sock.close()
