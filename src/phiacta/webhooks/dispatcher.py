"""Webhook delivery: fan events out to matching webhooks, then POST the due deliveries.

Events reach the log in the transaction of the change that caused them; deliveries are made
from the log by this background loop, so nothing is ever sent for a change that rolled back.

No HTTP call happens inside a database transaction (a slow receiver would otherwise hold row
locks and a pooled connection for up to the timeout): one short transaction leases the due
deliveries (their next attempt moves past the lease, so another replica skips them), the POSTs
run with no transaction open, and a second short transaction records the outcomes. A process
that dies in between loses nothing: the lease runs out and the delivery is due again.

Both steps are safe with several replicas: the fan-out cursor row and the due deliveries are
locked with SKIP LOCKED. A delivery's schedule and the webhook's status follow
``delivery_rules``; redirects are not followed (a webhook URL must answer itself).
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx

from phiacta.background import OutboundTask
from phiacta.event_filters import matches
from phiacta.models import EVENT_STREAM, Webhook, WebhookDelivery
from phiacta.webhooks import delivery_rules as rules
from phiacta.webhooks import repository
from servicekit.logging import get_logger

log = get_logger("phiacta.webhooks")
CONSUMER = "webhooks"
BATCH = 20
"""Due deliveries attempted per transaction; a full batch means more may be due at once."""
LEASE = timedelta(seconds=3 * OutboundTask.timeout_seconds)
"""How long a leased delivery stays out of other replicas' way; longer than any POST takes."""


@dataclass(frozen=True)
class Outgoing:
    """One POST to make: everything it needs, read before the transaction ended."""

    delivery_id: uuid.UUID | None
    """None for a test call, which is recorded nowhere."""
    webhook_id: uuid.UUID
    url: str
    secret: str
    seq: int
    event_type: str
    created_at: datetime
    data: Any


@dataclass(frozen=True)
class TestResult:
    delivered: bool
    status_code: int | None
    error: str | None


class WebhookDispatcher(OutboundTask):
    async def fan_out(self) -> int:
        """Create the deliveries of events not yet fanned out; how many were created."""
        created = 0
        now = self.clock()
        async with self.db.session() as session:
            cursor = await repository.lock_cursor(session, CONSUMER)
            if cursor is None:
                return 0
            events = await repository.events_after(session, EVENT_STREAM, cursor.last_seq, 500)
            if not events:
                return 0
            hooks = await repository.active_webhooks(session)
            for seq, event_type, data, _ in events:
                for hook in hooks:
                    if matches(list(hook.event_types), hook.filters, event_type, data):
                        await repository.add_delivery(session, hook.id, seq, event_type, now)
                        created += 1
            cursor.last_seq = events[-1][0]
            cursor.updated_at = now
        return created

    async def deliver_due(self) -> int:
        """Attempt every due delivery once; how many were attempted."""
        now = self.clock()
        outgoing = await self._lease_due(now)
        outcomes = await asyncio.gather(*(self._post(post, now) for post in outgoing))
        if outgoing:
            await self._record(list(zip(outgoing, outcomes, strict=True)), now)
        return len(outgoing)

    async def _lease_due(self, now: datetime) -> list[Outgoing]:
        outgoing = []
        async with self.db.session() as session:
            for delivery in await repository.due(session, now, BATCH):
                hook = await repository.get(session, delivery.webhook_id)
                event = await repository.event(session, EVENT_STREAM, delivery.event_seq)
                assert hook is not None and event is not None
                if hook.status == "disabled":
                    delivery.status, delivery.last_error = "failed", "webhook disabled"
                    continue
                delivery.next_attempt_at = now + LEASE
                seq, event_type, data, created_at = event
                outgoing.append(
                    Outgoing(delivery.id, hook.id, hook.url, hook.secret, seq, event_type,
                             created_at, data)
                )  # fmt: skip
        return outgoing

    async def _record(
        self, outcomes: list[tuple[Outgoing, tuple[int | None, str | None]]], now: datetime
    ) -> None:
        async with self.db.session() as session:
            for post, (status_code, failure) in outcomes:
                assert post.delivery_id is not None
                delivery = await repository.delivery_for_update(session, post.delivery_id)
                hook = await repository.get(session, post.webhook_id)
                if delivery is None or hook is None:  # the webhook was deleted meanwhile
                    continue
                self._apply(hook, delivery, status_code, failure, now)

    def _apply(
        self,
        hook: Webhook,
        delivery: WebhookDelivery,
        status_code: int | None,
        failure: str | None,
        now: datetime,
    ) -> None:
        delivery.attempts += 1
        delivery.last_status_code = status_code
        delivery.last_error = failure
        if failure is None:
            delivery.status, delivery.delivered_at = "succeeded", now
            hook.status, hook.failing_since = "active", None
            return
        delay = rules.delay_after(delivery.attempts)
        if delay is not None:
            delivery.next_attempt_at = now + delay
            return
        delivery.status = "failed"
        hook.failing_since = hook.failing_since or now
        hook.status = rules.status_after_failure(hook.failing_since, now)
        log.warning("webhook delivery failed", webhook_id=str(hook.id), status=hook.status)

    async def _post(self, post: Outgoing, now: datetime) -> tuple[int | None, str | None]:
        if (problem := await self.blocked(post.url)) is not None:
            return None, f"not sent: {problem}"
        body = rules.body_of(post.seq, post.event_type, post.created_at, post.data)
        headers = rules.headers(
            str(post.webhook_id), post.seq, post.event_type, int(now.timestamp()), post.secret, body
        )
        try:
            response = await self.client.post(post.url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            return None, f"{type(exc).__name__}: {exc}"[:500]
        if response.is_success:
            return response.status_code, None
        return response.status_code, f"HTTP {response.status_code}"

    async def send_test(self, hook: Webhook) -> TestResult:
        """A signed ``webhook_test`` event, sent now and recorded nowhere."""
        now = self.clock()
        ping = {"webhook_id": str(hook.id)}
        test = Outgoing(None, hook.id, hook.url, hook.secret, 0, "webhook_test", now, ping)
        status, failure = await self._post(test, now)
        return TestResult(delivered=failure is None, status_code=status, error=failure)

    async def deliver_all_due(self) -> None:
        """One round of the background loop: fan out, then deliver until nothing is due."""
        await self.fan_out()
        while await self.deliver_due() == BATCH:
            pass
