"""Who may see and change which model, written once as query filters.

A model is readable by its owner, by anyone signed in when it is public, and by admins; it is
manageable (patch, upload, validate, delete, aliases) by its owner and by admins. Readers that
may not see a model get 404, never 403, so that private names and ids do not leak.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import ColumnElement, or_, true

from modelforge.models import ADMIN_ROLE, MLModel, Visibility
from servicekit.auth import Principal
from servicekit.errors import Unauthorized


@dataclass(frozen=True)
class Actor:
    """An authenticated principal as ModelForge sees it: a user id and whether it is admin."""

    user_id: uuid.UUID
    is_admin: bool

    @classmethod
    def of(cls, principal: Principal) -> Actor:
        if not principal.is_authenticated or principal.subject is None:
            raise Unauthorized("Not authenticated", headers={"WWW-Authenticate": "Bearer"})
        return cls(uuid.UUID(principal.subject), principal.has_any_role({ADMIN_ROLE}))


def readable(actor: Actor) -> ColumnElement[bool]:
    if actor.is_admin:
        return true()
    return or_(MLModel.owner_id == actor.user_id, MLModel.visibility == Visibility.public)


def manageable(actor: Actor) -> ColumnElement[bool]:
    if actor.is_admin:
        return true()
    return MLModel.owner_id == actor.user_id


def can_read(actor: Actor, model: MLModel) -> bool:
    """``readable`` for a model already in memory (the resolved-model cache checks with it)."""
    if actor.is_admin:
        return True
    return model.owner_id == actor.user_id or model.visibility == Visibility.public
