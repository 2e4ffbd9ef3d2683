"""An HTTP client for a service app, in process, with the app's lifespan running."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import httpx
import pytest
from fastapi import FastAPI


@asynccontextmanager
async def app_client(
    app: FastAPI, *, base_url: str = "http://testserver", **client_options: object
) -> AsyncIterator[httpx.AsyncClient]:
    """``async with app_client(app) as client``: startup runs first, shutdown at the end.

    Unhandled errors come back as the app's 500 envelope (as a real server would answer), not
    as exceptions in the test. For streaming endpoints (SSE) use ``servicekit.testing.server``.
    """
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url=base_url, **client_options) as client,
    ):
        yield client


@pytest.fixture
def client_for() -> Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]:
    """The :func:`app_client` factory as a fixture: ``async with client_for(app) as client``."""
    return app_client
