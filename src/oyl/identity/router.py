"""HTTP routes of tenants, login, members and API keys."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Request, Response, status

from oyl.identity.roles import Action
from oyl.identity.schemas import (
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyOut,
    LoginRequest,
    MemberCreate,
    MemberOut,
    MemberUpdate,
    MeOut,
    RefreshRequest,
    TenantCreate,
    TenantOut,
    TenantUpdate,
    TokenPair,
)
from oyl.identity.service import IdentityService
from oyl.pagination import Page, Paging, paging
from oyl.tenancy import Caller, caller, oyl_of, platform_admin
from servicekit.auth import Principal, require

router = APIRouter(prefix="/api/v1")


def identity(request: Request) -> IdentityService:
    return oyl_of(request).identity


# -- tenants ----------------------------------------------------------------------------------


@router.post("/tenants", status_code=status.HTTP_201_CREATED, tags=["tenants"])
async def create_tenant(
    body: TenantCreate,
    _: Principal = Depends(platform_admin),
    service: IdentityService = Depends(identity),
) -> TenantOut:
    """Create a tenant and its first owner (platform administrators)."""
    return TenantOut.model_validate(await service.create_tenant(body))


@router.get("/tenants", tags=["tenants"])
async def list_tenants(
    principal: Principal = Depends(require()),
    page: Paging = Depends(paging),
    service: IdentityService = Depends(identity),
) -> Page[TenantOut]:
    """Every tenant for a platform administrator; otherwise the caller's own tenants."""
    rows, total = await service.list_tenants(principal, page)
    items = [TenantOut.model_validate(row) for row in rows]
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


@router.get("/tenants/{tenant_id}", tags=["tenants"])
async def get_tenant(
    tenant_id: uuid.UUID,
    principal: Principal = Depends(require()),
    service: IdentityService = Depends(identity),
) -> TenantOut:
    return TenantOut.model_validate(await service.get_tenant(principal, tenant_id))


@router.patch("/tenants/{tenant_id}", tags=["tenants"])
@router.put("/tenants/{tenant_id}", tags=["tenants"], include_in_schema=False)
async def update_tenant(
    tenant_id: uuid.UUID,
    body: TenantUpdate,
    principal: Principal = Depends(require()),
    service: IdentityService = Depends(identity),
) -> TenantOut:
    """Rename (owners) or change quotas (platform administrators)."""
    return TenantOut.model_validate(await service.update_tenant(principal, tenant_id, body))


@router.delete("/tenants/{tenant_id}", status_code=status.HTTP_204_NO_CONTENT, tags=["tenants"])
async def delete_tenant(
    tenant_id: uuid.UUID,
    principal: Principal = Depends(require()),
    service: IdentityService = Depends(identity),
) -> Response:
    """Delete a tenant with all its data: rows, files and vectors (owners, platform admins)."""
    await service.delete_tenant(principal, tenant_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# -- login ------------------------------------------------------------------------------------


@router.post("/auth/login", tags=["auth"])
async def login(body: LoginRequest, service: IdentityService = Depends(identity)) -> TokenPair:
    """Access and refresh tokens acting in one tenant (or on the platform, for its admins)."""
    return await service.login(body.email, body.password, body.tenant_id)


@router.post("/auth/refresh", tags=["auth"])
async def refresh(body: RefreshRequest, service: IdentityService = Depends(identity)) -> TokenPair:
    """Exchange a refresh token (single use) for new tokens."""
    return await service.refresh(body.refresh_token)


@router.post("/auth/logout", status_code=status.HTTP_204_NO_CONTENT, tags=["auth"])
async def logout(
    principal: Principal = Depends(require()), service: IdentityService = Depends(identity)
) -> Response:
    """End the login session: its access and refresh tokens stop working at once."""
    await service.logout(principal)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/auth/me", tags=["auth"])
async def me(
    principal: Principal = Depends(require()), service: IdentityService = Depends(identity)
) -> MeOut:
    return await service.me(principal)


# -- members ----------------------------------------------------------------------------------


@router.get("/members", tags=["members"])
async def list_members(
    who: Caller = Depends(caller(Action.manage)),
    page: Paging = Depends(paging),
    service: IdentityService = Depends(identity),
) -> Page[MemberOut]:
    items, total = await service.list_members(who, page)
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


@router.post("/members", status_code=status.HTTP_201_CREATED, tags=["members"])
async def add_member(
    body: MemberCreate,
    who: Caller = Depends(caller(Action.manage)),
    service: IdentityService = Depends(identity),
) -> MemberOut:
    """Add a person (creating their account when a password is given) with a role."""
    return await service.add_member(who, body)


@router.patch("/members/{user_id}", tags=["members"])
async def change_member_role(
    user_id: uuid.UUID,
    body: MemberUpdate,
    who: Caller = Depends(caller(Action.manage)),
    service: IdentityService = Depends(identity),
) -> MemberOut:
    return await service.change_role(who, user_id, body.role)


@router.delete("/members/{user_id}", status_code=status.HTTP_204_NO_CONTENT, tags=["members"])
async def remove_member(
    user_id: uuid.UUID,
    who: Caller = Depends(caller(Action.manage)),
    service: IdentityService = Depends(identity),
) -> Response:
    await service.remove_member(who, user_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# -- API keys ---------------------------------------------------------------------------------


@router.post("/api-keys", status_code=status.HTTP_201_CREATED, tags=["api keys"])
async def create_api_key(
    body: ApiKeyCreate,
    who: Caller = Depends(caller(Action.manage)),
    service: IdentityService = Depends(identity),
) -> ApiKeyCreated:
    """A tenant API key acting with ``role``; the key is in this answer only."""
    created = await service.create_api_key(who, body)
    return ApiKeyCreated(
        **ApiKeyOut.model_validate(created.row).model_dump(), key=created.plaintext
    )


@router.get("/api-keys", tags=["api keys"])
async def list_api_keys(
    who: Caller = Depends(caller(Action.manage)),
    page: Paging = Depends(paging),
    service: IdentityService = Depends(identity),
) -> Page[ApiKeyOut]:
    rows, total = await service.list_api_keys(who, page)
    items = [ApiKeyOut.model_validate(row) for row in rows]
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


@router.delete("/api-keys/{key_id}", status_code=status.HTTP_204_NO_CONTENT, tags=["api keys"])
async def revoke_api_key(
    key_id: uuid.UUID,
    who: Caller = Depends(caller(Action.manage)),
    service: IdentityService = Depends(identity),
) -> Response:
    """Revoke a key: its next request answers 401."""
    await service.revoke_api_key(who, key_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
