"""The role matrix."""

from __future__ import annotations

import pytest

from oyl.identity.roles import Action, Role, allowed, can_grant

MATRIX = {
    Role.viewer: {Action.read},
    Role.member: {Action.read, Action.query},
    Role.editor: {Action.read, Action.query, Action.edit},
    Role.admin: {Action.read, Action.query, Action.edit, Action.manage},
    Role.owner: set(Action),
}


@pytest.mark.parametrize("role", list(Role))
def test_each_role_may_do_exactly_its_actions(role: Role) -> None:
    assert {action for action in Action if allowed(role, action)} == MATRIX[role]


def test_managers_grant_up_to_their_own_role() -> None:
    assert can_grant(Role.owner, Role.owner)
    assert can_grant(Role.admin, Role.admin) and can_grant(Role.admin, Role.viewer)
    assert not can_grant(Role.admin, Role.owner)
    assert not can_grant(Role.editor, Role.viewer)
