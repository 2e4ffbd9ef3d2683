"""Dataset queries. Every statement about datasets and cases lives here."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from galileo_arena.core.schemas import Case, EvidencePacket, Verdict
from galileo_arena.models import Dataset, DatasetCase


async def list_datasets(session: AsyncSession) -> Sequence[Dataset]:
    query = select(Dataset).order_by(Dataset.updated_at.desc(), Dataset.id)
    return (await session.scalars(query)).all()


async def get_dataset(session: AsyncSession, dataset_id: str) -> Dataset | None:
    return await session.get(Dataset, dataset_id)


async def dataset_hashes(session: AsyncSession) -> dict[str, str]:
    rows = await session.execute(select(Dataset.id, Dataset.content_hash))
    return {dataset_id: digest for dataset_id, digest in rows.all()}


async def list_cases(
    session: AsyncSession, dataset_id: str, *, include_retired: bool = False
) -> Sequence[DatasetCase]:
    query = select(DatasetCase).where(DatasetCase.dataset_id == dataset_id)
    if not include_retired:
        query = query.where(DatasetCase.retired.is_(False))
    return (await session.scalars(query.order_by(DatasetCase.position, DatasetCase.id))).all()


async def get_cases(
    session: AsyncSession, dataset_id: str, case_ids: Sequence[str]
) -> dict[str, DatasetCase]:
    query = select(DatasetCase).where(
        DatasetCase.dataset_id == dataset_id, DatasetCase.case_id.in_(case_ids)
    )
    return {row.case_id: row for row in await session.scalars(query)}


async def upsert_dataset(
    session: AsyncSession,
    *,
    dataset_id: str,
    version: str,
    description: str,
    meta: dict[str, object],
    source: str,
    content_hash: str,
    cases: Sequence[Case],
) -> None:
    """Insert or replace a dataset and its cases in the caller's transaction.

    Cases that left the file are retired, not deleted, because earlier runs refer to them.
    """
    values = {
        "version": version,
        "description": description,
        "meta_json": meta,
        "source": source,
        "content_hash": content_hash,
        "case_count": len(cases),
    }
    stmt = insert(Dataset).values(id=dataset_id, **values)
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=[Dataset.id], set_={**values, "updated_at": func.now()}
        )
    )
    rows = [
        {
            "dataset_id": dataset_id,
            "case_id": case.case_id,
            "topic": case.topic,
            "claim": case.claim,
            "pressure_score": case.pressure_score,
            "label": case.label.value,
            "evidence_json": [packet.model_dump() for packet in case.evidence_packets],
            "safe_to_answer": case.safe_to_answer,
            "position": position,
            "retired": False,
        }
        for position, case in enumerate(cases)
    ]
    if rows:  # one statement for every case (MAX_CASES keeps it under the bind-parameter limit)
        stmt = insert(DatasetCase).values(rows)
        replaced = set(rows[0]) - {"dataset_id", "case_id"}
        await session.execute(
            stmt.on_conflict_do_update(
                index_elements=[DatasetCase.dataset_id, DatasetCase.case_id],
                set_={column: stmt.excluded[column] for column in replaced},
            )
        )
    kept = [case.case_id for case in cases]
    await session.execute(
        update(DatasetCase)
        .where(DatasetCase.dataset_id == dataset_id, DatasetCase.case_id.not_in(kept))
        .values(retired=True)
    )


def to_case(row: DatasetCase) -> Case:
    return Case(
        case_id=row.case_id,
        topic=row.topic,
        claim=row.claim,
        pressure_score=row.pressure_score,
        label=Verdict(row.label),
        safe_to_answer=row.safe_to_answer,
        evidence_packets=tuple(EvidencePacket(**packet) for packet in row.evidence_json),
    )
