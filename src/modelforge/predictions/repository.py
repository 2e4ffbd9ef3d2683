"""Queries of the ``predictions`` table (history), newest first."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from modelforge.models import Prediction

_NEWEST_FIRST = (Prediction.created_at.desc(), Prediction.id.desc())


class PredictionRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def page(
        self, model_id: uuid.UUID, *, offset: int, limit: int
    ) -> tuple[Sequence[Prediction], int]:
        total = await self.session.scalar(
            select(func.count()).select_from(Prediction).where(Prediction.model_id == model_id)
        )
        rows = await self.session.scalars(
            select(Prediction)
            .where(Prediction.model_id == model_id)
            .order_by(*_NEWEST_FIRST)
            .offset(offset)
            .limit(limit)
        )
        return rows.all(), int(total or 0)

    async def stream(self, model_id: uuid.UUID, batch: int = 500) -> AsyncIterator[Prediction]:
        """Every prediction of a model, newest first, fetched ``batch`` rows at a time (a
        server-side cursor: the history is never held whole in memory)."""
        result = await self.session.stream_scalars(
            select(Prediction)
            .where(Prediction.model_id == model_id)
            .order_by(*_NEWEST_FIRST)
            .execution_options(yield_per=batch)
        )
        async for row in result:
            yield row
