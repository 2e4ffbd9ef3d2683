"""Dashboard page tests: browsers are httpx clients with their own cookie jars, on one app."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest

Browser = Callable[[str], Awaitable[httpx.AsyncClient]]


@pytest.fixture
async def browser_for(
    mf_client: httpx.AsyncClient, users: dict[str, dict[str, str]]
) -> AsyncIterator[Browser]:
    """``await browser_for("alice")``: a client signed in to the dashboard as that user (the
    ``users`` fixture made admin, alice and bob with the password ``<login>-password-123``)."""
    clients: list[httpx.AsyncClient] = []

    async def sign_in(login: str) -> httpx.AsyncClient:
        client = httpx.AsyncClient(transport=mf_client._transport, base_url=mf_client.base_url)
        clients.append(client)
        response = await client.post(
            "/ui/login", data={"login": login, "password": f"{login}-password-123"}
        )
        assert response.status_code == 303, response.text
        return client

    yield sign_in
    for client in clients:
        await client.aclose()
