"""Accounts and credentials: GitHub and local sign-in, login sessions, personal API tokens.

The first account created on an installation becomes its admin (the "first-admin flow"), which
is also the only sign-up production allows unless ``ALLOW_REGISTRATION`` opens it.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from modelforge.config import Settings
from modelforge.identity.repository import UserRepository
from modelforge.identity.schemas import TokenPair
from modelforge.identity.scopes import ADMIN, USER_SCOPES
from modelforge.models import ADMIN_ROLE, ApiToken, RefreshToken, User
from servicekit.auth import (
    ApiKeyStore,
    Authenticator,
    CreatedApiKey,
    GitHubProfile,
    IssuedToken,
    PasswordHasher,
    RefreshTokenStore,
    TokenCodec,
    TokenReuseError,
    TokenType,
)
from servicekit.db import Database
from servicekit.errors import Conflict, Forbidden, NotFound, Unauthorized

# Serialises concurrent sign-ups so that exactly one of them becomes the first admin.
_FIRST_USER_LOCK = 0x4D46_0001


class IdentityService:
    def __init__(
        self,
        db: Database,
        settings: Settings,
        *,
        hasher: PasswordHasher,
        codec: TokenCodec,
        sessions: RefreshTokenStore[RefreshToken],
        api_tokens: ApiKeyStore[ApiToken],
        credential_cache: Authenticator,
    ) -> None:
        """``credential_cache``: told of every revocation, so this process stops accepting the
        credential at once rather than when its cached answer expires."""
        self.db = db
        self.settings = settings
        self.hasher = hasher
        self.codec = codec
        self.sessions = sessions
        self.api_tokens = api_tokens
        self.credential_cache = credential_cache

    # -- login sessions ---------------------------------------------------------------------

    async def issue_tokens(self, user: User) -> TokenPair:
        refresh = await self.sessions.start_session(str(user.id))
        return self._pair(user, refresh.token, refresh.claims.session_id)

    def _pair(self, user: User, refresh_token: str, session_id: str | None) -> TokenPair:
        access = self._access(user, session_id)
        return TokenPair(
            access_token=access.token, refresh_token=refresh_token, expires_in=access.expires_in
        )

    def _access(self, user: User, session_id: str | None) -> IssuedToken:
        scopes = [*USER_SCOPES, ADMIN] if user.is_admin else list(USER_SCOPES)
        return self.codec.issue_access(
            str(user.id),
            session_id=session_id,
            scopes=scopes,
            role=ADMIN_ROLE if user.is_admin else None,
        )

    async def refresh(self, refresh_token: str) -> TokenPair:
        try:
            issued = await self.sessions.rotate(refresh_token)
        except TokenReuseError:
            self._forget_session_of(refresh_token)  # the store revoked the whole session
            raise
        user = await self._active_user(uuid.UUID(issued.claims.subject))
        return self._pair(user, issued.token, issued.claims.session_id)

    async def logout(self, refresh_token: str) -> None:
        await self.sessions.revoke(refresh_token)
        self._forget_session_of(refresh_token)

    def _forget_session_of(self, refresh_token: str) -> None:
        session_id = self.codec.decode(refresh_token, TokenType.refresh).session_id
        if session_id is not None:
            self.credential_cache.forget_session(session_id)

    async def _active_user(self, user_id: uuid.UUID) -> User:
        async with self.db.session() as session:
            user = await UserRepository(session).get(user_id)
        if user is None or not user.is_active:
            raise Unauthorized("the account no longer exists or is disabled")
        return user

    async def me(self, user_id: uuid.UUID) -> User:
        return await self._active_user(user_id)

    # -- browser sessions (the dashboard's signed cookie) ----------------------------------

    async def start_browser_session(self, user: User) -> str:
        """A login session for a browser; its id goes into the signed session cookie, so that
        signing out (or an admin revoking the user's sessions) ends it on every replica."""
        issued = await self.sessions.start_session(str(user.id))
        assert issued.claims.session_id is not None
        return issued.claims.session_id

    async def browser_user(self, user_id: uuid.UUID, session_id: str) -> User | None:
        """The user of a browser session, or None once it is revoked or the user is disabled."""
        if await self.sessions.is_session_revoked(session_id):
            return None
        async with self.db.session() as session:
            user = await UserRepository(session).get(user_id)
        return user if user is not None and user.is_active else None

    async def end_browser_session(self, session_id: str) -> None:
        await self.sessions.revoke_session(session_id)
        self.credential_cache.forget_session(session_id)

    def browser_access_token(self, user: User, session_id: str) -> tuple[str, int]:
        """A short-lived access token of a browser session (for the dashboard's own calls to
        the API); revoked with the session. (token, seconds it lives)"""
        access = self._access(user, session_id)
        return access.token, access.expires_in

    async def logins_of(self, user_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, str]:
        """The logins of ``user_ids`` (to name owners in lists)."""
        async with self.db.session() as session:
            return await UserRepository(session).logins_of(user_ids)

    # -- local accounts ---------------------------------------------------------------------

    async def register(
        self,
        login: str,
        password: str,
        *,
        name: str | None = None,
        email: str | None = None,
        admin: bool = False,
        bypass_policy: bool = False,
    ) -> User:
        """A local account; the first one is an admin. ``bypass_policy``: the CLI's create-admin."""
        password_hash = await self.hasher.hash_async(password)
        try:
            async with self.db.session() as session:
                await _lock_first_user(session)
                repo = UserRepository(session)
                first = await repo.count() == 0
                if not (first or bypass_policy or self.settings.registration_open):
                    raise Forbidden(
                        "sign-up is closed on this installation; ask an admin for an account",
                        code="registration_closed",
                    )
                if await repo.by_login(login) is not None:
                    raise Conflict(f"the login {login!r} is taken", code="login_taken")
                user = User(
                    login=login,
                    name=name,
                    email=email,
                    password_hash=password_hash,
                    is_admin=first or admin,
                )
                session.add(user)
                await session.flush()
                await session.refresh(user)
        except IntegrityError as exc:
            raise Conflict(f"the login {login!r} is taken", code="login_taken") from exc
        return user

    async def authenticate_password(self, login: str, password: str) -> User:
        async with self.db.session() as session:
            user = await UserRepository(session).by_login(login)
            # Verify even for unknown logins (against a dummy hash): same time either way.
            ok, new_hash = await self.hasher.verify_and_update_async(
                password, user.password_hash if user is not None else None
            )
            if user is None or not ok or not user.is_active:
                raise Unauthorized("wrong login or password", code="invalid_credentials")
            if new_hash is not None:
                user.password_hash = new_hash
            user.last_login_at = datetime.now(UTC)
        return user

    async def set_admin(self, login: str, password: str | None) -> User:
        """``create-admin``: a new admin account, or promote an existing one (and set its
        password when given)."""
        async with self.db.session() as session:
            user = await UserRepository(session).by_login(login)
            if user is not None:
                user.is_admin = True
                if password is not None:
                    user.password_hash = await self.hasher.hash_async(password)
                return user
        if password is None:
            raise NotFound(f"no account {login!r}; give a password to create it")
        return await self.register(login, password, admin=True, bypass_policy=True)

    # -- GitHub -----------------------------------------------------------------------------

    async def github_user(self, profile: GitHubProfile) -> User:
        """The account of a GitHub identity, created at its first sign-in, refreshed after."""
        async with self.db.session() as session:
            await _lock_first_user(session)
            repo = UserRepository(session)
            user = await repo.by_github_id(profile.id)
            if user is None:
                login = profile.login
                if await repo.by_login(login) is not None:
                    # A local account holds the name: GitHub users get a distinct one.
                    login = f"{profile.login}-gh{profile.id}"
                user = User(
                    github_id=profile.id,
                    login=login,
                    is_admin=await repo.count() == 0,
                    is_active=True,
                )
                session.add(user)
            if not user.is_active:
                raise Forbidden("this account is disabled")
            user.name = profile.name
            user.email = profile.email
            user.avatar_url = profile.avatar_url
            user.last_login_at = datetime.now(UTC)
            await session.flush()
            await session.refresh(user)
        return user

    # -- personal API tokens ----------------------------------------------------------------

    async def create_api_token(
        self,
        user_id: uuid.UUID,
        *,
        name: str,
        scopes: Sequence[str],
        expires_in_days: int | None,
    ) -> CreatedApiKey[ApiToken]:
        user = await self._active_user(user_id)
        if ADMIN in scopes and not user.is_admin:
            raise Forbidden("only admins may create tokens with the admin scope")
        expires_at = (
            datetime.now(UTC) + timedelta(days=expires_in_days) if expires_in_days else None
        )
        async with self.db.session() as session:
            created = await self.api_tokens.create(
                scopes=scopes, expires_at=expires_at, session=session, owner_id=user_id, name=name
            )
        return created

    async def list_api_tokens(self, user_id: uuid.UUID) -> Sequence[ApiToken]:
        async with self.db.session() as session:
            return await UserRepository(session).tokens_of(user_id)

    async def revoke_api_token(self, user_id: uuid.UUID, token_id: uuid.UUID) -> None:
        async with self.db.session() as session:
            token = await UserRepository(session).token(user_id, token_id)
            if token is None:
                raise NotFound("token not found")
            await self.api_tokens.revoke(token_id, session=session)
        self.credential_cache.forget_api_key(token_id)


async def _lock_first_user(session: AsyncSession) -> None:
    await session.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _FIRST_USER_LOCK})
