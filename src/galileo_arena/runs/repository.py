"""Run queries. Every statement about runs, work items, messages, results and cache slots."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from galileo_arena.models import CachedResultSet, Run, RunCaseStatus, RunMessage, RunResult

ACTIVE = ("PENDING", "RUNNING")


def _seconds(value: float) -> ColumnElement[Any]:
    return func.make_interval(0, 0, 0, 0, 0, 0, value)


# --- runs -------------------------------------------------------------------------------------


async def get_run(session: AsyncSession, run_id: str) -> Run | None:
    return await session.get(Run, run_id)


async def list_runs(
    session: AsyncSession,
    *,
    status: str | None,
    dataset_id: str | None,
    model_key: str | None,
    limit: int,
    offset: int,
) -> tuple[int, Sequence[Run]]:
    filters: list[ColumnElement[bool]] = []
    if status:
        filters.append(Run.status == status)
    if dataset_id:
        filters.append(Run.dataset_id == dataset_id)
    if model_key:
        provider, _, name = model_key.partition("/")
        filters.append(Run.models_json.contains([{"provider": provider, "model_name": name}]))
    total = await session.scalar(select(func.count()).select_from(Run).where(*filters)) or 0
    query = (
        select(Run)
        .where(*filters)
        .order_by(Run.created_at.desc(), Run.run_id)
        .limit(limit)
        .offset(offset)
    )
    return total, (await session.scalars(query)).all()


async def progress(session: AsyncSession, run_ids: Sequence[str]) -> dict[str, dict[str, int]]:
    query = (
        select(RunCaseStatus.run_id, RunCaseStatus.status, func.count())
        .where(RunCaseStatus.run_id.in_(run_ids))
        .group_by(RunCaseStatus.run_id, RunCaseStatus.status)
    )
    counts: dict[str, dict[str, int]] = {
        run_id: {"pending": 0, "running": 0, "completed": 0, "failed": 0, "cancelled": 0}
        for run_id in run_ids
    }
    for run_id, status, count in (await session.execute(query)).all():
        counts[run_id][status.lower()] = count
    for item in counts.values():
        item["total"] = sum(item.values())
    return counts


async def costs(session: AsyncSession, run_ids: Sequence[str]) -> dict[str, float]:
    query = (
        select(RunResult.run_id, func.coalesce(func.sum(RunResult.cost_estimate), 0.0))
        .where(RunResult.run_id.in_(run_ids))
        .group_by(RunResult.run_id)
    )
    found = {run_id: cost for run_id, cost in (await session.execute(query)).all()}
    return {run_id: round(float(found.get(run_id, 0.0)), 6) for run_id in run_ids}


async def claim_runs(
    session: AsyncSession,
    owner: str,
    *,
    lease_seconds: float,
    limit: int,
    run_id: str | None = None,
) -> list[str]:
    """Take up to ``limit`` active runs nobody holds (new ones, or a crashed process's)."""
    free = (
        select(Run.run_id)
        .where(
            Run.status.in_(ACTIVE),
            or_(Run.lease_expires_at.is_(None), Run.lease_expires_at < func.now()),
            *([Run.run_id == run_id] if run_id else []),
        )
        .order_by(Run.created_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    claimed = await session.scalars(
        update(Run)
        .where(Run.run_id.in_(free.scalar_subquery()))
        .values(lease_owner=owner, lease_expires_at=func.now() + _seconds(lease_seconds))
        .returning(Run.run_id)
    )
    return list(claimed)


async def renew_lease(
    session: AsyncSession, run_id: str, owner: str, *, lease_seconds: float
) -> str | None:
    """Extend our lease; the run's status, or None when another process took the run."""
    return await session.scalar(
        update(Run)
        .where(Run.run_id == run_id, Run.lease_owner == owner)
        .values(lease_expires_at=func.now() + _seconds(lease_seconds))
        .returning(Run.status)
    )


async def release_lease(session: AsyncSession, run_id: str, owner: str) -> None:
    await session.execute(
        update(Run)
        .where(Run.run_id == run_id, Run.lease_owner == owner)
        .values(lease_owner=None, lease_expires_at=None)
    )


async def start_run(session: AsyncSession, run_id: str) -> bool:
    """PENDING -> RUNNING; False when the run had already started (a resume) or was stopped."""
    started = await session.scalar(
        update(Run)
        .where(Run.run_id == run_id, Run.status == "PENDING")
        .values(status="RUNNING", started_at=func.now())
        .returning(Run.run_id)
    )
    return started is not None


async def finish_run(
    session: AsyncSession, run_id: str, status: str, error: str | None = None
) -> bool:
    """Move an active run to a final status; False when it had already ended (e.g. cancelled)."""
    done = await session.scalar(
        update(Run)
        .where(Run.run_id == run_id, Run.status.in_(ACTIVE))
        .values(status=status, error=error, finished_at=func.now(), lease_expires_at=None)
        .returning(Run.run_id)
    )
    return done is not None


async def cancel_run(session: AsyncSession, run_id: str) -> bool:
    cancelled = await finish_run(session, run_id, "CANCELLED")
    if cancelled:
        await session.execute(
            update(RunCaseStatus)
            .where(RunCaseStatus.run_id == run_id, RunCaseStatus.status.in_(ACTIVE))
            .values(status="CANCELLED", finished_at=func.now())
        )
    return cancelled


# --- work items -------------------------------------------------------------------------------


async def unfinished_items(session: AsyncSession, run_id: str) -> Sequence[RunCaseStatus]:
    query = (
        select(RunCaseStatus)
        .where(RunCaseStatus.run_id == run_id, RunCaseStatus.status.in_(ACTIVE))
        .order_by(RunCaseStatus.position)
    )
    return (await session.scalars(query)).all()


async def item_statuses(
    session: AsyncSession, run_id: str, case_id: str, model_key: str | None
) -> Sequence[RunCaseStatus]:
    """The work items of one case of a run (of one model, when given)."""
    query = select(RunCaseStatus).where(
        RunCaseStatus.run_id == run_id, RunCaseStatus.case_id == case_id
    )
    if model_key:
        query = query.where(RunCaseStatus.model_key == model_key)
    return (await session.scalars(query.order_by(RunCaseStatus.position))).all()


async def begin_item(session: AsyncSession, item_id: int) -> int | None:
    """Mark a work item RUNNING for a new attempt and drop what an interrupted attempt wrote."""
    row = (
        await session.execute(
            update(RunCaseStatus)
            .where(RunCaseStatus.id == item_id, RunCaseStatus.status.in_(ACTIVE))
            .values(status="RUNNING", attempt=RunCaseStatus.attempt + 1, started_at=func.now())
            .returning(
                RunCaseStatus.run_id,
                RunCaseStatus.case_id,
                RunCaseStatus.model_key,
                RunCaseStatus.attempt,
            )
        )
    ).first()
    if row is None:
        return None
    run_id, case_id, model_key, attempt = row
    await session.execute(
        delete(RunMessage).where(
            RunMessage.run_id == run_id,
            RunMessage.case_id == case_id,
            RunMessage.model_key == model_key,
        )
    )
    return int(attempt)


async def end_item(
    session: AsyncSession,
    item_id: int,
    status: str,
    *,
    error: str | None = None,
    from_cache: bool = False,
) -> bool:
    ended = await session.scalar(
        update(RunCaseStatus)
        .where(RunCaseStatus.id == item_id, RunCaseStatus.status == "RUNNING")
        .values(status=status, error=error, from_cache=from_cache, finished_at=func.now())
        .returning(RunCaseStatus.id)
    )
    return ended is not None


async def fail_items(
    session: AsyncSession, run_id: str, model_keys: Sequence[str], error: str
) -> int:
    """Mark the unstarted items of some models FAILED (their provider's quota is exhausted)."""
    result = await session.execute(
        update(RunCaseStatus)
        .where(
            RunCaseStatus.run_id == run_id,
            RunCaseStatus.model_key.in_(model_keys),
            RunCaseStatus.status == "PENDING",
        )
        .values(status="FAILED", error=error, finished_at=func.now())
    )
    return result.rowcount or 0


# --- messages and results ---------------------------------------------------------------------


async def messages(
    session: AsyncSession, run_id: str, case_id: str, model_key: str | None = None
) -> Sequence[RunMessage]:
    query = select(RunMessage).where(RunMessage.run_id == run_id, RunMessage.case_id == case_id)
    if model_key:
        query = query.where(RunMessage.model_key == model_key)
    return (await session.scalars(query.order_by(RunMessage.id))).all()


async def insert_result(session: AsyncSession, **values: Any) -> None:
    stmt = insert(RunResult).values(**values)
    await session.execute(
        stmt.on_conflict_do_nothing(
            index_elements=[RunResult.run_id, RunResult.case_id, RunResult.model_key]
        )
    )


async def results(
    session: AsyncSession,
    run_id: str,
    *,
    model_key: str | None = None,
    case_id: str | None = None,
    passed: bool | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> tuple[int, Sequence[RunResult]]:
    filters: list[ColumnElement[bool]] = [RunResult.run_id == run_id]
    if model_key:
        filters.append(RunResult.model_key == model_key)
    if case_id:
        filters.append(RunResult.case_id == case_id)
    if passed is not None:
        filters.append(and_(RunResult.passed.is_(passed), RunResult.outcome == "scored"))
    total = await session.scalar(select(func.count()).select_from(RunResult).where(*filters)) or 0
    query = select(RunResult).where(*filters).order_by(RunResult.created_at, RunResult.id)
    if limit is not None:
        query = query.limit(limit).offset(offset)
    return total, (await session.scalars(query)).all()


# --- result cache -----------------------------------------------------------------------------


async def cache_slots(session: AsyncSession, cache_key: str) -> Sequence[CachedResultSet]:
    """Live (unexpired) slots whose source run completed, least recently served first."""
    query = (
        select(CachedResultSet)
        .join(Run, Run.run_id == CachedResultSet.source_run_id)
        .where(
            CachedResultSet.cache_key == cache_key,
            CachedResultSet.expires_at > func.now(),
            Run.status == "COMPLETED",
        )
        .order_by(CachedResultSet.last_served_at.asc().nulls_first(), CachedResultSet.slot_number)
    )
    return (await session.scalars(query)).all()


async def mark_served(session: AsyncSession, slot_id: int) -> None:
    await session.execute(
        update(CachedResultSet)
        .where(CachedResultSet.id == slot_id)
        .values(last_served_at=func.now())
    )


async def store_slot(
    session: AsyncSession,
    *,
    cache_key: str,
    slots: int,
    ttl_hours: float,
    dataset_id: str,
    model_key: str,
    case_id: str,
    source_run_id: str,
) -> int | None:
    """Fill the first slot that is free or expired (expired ones are overwritten); its number."""
    taken = set(
        await session.scalars(
            select(CachedResultSet.slot_number).where(
                CachedResultSet.cache_key == cache_key, CachedResultSet.expires_at > func.now()
            )
        )
    )
    free = next((n for n in range(1, slots + 1) if n not in taken), None)
    if free is None:
        return None
    values = {
        "dataset_id": dataset_id,
        "model_key": model_key,
        "case_id": case_id,
        "source_run_id": source_run_id,
        "expires_at": func.now() + _seconds(ttl_hours * 3600),
        "last_served_at": None,
        "created_at": func.now(),
    }
    stmt = insert(CachedResultSet).values(cache_key=cache_key, slot_number=free, **values)
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=[CachedResultSet.cache_key, CachedResultSet.slot_number],
            set_=values,
            where=CachedResultSet.expires_at <= func.now(),
        )
    )
    return free


async def source_result(
    session: AsyncSession, run_id: str, case_id: str, model_key: str
) -> tuple[RunResult | None, Sequence[RunMessage]]:
    _, found = await results(session, run_id, model_key=model_key, case_id=case_id)
    return (found[0] if found else None), await messages(session, run_id, case_id, model_key)
