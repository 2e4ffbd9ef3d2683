"""Tenants, accounts, logins, memberships and API keys: the use cases.

Roles follow ``identity.roles``: managers grant roles up to their own; a tenant always keeps at
least one owner. A person is one account (by email) with a membership per tenant; a login
picks the tenant the tokens act in.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError

from oyl.config import Settings
from oyl.identity import repository
from oyl.identity.roles import Action, Role, allowed, can_grant
from oyl.identity.schemas import (
    ApiKeyCreate,
    MemberCreate,
    MemberOut,
    MembershipOut,
    MeOut,
    TenantCreate,
    TenantUpdate,
    TokenPair,
)
from oyl.models import ApiKey, Membership, Tenant, User
from oyl.pagination import Paging
from oyl.tenancy import PLATFORM_SCOPE, Caller
from servicekit.auth import (
    ApiKeyStore,
    CreatedApiKey,
    IssuedToken,
    PasswordHasher,
    Principal,
    PrincipalKind,
    RefreshTokenStore,
    TokenCodec,
)
from servicekit.auth.errors import AuthError
from servicekit.db import Database
from servicekit.errors import Conflict, Forbidden, NotFound, Unauthorized, Unprocessable

TenantCleanup = Callable[[uuid.UUID], Awaitable[None]]


def _bad_login() -> Unauthorized:
    return Unauthorized("Incorrect email or password", headers={"WWW-Authenticate": "Bearer"})


class IdentityService:
    def __init__(
        self,
        db: Database,
        settings: Settings,
        *,
        hasher: PasswordHasher,
        codec: TokenCodec,
        sessions: RefreshTokenStore[object],
        api_keys: ApiKeyStore[ApiKey],
        on_tenant_deleted: TenantCleanup,
    ) -> None:
        self.db = db
        self.settings = settings
        self.hasher = hasher
        self.codec = codec
        self.sessions = sessions
        self.api_keys = api_keys
        self._on_tenant_deleted = on_tenant_deleted

    # -- accounts ---------------------------------------------------------------------------

    async def ensure_platform_admin(self, email: str, password: str) -> uuid.UUID:
        """Create the platform administrator, or make an existing account one (idempotent)."""
        password_hash = await self.hasher.hash_async(password)
        async with self.db.session() as session:
            user = await repository.user_by_email(session, email)
            if user is None:
                user = User(email=email.lower(), password_hash=password_hash)
                session.add(user)
            elif not self.hasher.verify(password, user.password_hash):
                user.password_hash = password_hash
            user.is_platform_admin = True
            await session.flush()
            return user.id

    async def _account(self, session, email: str, password: str | None, name: str = "") -> User:
        user = await repository.user_by_email(session, email)
        if user is not None:
            return user
        if password is None:
            raise Unprocessable(f"{email} has no account yet: give a password to create it")
        user = User(
            email=email.lower(),
            display_name=name,
            password_hash=await self.hasher.hash_async(password),
        )
        session.add(user)
        await session.flush()
        return user

    # -- tenants ------------------------------------------------------------------------------

    async def create_tenant(self, body: TenantCreate) -> Tenant:
        quotas = body.quotas
        async with self.db.session() as session:
            if await repository.tenant_name_taken(session, body.name):
                raise Conflict(f"A tenant named {body.name!r} already exists")
            tenant = Tenant(
                name=body.name,
                max_documents=_or(quotas.max_documents, self.settings.default_max_documents),
                max_storage_bytes=_or(
                    quotas.max_storage_bytes, self.settings.default_max_storage_bytes
                ),
                max_tokens_per_day=_or(
                    quotas.max_tokens_per_day, self.settings.default_max_tokens_per_day
                ),
            )
            session.add(tenant)
            owner = await self._account(session, body.owner_email, body.owner_password)
            await session.flush()
            session.add(Membership(tenant_id=tenant.id, user_id=owner.id, role=Role.owner.value))
        return tenant

    async def list_tenants(self, principal: Principal, paging: Paging) -> tuple[list[Tenant], int]:
        async with self.db.session() as session:
            if PLATFORM_SCOPE in principal.scopes:
                rows, total = await repository.list_tenants(session, paging)
            elif principal.kind is PrincipalKind.user:
                member = uuid.UUID(str(principal.subject))
                rows, total = await repository.list_tenants(session, paging, member=member)
            else:  # an API key sees its own tenant
                tenant = await session.get(Tenant, uuid.UUID(str(principal.tenant_id)))
                rows, total = ([tenant], 1) if tenant is not None else ([], 0)
        return list(rows), total

    async def _visible_tenant(
        self, session, principal: Principal, tenant_id: uuid.UUID, action: Action
    ) -> Tenant:
        """The tenant if the principal may act on it; 404 when they may not even see it."""
        tenant = await session.get(Tenant, tenant_id)
        if PLATFORM_SCOPE in principal.scopes:
            if tenant is None:
                raise NotFound("Tenant not found")
            return tenant
        role = await self._role_in(session, principal, tenant_id)
        if tenant is None or role is None:
            raise NotFound("Tenant not found")
        if not allowed(role, action):
            raise Forbidden(f"The {role} role may not {action.name} the tenant")
        return tenant

    async def _role_in(self, session, principal: Principal, tenant_id: uuid.UUID) -> str | None:
        if principal.kind is PrincipalKind.user:
            return await repository.role_of(session, tenant_id, uuid.UUID(str(principal.subject)))
        if principal.tenant_id == str(tenant_id):
            return next(iter(principal.roles), None)
        return None

    async def get_tenant(self, principal: Principal, tenant_id: uuid.UUID) -> Tenant:
        async with self.db.session() as session:
            return await self._visible_tenant(session, principal, tenant_id, Action.read)

    async def update_tenant(
        self, principal: Principal, tenant_id: uuid.UUID, body: TenantUpdate
    ) -> Tenant:
        platform = PLATFORM_SCOPE in principal.scopes
        if body.quotas is not None and not platform:
            raise Forbidden("Only platform administrators change quotas")
        async with self.db.session() as session:
            tenant = await self._visible_tenant(session, principal, tenant_id, Action.own)
            if body.name is not None and body.name != tenant.name:
                if await repository.tenant_name_taken(session, body.name, other_than=tenant.id):
                    raise Conflict(f"A tenant named {body.name!r} already exists")
                tenant.name = body.name
            if body.quotas is not None:
                for field, value in body.quotas.model_dump(exclude_none=True).items():
                    setattr(tenant, field, value)
            tenant.updated_at = func.now()
            await session.flush()
            await session.refresh(tenant)
            return tenant

    async def delete_tenant(self, principal: Principal, tenant_id: uuid.UUID) -> None:
        """Rows go with the tenant (cascade); files and vectors are removed after the commit."""
        async with self.db.session() as session:
            tenant = await self._visible_tenant(session, principal, tenant_id, Action.own)
            await session.delete(tenant)
        await self._on_tenant_deleted(tenant_id)

    # -- logins -------------------------------------------------------------------------------

    async def login(self, email: str, password: str, tenant_id: uuid.UUID | None) -> TokenPair:
        async with self.db.session() as session:
            user = await repository.user_by_email(session, email)
            valid, new_hash = await self.hasher.verify_and_update_async(
                password, user.password_hash if user is not None else None
            )
            if user is None or not valid or user.disabled:
                raise _bad_login()
            if new_hash is not None:
                user.password_hash = new_hash
            memberships = await repository.memberships_of(session, user.id)
        role: str | None = None
        if tenant_id is None and len(memberships) == 1 and not user.is_platform_admin:
            tenant_id = memberships[0].tenant_id
        if tenant_id is not None:
            role = next((m.role for m in memberships if m.tenant_id == tenant_id), None)
            if role is None:
                raise _bad_login()
        elif not user.is_platform_admin:
            if not memberships:
                raise Forbidden("This account belongs to no tenant yet")
            raise Unprocessable(
                "This account belongs to several tenants: give tenant_id",
                details=[{"tenant_id": str(m.tenant_id), "name": m.name} for m in memberships],
            )
        return await self._issue(user.id, tenant_id, role)

    async def _issue(
        self, user_id: uuid.UUID, tenant_id: uuid.UUID | None, role: str | None
    ) -> TokenPair:
        refresh = await self.sessions.start_session(_session_subject(user_id, tenant_id))
        return self._pair(user_id, tenant_id, role, refresh)

    def _pair(
        self,
        user_id: uuid.UUID,
        tenant_id: uuid.UUID | None,
        role: str | None,
        refresh: IssuedToken,
    ) -> TokenPair:
        """An access token of ``refresh``'s session, acting in the tenant (or on the platform)."""
        access = self.codec.issue_access(
            str(user_id),
            session_id=refresh.claims.session_id,
            role=role,
            tenant_id=str(tenant_id) if tenant_id is not None else None,
            scopes=[PLATFORM_SCOPE] if tenant_id is None else [],
            ttl=timedelta(minutes=self.settings.access_token_expire_minutes),
        )
        return TokenPair(
            access_token=access.token,
            refresh_token=refresh.token,
            expires_in=access.expires_in,
            tenant_id=tenant_id,
            role=Role(role) if role else None,
        )

    async def refresh(self, refresh_token: str) -> TokenPair:
        try:
            issued = await self.sessions.rotate(refresh_token)
        except AuthError as exc:
            raise Unauthorized(str(exc), code=exc.code) from exc
        user_part, _, tenant_part = issued.claims.subject.partition("@")
        user_id = uuid.UUID(user_part)
        tenant_id = uuid.UUID(tenant_part) if tenant_part else None
        async with self.db.session() as session:
            user = await session.get(User, user_id)
            role = await repository.role_of(session, tenant_id, user_id) if tenant_id else None
        if user is None or user.disabled or (tenant_id is not None and role is None):
            await self.sessions.revoke_session(str(issued.claims.session_id))
            raise Unauthorized("This account can no longer log in here")
        if tenant_id is None and not user.is_platform_admin:
            raise Unauthorized("This account is no longer a platform administrator")
        return self._pair(user_id, tenant_id, role, issued)

    async def logout(self, principal: Principal) -> None:
        if principal.session_id is not None:
            await self.sessions.revoke_session(principal.session_id)

    async def me(self, principal: Principal) -> MeOut:
        tenant_id = uuid.UUID(principal.tenant_id) if principal.tenant_id else None
        if principal.kind is not PrincipalKind.user:
            role = next(iter(principal.roles), None)
            return MeOut(
                id=None,
                email=None,
                kind=principal.kind.value,
                tenant_id=tenant_id,
                role=Role(role) if role else None,
                is_platform_admin=False,
                memberships=[],
            )
        user_id = uuid.UUID(str(principal.subject))
        async with self.db.session() as session:
            user = await session.get(User, user_id)
            memberships = await repository.memberships_of(session, user_id)
        if user is None:
            raise Unauthorized("This account no longer exists")
        role = next((m.role for m in memberships if m.tenant_id == tenant_id), None)
        return MeOut(
            id=user.id,
            email=user.email,
            kind=principal.kind.value,
            tenant_id=tenant_id,
            role=Role(role) if role else None,
            is_platform_admin=user.is_platform_admin,
            memberships=[
                MembershipOut(tenant_id=m.tenant_id, tenant_name=m.name, role=Role(m.role))
                for m in memberships
            ],
        )

    async def current_role(self, tenant_id: uuid.UUID, user_id: uuid.UUID) -> str | None:
        async with self.db.session() as session:
            return await repository.role_of(session, tenant_id, user_id)

    # -- members ------------------------------------------------------------------------------

    async def list_members(self, caller: Caller, paging: Paging) -> tuple[list[MemberOut], int]:
        async with self.db.session() as session:
            rows, total = await repository.list_members(session, caller.tenant_id, paging)
        members = [
            MemberOut(
                user_id=row.id,
                email=row.email,
                display_name=row.display_name,
                role=Role(row.role),
                created_at=row.created_at,
            )
            for row in rows
        ]
        return members, total

    async def add_member(self, caller: Caller, body: MemberCreate) -> MemberOut:
        _check_grant(caller, body.role)
        async with self.db.session() as session:
            user = await self._account(session, body.email, body.password, body.display_name)
            if await repository.membership(session, caller.tenant_id, user.id) is not None:
                raise Conflict(f"{body.email} is already a member of this tenant")
            membership = Membership(tenant_id=caller.tenant_id, user_id=user.id, role=body.role)
            session.add(membership)
            try:
                await session.flush()
            except IntegrityError as exc:  # the same person added twice at once
                raise Conflict(f"{body.email} is already a member of this tenant") from exc
            await session.refresh(membership)
        return MemberOut(
            user_id=user.id,
            email=user.email,
            display_name=user.display_name,
            role=body.role,
            created_at=membership.created_at,
        )

    async def change_role(self, caller: Caller, user_id: uuid.UUID, role: Role) -> MemberOut:
        async with self.db.session() as session:
            membership = await self._member_to_manage(session, caller, user_id)
            _check_grant(caller, role)
            if membership.role == Role.owner and role != Role.owner:
                await self._keep_an_owner(session, caller.tenant_id)
            membership.role = role.value
            user = await session.get(User, user_id)
            assert user is not None
            return MemberOut(
                user_id=user.id,
                email=user.email,
                display_name=user.display_name,
                role=role,
                created_at=membership.created_at,
            )

    async def remove_member(self, caller: Caller, user_id: uuid.UUID) -> None:
        async with self.db.session() as session:
            membership = await self._member_to_manage(session, caller, user_id)
            if membership.role == Role.owner:
                await self._keep_an_owner(session, caller.tenant_id)
            await repository.remove_membership(session, caller.tenant_id, user_id)

    async def _member_to_manage(self, session, caller: Caller, user_id: uuid.UUID) -> Membership:
        membership = await repository.membership(session, caller.tenant_id, user_id, lock=True)
        if membership is None:
            raise NotFound("Member not found")
        if not can_grant(caller.role, membership.role):
            raise Forbidden(f"A {caller.role.value} cannot change a {membership.role}")
        return membership

    async def _keep_an_owner(self, session, tenant_id: uuid.UUID) -> None:
        if await repository.owner_count(session, tenant_id) <= 1:
            raise Conflict("A tenant keeps at least one owner")

    # -- API keys -----------------------------------------------------------------------------

    async def create_api_key(self, caller: Caller, body: ApiKeyCreate) -> CreatedApiKey[ApiKey]:
        _check_grant(caller, body.role)
        expires_at = (
            datetime.now(UTC) + timedelta(days=body.expires_in_days)
            if body.expires_in_days
            else None
        )
        return await self.api_keys.create(
            expires_at=expires_at,
            tenant_id=caller.tenant_id,
            name=body.name,
            role=body.role.value,
            created_by=caller.user_id,
        )

    async def list_api_keys(self, caller: Caller, paging: Paging) -> tuple[list[ApiKey], int]:
        async with self.db.session() as session:
            rows, total = await repository.list_api_keys(session, caller.tenant_id, paging)
        return list(rows), total

    async def revoke_api_key(self, caller: Caller, key_id: uuid.UUID) -> None:
        async with self.db.session() as session:
            key = await repository.api_key(session, caller.tenant_id, key_id)
            if key is None:
                raise NotFound("API key not found")
            if not can_grant(caller.role, key.role):
                raise Forbidden(f"A {caller.role.value} cannot revoke a {key.role} key")
        await self.api_keys.revoke(key_id)


def _check_grant(caller: Caller, role: Role) -> None:
    if not can_grant(caller.role, role):
        raise Forbidden(f"A {caller.role.value} cannot grant the {role.value} role")


def _session_subject(user_id: uuid.UUID, tenant_id: uuid.UUID | None) -> str:
    """A login session remembers the tenant it acts in, so a refresh keeps acting there."""
    return f"{user_id}@{tenant_id}" if tenant_id is not None else str(user_id)


def _or(value: int | None, default: int) -> int:
    return default if value is None else value
