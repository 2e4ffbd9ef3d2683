"""The web app over HTTP (in process, a cookie jar per test) and in Chromium (one real server
per module), on the API tests' database and scripted Game Master."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from curiouscore.challenges.seed import seed
from curiouscore.main import build_app
from curiouscore.runtime import CuriousCore
from servicekit.testing.server import serve_in_thread

PASSWORD = "correct horse battery"  # the admin fixture's, from the parent conftest
SESSION_PATH = re.compile(r"/ui/sessions/([0-9a-f-]{36})$")


@pytest.fixture
async def browser_client(cc_app: FastAPI, client: httpx.AsyncClient) -> AsyncIterator[Any]:
    """A fresh cookie jar on the running app (``client`` keeps its lifespan up)."""
    transport = httpx.ASGITransport(app=cc_app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


@pytest.fixture
def ui(browser_client: httpx.AsyncClient) -> httpx.AsyncClient:
    return browser_client


async def _sign_up(http: httpx.AsyncClient, name: str = "learner") -> str:
    """Register through the form; the client then holds the session cookies. Returns the email."""
    email = f"{name}-{uuid.uuid4().hex[:8]}@example.com"
    answer = await http.post(
        "/ui/register", data={"email": email, "password": PASSWORD, "username": name}
    )
    assert answer.status_code == 303, answer.text
    return email


async def _sign_in(http: httpx.AsyncClient, email: str, password: str = PASSWORD) -> httpx.Response:
    return await http.post("/ui/login", data={"email": email, "password": password})


@pytest.fixture
async def admin_ui(
    cc_app: FastAPI, admin: dict[str, str], browser_client: httpx.AsyncClient
) -> httpx.AsyncClient:
    """A cookie jar signed in as the session's admin (``admin@example.com``)."""
    answer = await _sign_in(browser_client, "admin@example.com")
    assert answer.status_code == 303, answer.text
    return browser_client


async def _start_session(http: httpx.AsyncClient, challenge_id: str) -> str:
    answer = await http.post(f"/ui/challenges/{challenge_id}/play")
    assert answer.status_code == 303, answer.text
    match = SESSION_PATH.search(answer.headers["location"])
    assert match, answer.headers["location"]
    return match.group(1)


@pytest.fixture(scope="session")
async def seeded(core: CuriousCore) -> CuriousCore:
    """The built-in challenges are loaded (idempotent)."""
    await seed(core.db)
    return core


@pytest.fixture(scope="module")
def cc_url(cc_database: str, settings_for: Callable[..., Any]) -> Iterator[str]:
    """One real CuriousCore server per module for the browser, on the tests' database."""
    with serve_in_thread(build_app(settings_for(cc_database))) as base_url:
        yield base_url


@pytest.fixture
def url(cc_url: str) -> Callable[[str], str]:
    return lambda path: cc_url + path


@pytest.fixture
def sign_up() -> Callable[..., Any]:
    """``email = await sign_up(http, name)``: registered through the form, cookies held."""
    return _sign_up


@pytest.fixture
def sign_in() -> Callable[..., Any]:
    """``response = await sign_in(http, email, password=PASSWORD)``."""
    return _sign_in


@pytest.fixture
def start_session() -> Callable[..., Any]:
    """``session_id = await start_session(http, challenge_id)``: the dashboard's Start button."""
    return _start_session
