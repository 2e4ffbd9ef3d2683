"""Rate-limit budgets (pure): which one a request spends, and the configured windows of each
(spec §8.3: per API key and per scope)."""

from __future__ import annotations

import limits

from phiacta.config import Settings

READS = "reads"
WRITES = "writes"
BUNDLES = "bundles"
QUERIES = "queries"
INGEST = "ingest"


def budget_for(method: str, path: str) -> str:
    if path.startswith("/v1/query/"):
        return QUERIES
    if method in {"GET", "HEAD", "OPTIONS"}:
        return READS
    if path.rstrip("/") == "/v1/bundles":
        return BUNDLES
    if path.rstrip("/") == "/v1/ingest":
        return INGEST
    return WRITES


def budget_limits(settings: Settings) -> dict[str, list[limits.RateLimitItem]]:
    configured = {
        READS: settings.rate_limit_reads,
        WRITES: settings.rate_limit_writes,
        BUNDLES: settings.rate_limit_bundles,
        QUERIES: settings.rate_limit_queries,
        INGEST: settings.rate_limit_ingest,
    }
    # Shortest window first, so a burst refusal costs nothing from the longer budget.
    return {
        name: sorted(
            (limits.parse(part) for part in value.split(";")), key=lambda i: i.get_expiry()
        )
        for name, value in configured.items()
    }
