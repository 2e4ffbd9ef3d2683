"""Account use cases: register, log in, rotate, log out, profile, roles, the first admin."""

from __future__ import annotations

import uuid

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError

from curiouscore.accounts import repository
from curiouscore.accounts.schemas import (
    Credentials,
    ProfileUpdate,
    Registration,
    TokenPair,
    normalise_email,
)
from curiouscore.models import RefreshToken, User
from servicekit.auth import AuthError, PasswordHasher, RefreshTokenStore, TokenCodec
from servicekit.db import Database
from servicekit.errors import Conflict, NotFound, Unauthorized

LEARNER, ADMIN = "learner", "admin"


class AccountService:
    def __init__(
        self,
        db: Database,
        codec: TokenCodec,
        sessions: RefreshTokenStore[RefreshToken],
        hasher: PasswordHasher,
    ) -> None:
        self.db = db
        self.codec = codec
        self.sessions = sessions
        self.hasher = hasher

    async def register(self, request: Registration) -> TokenPair:
        """A new learner, logged in at once. Nobody becomes admin by registering."""
        user = await self._add_user(request.email, request.password, request.username, role=LEARNER)
        return await self._login(user)

    async def login(self, request: Credentials) -> TokenPair:
        async with self.db.session() as db:
            user = await repository.by_email(db, request.email)
            stored = user.password_hash if user is not None else None
            matches, new_hash = await self.hasher.verify_and_update_async(request.password, stored)
            if user is None or not matches:
                raise Unauthorized("Invalid credentials", code="invalid_credentials")
            if new_hash is not None:
                user.password_hash = new_hash
        return await self._login(user)

    async def refresh(self, refresh_token: str) -> TokenPair:
        try:
            issued = await self.sessions.rotate(refresh_token)
        except AuthError as exc:
            raise Unauthorized(str(exc), code=exc.code) from exc
        async with self.db.session() as db:
            user = await repository.by_id(db, uuid.UUID(issued.claims.subject))
        if user is None:
            raise Unauthorized("Account no longer exists", code="invalid_token")
        return self._pair(user, issued.token, issued.claims.session_id)

    async def logout(self, session_id: str | None, refresh_token: str | None) -> None:
        """Revoke the session a refresh token belongs to, else the caller's own session."""
        if refresh_token is not None:
            try:
                await self.sessions.revoke(refresh_token)
            except AuthError as exc:
                raise Unauthorized(str(exc), code=exc.code) from exc
        elif session_id is not None:
            await self.sessions.revoke_session(session_id)
        else:
            raise Unauthorized("Not authenticated")

    async def get(self, user_id: str) -> User:
        async with self.db.session() as db:
            user = await repository.by_id(db, uuid.UUID(user_id))
        if user is None:
            raise NotFound("User not found")
        return user

    async def update_profile(self, user_id: str, update: ProfileUpdate) -> User:
        async with self.db.session() as db:
            user = await repository.by_id(db, uuid.UUID(user_id), for_update=True)
            if user is None:
                raise NotFound("User not found")
            for name, value in update.model_dump(exclude_unset=True).items():
                if name == "username" and value is None:
                    continue
                setattr(user, name, value)
            user.updated_at = func.now()
        return await self.get(user_id)

    async def set_role(self, user_id: uuid.UUID, role: str) -> User:
        """Change a role; the user's sessions are revoked so the new role applies at once."""
        async with self.db.session() as db:
            user = await repository.by_id(db, user_id, for_update=True)
            if user is None:
                raise NotFound("User not found")
            user.role = role
        await self.sessions.revoke_subject(str(user_id))
        return await self.get(str(user_id))

    async def create_admin(self, email: str, password: str, username: str | None) -> User:
        """The bootstrap admin (CLI): a new account, or an existing one promoted.

        Promoting sets a new password, so the account's earlier logins are revoked: whoever
        held them must log in again with the password the operator chose.
        """
        email = normalise_email(email)
        async with self.db.session() as db:
            existing = await repository.by_email(db, email)
            if existing is not None:
                existing.role = ADMIN
                existing.password_hash = await self.hasher.hash_async(password)
        if existing is None:
            return await self._add_user(email, password, username, role=ADMIN)
        await self.sessions.revoke_subject(str(existing.id))
        return existing

    async def _add_user(
        self, email: str, password: str, username: str | None, *, role: str
    ) -> User:
        password_hash = await self.hasher.hash_async(password)
        user = User(
            email=email,
            password_hash=password_hash,
            username=username or email.split("@", 1)[0][:64],
            role=role,
            xp=0,
            level=1,
        )
        try:
            async with self.db.session() as db:
                db.add(user)
        except IntegrityError as exc:
            raise Conflict("Email already registered", code="email_taken") from exc
        return user

    async def _login(self, user: User) -> TokenPair:
        issued = await self.sessions.start_session(str(user.id))
        return self._pair(user, issued.token, issued.claims.session_id)

    def _pair(self, user: User, refresh_token: str, session_id: str | None) -> TokenPair:
        access = self.codec.issue_access(str(user.id), session_id=session_id, role=user.role)
        return TokenPair(
            access_token=access.token, refresh_token=refresh_token, expires_in=access.expires_in
        )
