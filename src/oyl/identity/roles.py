"""Tenant roles and what each may do; pure.

Roles are ordered: each one may do everything the roles below it may. ``Action`` names what a
route needs; ``allowed`` is the whole role matrix.
"""

from __future__ import annotations

from enum import IntEnum, StrEnum


class Role(StrEnum):
    owner = "owner"
    admin = "admin"
    editor = "editor"
    member = "member"
    viewer = "viewer"


_RANK = {Role.viewer: 1, Role.member: 2, Role.editor: 3, Role.admin: 4, Role.owner: 5}


class Action(IntEnum):
    """The lowest role rank allowed to act (the value)."""

    read = 1  # see the tenant's objects, documents and retrieval tests
    query = 2  # ask teammates, keep conversations, give feedback
    edit = 3  # create, change and delete workspaces ... documents
    manage = 4  # members (up to their own role), API keys, quotas read
    own = 5  # rename or delete the tenant, appoint owners


def rank(role: Role | str) -> int:
    return _RANK[Role(role)]


def allowed(role: Role | str, action: Action) -> bool:
    return rank(role) >= action.value


def can_grant(granter: Role | str, role: Role | str) -> bool:
    """A manager may give (or take away) roles up to their own, never above it."""
    return allowed(granter, Action.manage) and rank(role) <= rank(granter)
