"""Every write lands in the hash-chained audit log with its agent and request id."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from sqlalchemy import text

from phiacta.audit.repository import verify

Headers = dict[str, str]
Factory = Callable[..., Awaitable[Any]]


async def test_writes_are_audited_and_tampering_is_detected(
    client: httpx.AsyncClient, admin: Headers, runtime: Any, fresh_ns: str, make_claim: Factory
) -> None:
    claim = await make_claim(fresh_ns, "audited claim", headers=admin)
    patched = await client.patch(
        f"/v1/claims/{claim['id']}",
        json={"content": "audited claim v2"},
        headers={**admin, "X-Request-ID": "req-audit-1"},
    )
    assert patched.status_code == 200
    async with runtime.db.session() as session:
        row = (
            await session.execute(
                text(
                    "SELECT action, entity_id, request_id, agent_id FROM audit_log "
                    "WHERE request_id = 'req-audit-1'"
                )
            )
        ).one()
        assert row[:3] == ("claim.update", patched.json()["id"], "req-audit-1")
        assert str(row[3]) == claim["created_by"]["id"]
        assert await verify(session) is None
    # Tamper the way only a superuser could (the trigger refuses everyone else).
    async with runtime.db.session() as session:
        await session.execute(
            text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update_delete")
        )
        await session.execute(
            text("UPDATE audit_log SET entity_id = 'forged' WHERE request_id = 'req-audit-1'")
        )
        await session.execute(
            text("ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update_delete")
        )
    async with runtime.db.session() as session:
        tampered = await session.scalar(
            text("SELECT id FROM audit_log WHERE request_id = 'req-audit-1'")
        )
        assert await verify(session) == tampered
