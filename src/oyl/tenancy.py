"""Who is calling, inside which tenant, with which role: the dependency every tenant route uses.

A request's credential (a user's access token or a tenant API key) names one tenant. A user's
role is read again from their membership on every request, so a removed member or a demoted admin
loses access at once rather than when the token expires. Routes declare the action they need
(``caller(Action.edit)``); the returned ``Caller`` is what repositories scope every query by.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from fastapi import Depends, Request

from oyl.identity.roles import Action, Role, allowed
from servicekit.auth import Principal, PrincipalKind, require
from servicekit.errors import Forbidden

if TYPE_CHECKING:  # the runtime imports every service, which import this module
    from oyl.runtime import Oyl

PLATFORM_SCOPE = "platform:admin"


@dataclass(frozen=True)
class Caller:
    tenant_id: uuid.UUID
    role: Role
    subject: str
    """A user id, or an API key id: who owns conversations and feedback."""
    kind: PrincipalKind

    @property
    def user_id(self) -> uuid.UUID | None:
        return uuid.UUID(self.subject) if self.kind is PrincipalKind.user else None


def oyl_of(request: Request) -> Oyl:
    """The running service's object graph (set by the app's lifespan)."""
    return request.app.state.oyl


def caller(action: Action) -> Callable[..., Awaitable[Caller]]:
    """A dependency: the tenant caller, allowed to do ``action`` (else 403)."""

    async def dependency(request: Request, principal: Principal = Depends(require())) -> Caller:
        if principal.tenant_id is None:
            raise Forbidden(
                "This credential is not bound to a tenant; log in to a tenant to use this route",
                code="tenant_required",
            )
        tenant_id = uuid.UUID(principal.tenant_id)
        if principal.kind is PrincipalKind.user:
            role_name = await oyl_of(request).identity.current_role(
                tenant_id, uuid.UUID(str(principal.subject))
            )
        else:
            role_name = next(iter(principal.roles), None)
        if role_name is None:
            raise Forbidden("You are no longer a member of this tenant", code="not_a_member")
        role = Role(role_name)
        if not allowed(role, action):
            raise Forbidden(
                f"The {role.value} role may not {action.name} here",
                code="insufficient_role",
                details={"role": role.value, "action": action.name},
            )
        return Caller(tenant_id, role, str(principal.subject), principal.kind)

    return dependency


async def platform_admin(principal: Principal = Depends(require())) -> Principal:
    if PLATFORM_SCOPE not in principal.scopes:
        raise Forbidden("Platform administrators only", code="platform_admin_required")
    return principal
