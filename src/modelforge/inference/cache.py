"""The prediction cache and the model-metadata cache, in Redis, degrading to "miss" without it.

Prediction keys are ``<prefix>prediction:<model id>:<version>:<file sha256>:<tensor digest>``.
The digest is computed from the tensors *after* decoding against the model's schema
(:func:`modelforge.inference.tensors.tensor_digest`), so ``[[1, 2]]`` and ``[[1.0, 2.0]]`` for a
float input share an entry, and the file hash makes a replaced file miss by construction
(explicit :meth:`PredictionCache.invalidate` still frees the memory at once).

A lookup is one round trip: a Lua script reads the entry and counts the hit or miss, globally
and per model (Redis hashes), so a cache hit costs a single network exchange.

Redis being down or slow never fails a prediction: every Redis error is a miss or a no-op. The
client uses short socket timeouts and no retries, and a circuit breaker (:class:`RedisLink`)
stops calling Redis for ``retry_interval`` seconds after a failure, so an outage costs at most
about one timeout per interval; the first call after the interval tries again, and the cache is
back by itself when Redis is (redis-py reconnects its pool on the next command).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

import numpy as np
import redis.asyncio as redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from modelforge.inference.tensors import tensor_digest
from servicekit.logging import get_logger

log = get_logger(__name__)

T = TypeVar("T")

DEFAULT_PREFIX = "modelforge:"
# Invalidation scans every key of a model, however many: not a one-command budget.
INVALIDATE_TIMEOUT = 10.0

# KEYS: entry, hits, misses, hits by model, misses by model; ARGV: model id.
_LOOKUP = """
local value = redis.call('GET', KEYS[1])
if value then
  redis.call('INCR', KEYS[2])
  redis.call('HINCRBY', KEYS[4], ARGV[1], 1)
else
  redis.call('INCR', KEYS[3])
  redis.call('HINCRBY', KEYS[5], ARGV[1], 1)
