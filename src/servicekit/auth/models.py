"""Declarative mixins for the auth tables; each service subclasses them into its own database.

Every service owns its database and its ``DeclarativeBase``, so the kit cannot declare tables
itself. A service writes, for example::

    class ApiKey(ApiKeyMixin, Base):
        __tablename__ = "api_keys"
        owner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))

        def to_principal(self) -> Principal:
            return replace(super().to_principal(), subject=str(self.owner_id))

and hands the class to ``ApiKeyStore``; Alembic sees the table like any other of the service's.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import DateTime, String, Uuid
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from servicekit.auth.principal import Principal, PrincipalKind


class RefreshTokenMixin:
    """One row per refresh token ever issued (until purged after expiry).

    ``used_at`` marks a rotated token: presenting it again is reuse. ``revoked_at`` is set on every
    row of a session at once (logout, reuse), which is also how access tokens of that session are
    known to be revoked.
    """

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)  # the token's ``jti``
    session_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    subject: Mapped[str] = mapped_column(String(255), index=True)
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ApiKeyMixin:
    """An API key: its public id, the hash of its secret, its scopes and its lifecycle."""

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    scopes: Mapped[list[str]] = mapped_column(ARRAY(String(128)), default=list)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    def to_principal(self) -> Principal:
        """Who a request made with this key acts as.

        The default is the key itself; a service whose keys belong to a user, an extension or a
        tenant overrides this to put that owner in ``subject`` / ``tenant_id``.
        """
        return Principal(
            kind=PrincipalKind.api_key,
            subject=str(self.id),
            scopes=frozenset(self.scopes),
            credential_id=str(self.id),
        )
