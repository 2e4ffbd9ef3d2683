"""Webhook delivery: fan events out to matching webhooks, then POST the due deliveries.

Both steps are safe with several replicas: the fan-out cursor row and each due delivery are
locked with SKIP LOCKED, so no event is fanned out twice and no delivery is sent by two
processes at once. A delivery's schedule and the webhook's status follow
``delivery_rules``; redirects are not followed (a webhook URL must answer itself).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx

from phiacta.event_filters import matches
from phiacta.models import EVENT_STREAM, Webhook, WebhookDelivery
from phiacta.webhooks import delivery_rules as rules
from phiacta.webhooks import repository
from servicekit.db import Database
from servicekit.logging import get_logger

log = get_logger("phiacta.webhooks")
CONSUMER = "webhooks"
TIMEOUT_SECONDS = 10.0
BATCH = 20
"""Due deliveries attempted per transaction; a full batch means more may be due at once."""
POLL_SECONDS = 2.0


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class TestResult:
    delivered: bool
    status_code: int | None
    error: str | None


class WebhookDispatcher:
    def __init__(self, db: Database, *, clock: Callable[[], datetime] = utc_now) -> None:
        self.db = db
        self.clock = clock
        self.client = httpx.AsyncClient(timeout=TIMEOUT_SECONDS, follow_redirects=False)

    async def aclose(self) -> None:
        await self.client.aclose()

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
        async with self.db.session() as session:
            due = await repository.due(session, now, BATCH)
            for delivery in due:
                hook = await repository.get(session, delivery.webhook_id)
                event = await repository.event(session, EVENT_STREAM, delivery.event_seq)
                assert hook is not None and event is not None
                await self._attempt(hook, delivery, event, now)
        return len(due)

    async def _attempt(
        self, hook: Webhook, delivery: WebhookDelivery, event: tuple, now: datetime
    ) -> None:
        if hook.status == "disabled":
            delivery.status, delivery.last_error = "failed", "webhook disabled"
            return
        seq, event_type, data, created_at = event
        status_code, failure = await self._post(hook, seq, event_type, created_at, data, now)
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

    async def _post(
        self,
        hook: Webhook,
        seq: int,
        event_type: str,
        created_at: datetime,
        data: object,
        now: datetime,
    ) -> tuple[int | None, str | None]:
        body = rules.body_of(seq, event_type, created_at, data)
        headers = rules.headers(
            str(hook.id), seq, event_type, int(now.timestamp()), hook.secret, body
        )
        try:
            response = await self.client.post(hook.url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            return None, f"{type(exc).__name__}: {exc}"[:500]
        if response.is_success:
            return response.status_code, None
        return response.status_code, f"HTTP {response.status_code}"

    async def send_test(self, hook: Webhook) -> TestResult:
        """A signed ``webhook_test`` event, sent now and recorded nowhere."""
        now = self.clock()
        status, failure = await self._post(
            hook, 0, "webhook_test", now, {"webhook_id": str(hook.id)}, now
        )
        return TestResult(delivered=failure is None, status_code=status, error=failure)

    async def run(self, stop: asyncio.Event) -> None:
        """The background loop of one process: fan out, deliver, wait; until ``stop``."""
        while not stop.is_set():
            try:
                await self.fan_out()
                while await self.deliver_due() == BATCH:
                    pass
            except Exception:  # one bad round must not end delivery for good
                log.exception("webhook round failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=POLL_SECONDS)
