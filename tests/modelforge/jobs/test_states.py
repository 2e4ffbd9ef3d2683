"""The states users see, derived from the kit's job states."""

from __future__ import annotations

import pytest

from modelforge.jobs.states import TO_KIT, JobState, state_of
from servicekit.jobs import JobStatus


@pytest.mark.parametrize(
    ("status", "enqueued", "state"),
    [
        (JobStatus.PENDING, False, JobState.pending),
        (JobStatus.PENDING, True, JobState.queued),
        (JobStatus.RUNNING, True, JobState.running),
        (JobStatus.SUCCEEDED, True, JobState.completed),
        (JobStatus.FAILED, False, JobState.failed),
        (JobStatus.CANCELLED, False, JobState.cancelled),
    ],
)
def test_state_of(status: JobStatus, enqueued: bool, state: JobState) -> None:
    assert state_of(status, enqueued=enqueued) is state
    assert TO_KIT[state] is status


def test_only_finished_states_are_terminal() -> None:
    assert {state for state in JobState if state.terminal} == {
        JobState.completed,
        JobState.failed,
        JobState.cancelled,
    }
