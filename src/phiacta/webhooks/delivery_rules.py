"""Webhook delivery rules (pure): signatures, the retry schedule, matching, status decay.

Spec §3.3: the body is ``{event_id, event_type, timestamp, data}``; ``X-Signature`` is
``sha256=<hex HMAC-SHA256(secret, raw body)>``; attempts are spaced 0 s, 30 s, 2 min, 10 min,
1 h; after 5 failed attempts the webhook is ``failing``, after 24 h of failing ``disabled``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime, timedelta
from typing import Any

RETRY_DELAYS = (0, 30, 120, 600, 3600)
DISABLE_AFTER = timedelta(hours=24)


def body_of(event_id: int, event_type: str, timestamp: datetime, data: Any) -> bytes:
    payload = {
        "event_id": event_id,
        "event_type": event_type,
        "timestamp": timestamp.isoformat(),
        "data": data,
    }
    return json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def headers(
    webhook_id: str, event_id: int, event_type: str, unix_time: int, secret: str, body: bytes
) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "X-Webhook-ID": webhook_id,
        "X-Event-ID": str(event_id),
        "X-Event-Type": event_type,
        "X-Timestamp": str(unix_time),
        "X-Signature": signature(secret, body),
    }


def delay_after(failed_attempts: int) -> timedelta | None:
    """When to try again after ``failed_attempts`` failures; None: give up."""
    if failed_attempts >= len(RETRY_DELAYS):
        return None
    return timedelta(seconds=RETRY_DELAYS[failed_attempts])


def status_after_failure(failing_since: datetime | None, now: datetime) -> str:
    if failing_since is not None and now - failing_since >= DISABLE_AFTER:
        return "disabled"
    return "failing"
