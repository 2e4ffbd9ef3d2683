"""Rate-limit budgets (pure): which one a request spends, and the windows of each for a key's
rate tier (spec §8.3: per API key and per scope; api-design's tiers as per-key overrides).

Tiers scale the configured budgets: ``standard`` as configured (the guide's values),
``elevated`` five times them, ``unlimited`` no limit on reads and queries and ten times the
write budgets.
"""

from __future__ import annotations

import limits

from phiacta.config import Settings

READS = "reads"
WRITES = "writes"
BUNDLES = "bundles"
QUERIES = "queries"
INGEST = "ingest"

STANDARD = "standard"
RATE_TIERS = (STANDARD, "elevated", "unlimited")
_SCALE: dict[str, dict[str, int | None]] = {
    STANDARD: {},
    "elevated": {READS: 5, QUERIES: 5, WRITES: 5, BUNDLES: 5, INGEST: 5},
    "unlimited": {READS: None, QUERIES: None, WRITES: 10, BUNDLES: 10, INGEST: 10},
}


def budget_for(method: str, route: str) -> str:
    """``route`` is the route's path template (``/v1/claims/{claim_id}``), the same wherever
    the app is mounted."""
    if route.startswith("/v1/query/"):
        return QUERIES
    if method in {"GET", "HEAD", "OPTIONS"}:
        return READS
    if route.rstrip("/") == "/v1/bundles":
        return BUNDLES
    if route.rstrip("/") == "/v1/ingest":
        return INGEST
    return WRITES


def tier_limits(windows: list[str], tier: str, budget: str) -> list[str] | None:
    """``windows`` of ``budget`` scaled for ``tier``; None: not limited."""
    factor = _SCALE[tier].get(budget, 1)
    if factor is None:
        return None
    scaled = []
    for window in windows:
        item = limits.parse(window)
        scaled.append(f"{item.amount * factor} per {item.multiples} {item.GRANULARITY.name}")
    return scaled


def budget_limits(settings: Settings) -> dict[str, list[str]]:
    """Each budget's limit strings (``60/minute``), the shortest window first: a request
    refused by a burst limit then costs nothing from the longer budget."""
    configured = {
        READS: settings.rate_limit_reads,
        WRITES: settings.rate_limit_writes,
        BUNDLES: settings.rate_limit_bundles,
        QUERIES: settings.rate_limit_queries,
        INGEST: settings.rate_limit_ingest,
    }
    return {
        name: sorted(value.split(";"), key=lambda part: limits.parse(part).get_expiry())
        for name, value in configured.items()
    }
