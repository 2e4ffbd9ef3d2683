"""Who is acting: the authenticated agent, its scopes and the request id, for every write.

Routers declare the scopes an endpoint accepts with :func:`actor_with` (holding any one of them
is enough; ``admin`` stands for all) and hand the :class:`Actor` to services, which apply
ownership rules and write it into the audit log.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from fastapi import Depends, Request

from phiacta import scopes
from phiacta.errors import error
from servicekit.app import request_id_of
from servicekit.auth import Principal, current_principal
from servicekit.errors import ServiceError


@dataclass(frozen=True)
class Actor:
    agent_id: uuid.UUID
    scopes: frozenset[str]
    key_id: str | None = None
    request_id: str | None = None

    @property
    def is_admin(self) -> bool:
        return scopes.ADMIN in self.scopes

    def can(self, scope: str) -> bool:
        return scopes.grants(self.scopes, scope)


def actor_with(*any_of: str) -> Callable[..., Awaitable[Actor]]:
    """A dependency: the authenticated actor, holding at least one of ``any_of`` (if given)."""

    async def dependency(
        request: Request, principal: Principal = Depends(current_principal)
    ) -> Actor:
        if not principal.is_authenticated or principal.subject is None:
            raise ServiceError(
                "Not authenticated",
                status_code=401,
                code="UNAUTHENTICATED",
                headers={"WWW-Authenticate": "Bearer"},
            )
        actor = Actor(
            agent_id=uuid.UUID(principal.subject),
            scopes=frozenset(principal.scopes),
            key_id=principal.credential_id,
            request_id=request_id_of(request),
        )
        if any_of and not any(actor.can(scope) for scope in any_of):
            raise error(
                403,
                "INSUFFICIENT_SCOPE",
                f"Requires one of the scopes: {', '.join(any_of)}",
                {"required_any_of": list(any_of), "granted": sorted(actor.scopes)},
            )
        return actor

    return dependency
