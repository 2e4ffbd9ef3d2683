"""The event log table, added to a service's own metadata so its migrations create it."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB


def event_log_table(metadata: MetaData, name: str = "event_log") -> Table:
    """Define the durable event log in ``metadata`` (a service's ``Base.metadata``).

    One row per event: ``seq`` counts from 1 within each ``stream`` with no gaps, so a reader
    that remembers the last ``seq`` it saw can always ask for exactly what follows. The primary
    key ``(stream, seq)`` is also the index every catch-up read walks.
    """
    return Table(
        name,
        metadata,
        Column("stream", Text, nullable=False),
        Column("seq", BigInteger, nullable=False),
        Column("type", Text, nullable=False),
        Column("data", JSONB, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        PrimaryKeyConstraint("stream", "seq"),
    )
