"""The status state machine clients can drive through PATCH."""

from __future__ import annotations

import pytest

from modelforge.models import ModelStatus as S
from modelforge.registry.lifecycle import TransitionRefused, client_transition


@pytest.mark.parametrize("current", [S.uploaded, S.ready, S.error])
def test_archiving_is_allowed_once_a_file_exists(current: S) -> None:
    assert client_transition(current, S.archived, has_file=True, validated=True) == S.archived


@pytest.mark.parametrize("current", [S.pending, S.validating])
def test_nothing_to_archive_or_busy(current: S) -> None:
    with pytest.raises(TransitionRefused):
        client_transition(current, S.archived, has_file=False, validated=False)


@pytest.mark.parametrize("requested", [S.ready, S.uploaded, S.validating, S.error, S.pending])
def test_server_owned_statuses_cannot_be_set_by_clients(requested: S) -> None:
    with pytest.raises(TransitionRefused):
        client_transition(S.uploaded if requested != S.uploaded else S.pending, requested,
                          has_file=True, validated=True)  # fmt: skip


def test_restoring_an_archived_model() -> None:
    assert client_transition(S.archived, S.ready, has_file=True, validated=True) == S.ready
    assert client_transition(S.archived, S.uploaded, has_file=True, validated=False) == S.uploaded
    with pytest.raises(TransitionRefused):
        client_transition(S.archived, S.ready, has_file=True, validated=False)
    with pytest.raises(TransitionRefused):
        client_transition(S.archived, S.error, has_file=True, validated=True)


def test_same_status_is_a_no_op() -> None:
    assert client_transition(S.ready, S.ready, has_file=True, validated=True) == S.ready
