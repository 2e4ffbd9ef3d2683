"""How an extension's status follows its health checks (pure, spec §8.1).

The backend checks ``health_check_url`` every minute. Failing for 5 minutes in a row (counted
from the last passing check, or from registration) makes the extension ``degraded``; failing
for 24 hours makes it ``inactive``, which hides it from discovery. One passing check restores
``active``.
"""

from __future__ import annotations

from datetime import datetime, timedelta

CHECK_EVERY = timedelta(seconds=60)
DEGRADED_AFTER = timedelta(minutes=5)
INACTIVE_AFTER = timedelta(hours=24)


def status_after_check(
    passed: bool, *, last_ok_at: datetime | None, registered_at: datetime, now: datetime
) -> str:
    if passed:
        return "active"
    failing_for = now - (last_ok_at or registered_at)
    if failing_for >= INACTIVE_AFTER:
        return "inactive"
    if failing_for >= DEGRADED_AFTER:
        return "degraded"
    return "active"
