"""How an extension's status follows its health checks, with worked examples."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from phiacta.extensions.health_rules import status_after_check

REGISTERED = datetime(2026, 1, 1, tzinfo=UTC)


def after(minutes: float, *, passed: bool = False, last_ok_minutes: float | None = None) -> str:
    last_ok = None if last_ok_minutes is None else REGISTERED + timedelta(minutes=last_ok_minutes)
    return status_after_check(
        passed,
        last_ok_at=last_ok,
        registered_at=REGISTERED,
        now=REGISTERED + timedelta(minutes=minutes),
    )


def test_failing_for_five_minutes_degrades_and_for_a_day_deactivates() -> None:
    assert after(4.9) == "active"  # failing since registration, not yet 5 minutes
    assert after(5) == "degraded"
    assert after(60, last_ok_minutes=57) == "active"  # 3 minutes since the last passing check
    assert after(60, last_ok_minutes=50) == "degraded"
    assert after(24 * 60) == "inactive"
    assert after(24 * 60 + 10, last_ok_minutes=9) == "inactive"


def test_one_passing_check_restores_active() -> None:
    assert after(10 * 24 * 60, passed=True) == "active"
