"""``/auth/*`` (register, login, refresh, logout, me, GitHub) and ``/tokens`` (API tokens)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status
from fastapi.responses import RedirectResponse

from modelforge.identity import browser
from modelforge.identity.dependencies import actor_with, forge
from modelforge.identity.schemas import (
    ApiTokenCreate,
    ApiTokenResponse,
    CreatedApiTokenResponse,
    LoginRequest,
    RefreshRequest,
    RegisterRequest,
    TokenPair,
    UserResponse,
)
from modelforge.identity.scopes import READ
from modelforge.registry.access import Actor
from modelforge.runtime import ModelForge
from servicekit.auth import AuthError, GitHubOAuth, GitHubProfile, github_login_router
from servicekit.errors import Unauthorized

router = APIRouter(tags=["auth"])

Forge = Annotated[ModelForge, Depends(forge)]
SignedIn = Annotated[Actor, Depends(actor_with())]


@router.post("/auth/register", status_code=status.HTTP_201_CREATED)
async def register(body: RegisterRequest, mf: Forge) -> TokenPair:
    """A local account (for installations without GitHub); the first one is the admin."""
    user = await mf.identity.register(body.login, body.password, name=body.name, email=body.email)
    return await mf.identity.issue_tokens(user)


@router.post("/auth/login")
async def login(body: LoginRequest, mf: Forge) -> TokenPair:
    user = await mf.identity.authenticate_password(body.login, body.password)
    return await mf.identity.issue_tokens(user)


@router.post("/auth/refresh")
async def refresh(body: RefreshRequest, mf: Forge) -> TokenPair:
    try:
        return await mf.identity.refresh(body.refresh_token)
    except AuthError as exc:
        raise Unauthorized(str(exc), code=exc.code) from exc


@router.post("/auth/logout", status_code=status.HTTP_204_NO_CONTENT)
async def logout(body: RefreshRequest, mf: Forge) -> Response:
    try:
        await mf.identity.logout(body.refresh_token)
    except AuthError as exc:
        raise Unauthorized(str(exc), code=exc.code) from exc
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/auth/me")
async def me(actor: Annotated[Actor, Depends(actor_with(READ))], mf: Forge) -> UserResponse:
    return UserResponse.model_validate(await mf.identity.me(actor.user_id))


@router.post("/tokens", status_code=status.HTTP_201_CREATED)
async def create_token(body: ApiTokenCreate, actor: SignedIn, mf: Forge) -> CreatedApiTokenResponse:
    """A personal API token; the ``token`` field is shown in this answer only."""
    created = await mf.identity.create_api_token(
        actor.user_id, name=body.name, scopes=body.scopes, expires_in_days=body.expires_in_days
    )
    listed = ApiTokenResponse.model_validate(created.row)
    return CreatedApiTokenResponse(**listed.model_dump(), token=created.plaintext)


@router.get("/tokens")
async def list_tokens(actor: SignedIn, mf: Forge) -> list[ApiTokenResponse]:
    tokens = await mf.identity.list_api_tokens(actor.user_id)
    return [ApiTokenResponse.model_validate(token) for token in tokens]


@router.delete("/tokens/{token_id}", status_code=status.HTTP_204_NO_CONTENT)
async def revoke_token(token_id: uuid.UUID, actor: SignedIn, mf: Forge) -> Response:
    await mf.identity.revoke_api_token(actor.user_id, token_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def github_router(github: GitHubOAuth, callback_url: str | None) -> APIRouter:
    """``/auth/github/login`` and ``/auth/github/callback``, answering the callback with tokens,
    or, for a sign-in the dashboard started, with its browser session and a redirect back."""

    async def on_login(request: Request, profile: GitHubProfile) -> Response:
        mf = forge(request)
        user = await mf.identity.github_user(profile)
        return_to = browser.take_return(request)
        if return_to is not None:
            await browser.sign_in(request, mf.identity, user)
            return RedirectResponse(return_to, status_code=status.HTTP_303_SEE_OTHER)
        pair = await mf.identity.issue_tokens(user)
        return Response(pair.model_dump_json(), media_type="application/json")

    return github_login_router(
        github, on_login=on_login, prefix="/auth/github", callback_url=callback_url
    )
