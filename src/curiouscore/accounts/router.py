"""``/auth/*``, ``/profile`` and role management."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, status

from curiouscore.accounts.schemas import (
    Credentials,
    LogoutRequest,
    ProfileUpdate,
    RefreshRequest,
    Registration,
    RoleUpdate,
    TokenPair,
    UserOut,
)
from curiouscore.dependencies import Admin, Core, Learner, auth_rate_limit
from servicekit.auth import Principal, current_principal

router = APIRouter(tags=["auth"])
limited = [Depends(auth_rate_limit)]


@router.post("/auth/register", status_code=status.HTTP_201_CREATED, dependencies=limited)
async def register(body: Registration, cc: Core) -> TokenPair:
    """A learner account, logged in at once (admins are made with ``create-admin``)."""
    return await cc.accounts.register(body)


@router.post("/auth/login", dependencies=limited)
async def login(body: Credentials, cc: Core) -> TokenPair:
    return await cc.accounts.login(body)


@router.post("/auth/refresh", dependencies=limited)
async def refresh(body: RefreshRequest, cc: Core) -> TokenPair:
    """Exchange a refresh token for a new pair; the old one is spent (reuse revokes all)."""
    return await cc.accounts.refresh(body.refresh_token)


@router.post("/auth/logout", status_code=status.HTTP_204_NO_CONTENT)
async def logout(
    cc: Core,
    principal: Annotated[Principal, Depends(current_principal)],
    body: LogoutRequest | None = None,
) -> None:
    """End a login session, named by the bearer access token or by ``{refresh_token}`` alone
    (no ``Authorization`` header: how a client whose access token expired logs out). Its
    refresh and access tokens stop working at once."""
    refresh_token = body.refresh_token if body is not None else None
    await cc.accounts.logout(principal.session_id, refresh_token)


@router.get("/auth/me", response_model=UserOut)
async def me(principal: Learner, cc: Core) -> object:
    return await cc.accounts.get(principal.subject or "")


@router.get("/profile", response_model=UserOut)
async def profile(principal: Learner, cc: Core) -> object:
    return await cc.accounts.get(principal.subject or "")


@router.patch("/profile", response_model=UserOut)
async def update_profile(body: ProfileUpdate, principal: Learner, cc: Core) -> object:
    return await cc.accounts.update_profile(principal.subject or "", body)


@router.patch("/admin/users/{user_id}/role", response_model=UserOut, tags=["admin"])
async def set_role(user_id: uuid.UUID, body: RoleUpdate, _: Admin, cc: Core) -> object:
    return await cc.accounts.set_role(user_id, body.role)
