"""FastAPI dependencies: the calling ``Actor`` with the scope a route needs, and the services."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from fastapi import Depends
from starlette.requests import HTTPConnection

from modelforge.registry.access import Actor
from servicekit.auth import Principal, require

if TYPE_CHECKING:
    from modelforge.runtime import ModelForge


def forge(connection: HTTPConnection) -> ModelForge:
    """The running service's object graph (set by the app's lifespan)."""
    return connection.app.state.modelforge  # type: ignore[no-any-return]


def actor_with(*scopes: str) -> Callable[..., Awaitable[Actor]]:
    """A dependency: the authenticated caller holding ``scopes`` (401 anonymous, 403 lacking)."""

    async def dependency(principal: Principal = Depends(require(*scopes))) -> Actor:
        return Actor.of(principal)

    return dependency