end
return value
"""


class CircuitBreaker:
    """Open for ``retry_interval`` seconds after a failure; then lets one trial call through.

    The trial claims the next interval up front, so concurrent callers do not pile up behind a
    dead server: while Redis is down, at most one call per interval waits for a timeout.
    """

    def __init__(self, retry_interval: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._retry_interval = retry_interval
        self._clock = clock
        self._failed = False
        self._closed_until = 0.0

    @property
    def is_open(self) -> bool:
        return self._failed

    def allow(self) -> bool:
        if not self._failed:
            return True
        now = self._clock()
        if now < self._closed_until:
            return False
        self._closed_until = now + self._retry_interval  # this caller is the trial
        return True

    def record_success(self) -> None:
        self._failed = False

    def record_failure(self) -> None:
        self._failed = True
        self._closed_until = self._clock() + self._retry_interval


class RedisLink:
    """A redis.asyncio client guarded by a circuit breaker; shared by the caches of a process."""

    def __init__(
        self,
        url: str,
        *,
        socket_timeout: float = 0.25,
        retry_interval: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        # 0.25 s, not less: the budget is wall time on the event loop, so a saturated CPU
        # (measured: 16 concurrent requests per 2 busy cores) exceeds 0.1 s with Redis healthy;
        # each false trip bypassed the cache for ``retry_interval`` and turned hits into runs.
        # No socket_timeout on the client: redis-py then wraps every write in asyncio.wait_for,
        # a task per command (measured: a third of a cache call's CPU). ``call`` bounds each
        # whole operation with one cheap asyncio.timeout instead; a cancelled command makes
        # redis-py drop that connection, so no half-read reply is ever reused.
        self.client = redis.Redis.from_url(
            url,
            socket_connect_timeout=socket_timeout,
            # Retrying would multiply the wait for a dead server; the breaker decides when to retry.
            retry=Retry(NoBackoff(), 0),
        )
        self._timeout = socket_timeout
        self.breaker = CircuitBreaker(retry_interval, clock)

    @property
    def available(self) -> bool:
        """False while the last call to Redis failed (until a trial call succeeds)."""
        return not self.breaker.is_open

    async def call(
        self,
        operation: Callable[[redis.Redis], Awaitable[T]],
        default: T,
        *,
        budget_seconds: float | None = None,
    ) -> T:
        """``operation(client)``, or ``default`` when Redis is down or the breaker is open.

        ``budget_seconds`` bounds the whole operation (default: the link's ``socket_timeout``, sized
        for one command; an operation of many commands passes its own)."""
        if not self.breaker.allow():
            return default
        try:
            async with asyncio.timeout(budget_seconds or self._timeout):
                result = await operation(self.client)
        except (RedisError, OSError, TimeoutError) as exc:
            if not self.breaker.is_open:
                log.warning("redis unavailable, cache bypassed", error=type(exc).__name__)
            self.breaker.record_failure()
            return default
        if self.breaker.is_open:
            log.info("redis available again, cache resumed")
        self.breaker.record_success()
        return result

    async def close(self) -> None:
        await self.client.aclose()


@dataclass(frozen=True, slots=True)
class CachedPrediction:
    outputs: dict[str, Any]
    inference_ms: float
    """The original run's inference time (not the lookup's)."""
    cached_at: str
    lookup_ms: float
    """How long this cache lookup took."""


class PredictionCache:
    def __init__(
        self,
        link: RedisLink,
        *,
        ttl_seconds: int = 300,
        enabled: bool = True,
        prefix: str = DEFAULT_PREFIX,
    ) -> None:
        self._link = link
        self.ttl_seconds = ttl_seconds
        self.enabled = enabled and ttl_seconds > 0
        self._prefix = prefix
        self._hits = f"{prefix}metrics:prediction:hits"
        self._misses = f"{prefix}metrics:prediction:misses"
        self._hits_by_model = f"{prefix}metrics:prediction:hits_by_model"
        self._misses_by_model = f"{prefix}metrics:prediction:misses_by_model"
        self._lookup = link.client.register_script(_LOOKUP)

    def key(self, model_id: str, version: str, file_sha256: str, digest: str) -> str:
        return f"{self._prefix}prediction:{model_id}:{version}:{file_sha256}:{digest}"

    def key_for(
        self, model_id: str, version: str, file_sha256: str, inputs: Mapping[str, np.ndarray]
    ) -> str:
        """The entry for decoded ``inputs`` (see :func:`tensor_digest`)."""
        return self.key(model_id, version, file_sha256, tensor_digest(inputs))

    async def get(self, model_id: str, key: str) -> CachedPrediction | None:
        """The cached prediction, counting a hit or a miss for ``model_id``; None on a miss."""
        if not self.enabled:
            return None
        started = time.perf_counter()
        keys = [key, self._hits, self._misses, self._hits_by_model, self._misses_by_model]
        raw = await self._link.call(lambda _: self._lookup(keys=keys, args=[model_id]), None)
        if raw is None:
            return None
        try:
            entry = json.loads(raw)
            return CachedPrediction(
                outputs=entry["outputs"],
                inference_ms=float(entry["inference_ms"]),
                cached_at=str(entry["cached_at"]),
                lookup_ms=(time.perf_counter() - started) * 1000.0,
            )
        except (ValueError, KeyError, TypeError):  # an entry we cannot read is just a miss
            return None

    async def set(self, key: str, outputs: Mapping[str, Any], inference_ms: float) -> None:
        if not self.enabled:
            return
        entry = json.dumps(
            {
                "outputs": outputs,
                "inference_ms": inference_ms,
                "cached_at": datetime.now(UTC).isoformat(),
            },
            separators=(",", ":"),
            allow_nan=False,  # outputs are already JSON-safe; NaN here would be a bug upstream
        )
        await self._link.call(lambda client: client.set(key, entry, ex=self.ttl_seconds), None)

    async def invalidate(self, model_id: str) -> int:
        """Delete every entry of a model (upload, validation, deletion); returns how many."""
        pattern = f"{_escape_glob(self._prefix)}prediction:{_escape_glob(model_id)}:*"

        async def unlink_all(client: redis.Redis) -> int:
            removed = 0
            batch: list[bytes] = []
            async for key in client.scan_iter(match=pattern, count=500):
                batch.append(key)
                if len(batch) >= 500:
                    removed += await client.unlink(*batch)
                    batch.clear()
            if batch:
                removed += await client.unlink(*batch)
            return removed

        return await self._link.call(unlink_all, 0, budget_seconds=INVALIDATE_TIMEOUT)

    async def reset_metrics(self) -> None:
        """Zero the counters; resetting counters that do not exist yet is fine too."""
        keys = [self._hits, self._misses, self._hits_by_model, self._misses_by_model]
        await self._link.call(lambda client: client.unlink(*keys), 0)

    async def metrics(self) -> dict[str, Any]:
        """``{hits, misses, total_requests, hit_rate_percent, enabled, available, ttl_seconds,
        per_model: {model id: {hits, misses, total_requests, hit_rate_percent}}}``."""

        async def read(client: redis.Redis) -> list[Any]:
            pipe = client.pipeline(transaction=False)
            pipe.get(self._hits).get(self._misses)
            pipe.hgetall(self._hits_by_model).hgetall(self._misses_by_model)
            return await pipe.execute()

        hits, misses, hits_by_model, misses_by_model = await self._link.call(
            read, [None, None, {}, {}]
        )
        per_model_hits = {key.decode(): int(value) for key, value in hits_by_model.items()}
        per_model_misses = {key.decode(): int(value) for key, value in misses_by_model.items()}
        per_model = {
            model_id: _counts(per_model_hits.get(model_id, 0), per_model_misses.get(model_id, 0))
            for model_id in sorted(per_model_hits.keys() | per_model_misses.keys())
        }
        return {
            **_counts(int(hits or 0), int(misses or 0)),
            "enabled": self.enabled,
            "available": self._link.available,
            "ttl_seconds": self.ttl_seconds,
            "per_model": per_model,
        }


class ModelMetadataCache:
    """A model's metadata (any JSON object) under ``<prefix>model:<id>`` for ``CACHE_MODEL_TTL``."""

    def __init__(
        self, link: RedisLink, *, ttl_seconds: int = 3600, prefix: str = DEFAULT_PREFIX
    ) -> None:
        self._link = link
        self.ttl_seconds = ttl_seconds
        self._prefix = prefix

    def _key(self, model_id: str) -> str:
        return f"{self._prefix}model:{model_id}"

    async def get(self, model_id: str) -> dict[str, Any] | None:
        if self.ttl_seconds <= 0:
            return None
        raw = await self._link.call(lambda client: client.get(self._key(model_id)), None)
        if raw is None:
            return None
        try:
            value = json.loads(raw)
        except ValueError:
            return None
        return value if isinstance(value, dict) else None

    async def set(self, model_id: str, metadata: Mapping[str, Any]) -> None:
        if self.ttl_seconds <= 0:
            return
        # default=str: timestamps and UUIDs of a model row become their usual text.
        data = json.dumps(metadata, separators=(",", ":"), default=str)
        await self._link.call(
            lambda client: client.set(self._key(model_id), data, ex=self.ttl_seconds), None
        )

    async def invalidate(self, model_id: str) -> None:
        await self._link.call(lambda client: client.unlink(self._key(model_id)), 0)


def _counts(hits: int, misses: int) -> dict[str, Any]:
    total = hits + misses
    rate = round(100.0 * hits / total, 2) if total else 0.0
    return {"hits": hits, "misses": misses, "total_requests": total, "hit_rate_percent": rate}


def _escape_glob(text: str) -> str:
    """``text`` matched literally inside a Redis SCAN MATCH pattern."""
    return "".join(f"\\{char}" if char in "*?[]\\" else char for char in text)
