"""Job rows without a worker: state guards, the lease, lost-worker limits, scoping, sending."""

from __future__ import annotations

import uuid

import pytest
from kombu.exceptions import OperationalError

from servicekit.db import Database
from servicekit.jobs import JobNotFound, JobService, JobStatus, JobStore, make_celery

from .job_models import Job


@pytest.fixture
def store(jobs_db: Database) -> JobStore[Job]:
    return JobStore(jobs_db, Job)


@pytest.fixture
def parked(jobs_queue: str) -> str:
    """A queue no worker consumes: submitted jobs stay PENDING."""
    return f"{jobs_queue}-parked-{uuid.uuid4().hex[:6]}"


async def test_start_counts_attempts_and_finish_is_final(
    jobs: JobService[Job], store: JobStore[Job], parked: str
) -> None:
    job = await jobs.submit("jobs_test.add", [1, 2], queue=parked)

    running = store.mark_running(job.id, retries=0, max_redeliveries=3)
    assert running.status is JobStatus.RUNNING and running.attempts == 1
    assert store.set_progress(job.id, 1.7, "almost") is False  # keep going
    assert store.finish(job.id, {"sum": 3}) is True

    # Late or duplicated calls change nothing once the job is finished.
    assert store.finish(job.id, {"sum": -1}) is False
    assert store.fail(job.id, "too late") is False
    assert store.set_progress(job.id, 0.5) is True  # not RUNNING: the task must stop
    again = store.mark_running(job.id, retries=0, max_redeliveries=3)
    assert again.status is JobStatus.SUCCEEDED and again.attempts == 1
    row = await jobs.get(job.id)
    assert row is not None and row.result == {"sum": 3} and row.progress == 1.0
    assert row.message == "almost" and row.error is None


async def test_a_message_that_keeps_killing_its_worker_is_given_up(
    jobs: JobService[Job], store: JobStore[Job], parked: str
) -> None:
    """With late acks, a task that crashes its worker would be redelivered forever."""
    job = await jobs.submit("jobs_test.add", [1, 2], queue=parked)

    for start in range(1, 4):  # the first start, then two redeliveries of the same message
        assert store.mark_running(job.id, retries=0, max_redeliveries=2).attempts == start
    given_up = store.mark_running(job.id, retries=0, max_redeliveries=2)

    assert given_up.status is JobStatus.FAILED
    assert given_up.error is not None and "gave up after 3 starts" in given_up.error


async def test_deliberate_retries_are_not_counted_as_lost_starts(
    jobs: JobService[Job], store: JobStore[Job], parked: str
) -> None:
    job = await jobs.submit("jobs_test.add", [1, 2], queue=parked)

    for retries in range(5):
        started = store.mark_running(job.id, retries=retries, max_redeliveries=0)
        assert started.status is JobStatus.RUNNING
        assert store.schedule_retry(job.id, "TransientError: busy", f"retry {retries + 1}")
    row = await jobs.get(job.id)
    assert row is not None and row.status is JobStatus.PENDING and row.attempts == 5


async def test_cancel_of_a_running_job_is_seen_by_its_task(
    jobs: JobService[Job], store: JobStore[Job], parked: str
) -> None:
    job = await jobs.submit("jobs_test.add", [1, 2], queue=parked)
    store.mark_running(job.id, retries=0, max_redeliveries=3)
    assert store.should_stop(job.id) is False

    requested = await jobs.cancel(job.id)

    assert requested is not None and requested.status is JobStatus.RUNNING
    assert store.should_stop(job.id) is True
    assert store.set_progress(job.id, 0.5) is True
    assert store.mark_cancelled(job.id) is True
    # A redelivery after the worker died mid-cancel honours the request instead of running.
    second = await jobs.submit("jobs_test.add", [1, 2], queue=parked)
    store.mark_running(second.id, retries=0, max_redeliveries=3)
    await jobs.cancel(second.id)
    redelivered = store.mark_running(second.id, retries=0, max_redeliveries=3)
    assert redelivered.status is JobStatus.CANCELLED and redelivered.attempts == 1


async def test_only_one_delivery_holds_a_jobs_lease(
    jobs: JobService[Job], store: JobStore[Job], parked: str
) -> None:
    job = await jobs.submit("jobs_test.add", [1, 2], queue=parked)
    other = await jobs.submit("jobs_test.add", [1, 2], queue=parked)

    with store.lease(job.id) as first:
        assert first is True
        with store.lease(job.id) as duplicate, store.lease(other.id) as unrelated:
            assert duplicate is False
            assert unrelated is True
    with store.lease(job.id) as after_release:
        assert after_release is True


async def test_reads_and_cancels_are_scoped_by_the_callers_criteria(
    jobs: JobService[Job], parked: str
) -> None:
    kind = f"report-{uuid.uuid4().hex[:6]}"
    alices = await jobs.submit("jobs_test.add", [1, 2], kind=kind, columns={"owner": "alice"})
    bobs = await jobs.submit("jobs_test.add", [1, 2], kind=kind, columns={"owner": "bob"})

    assert await jobs.get(alices.id, Job.owner == "bob") is None
    assert await jobs.cancel(alices.id, Job.owner == "bob") is None
    still = await jobs.get(alices.id, Job.owner == "alice")
    assert still is not None and still.status is JobStatus.PENDING
    listed = await jobs.list_jobs(Job.owner == "alice", kind=kind)
    assert [job.id for job in listed] == [alices.id]
    both = await jobs.list_jobs(kind=kind, status=JobStatus.PENDING)
    assert [job.id for job in both] == [bobs.id, alices.id]  # newest first
    cancelled = await jobs.cancel(bobs.id, Job.owner == "bob")
    assert cancelled is not None and cancelled.status is JobStatus.CANCELLED
    # A finished job comes back unchanged.
    unchanged = await jobs.cancel(bobs.id, Job.owner == "bob")
    assert unchanged is not None and unchanged.finished_at == cancelled.finished_at


async def test_a_job_that_cannot_be_queued_is_failed_not_left_pending(
    jobs_db: Database,
) -> None:
    unreachable = make_celery(
        "jobs_test_offline",
        broker_url="redis://127.0.0.1:1/0",  # nothing listens on port 1
        broker_connection_timeout=0.5,
        task_publish_retry=False,
    )
    offline = JobService(jobs_db, Job, unreachable)

    kind = f"offline-{uuid.uuid4().hex[:6]}"

    with pytest.raises(OperationalError, match="Connection refused"):
        # ignore_result: no result subscription, which would retry for ~20 s first.
        await offline.submit("jobs_test.add", [1, 2], kind=kind, ignore_result=True)

    (row,) = await offline.list_jobs(kind=kind)
    assert row.status is JobStatus.FAILED
    assert row.error is not None and row.error.startswith("could not be queued")


async def test_a_task_without_a_row_is_refused(store: JobStore[Job]) -> None:
    with pytest.raises(JobNotFound):
        store.mark_running(uuid.uuid4(), retries=0, max_redeliveries=3)
