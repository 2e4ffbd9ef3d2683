"""The per-process TTL map the hot path's caches are built on."""

from __future__ import annotations

import pytest

from servicekit.ttl_cache import TtlCache


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_entries_expire_after_the_ttl_or_their_own_shorter_deadline() -> None:
    clock = Clock()
    cache: TtlCache[str, int] = TtlCache(2.0, clock=clock)
    cache.put("a", 1)
    cache.put("b", 2, ttl_seconds=0.5)  # e.g. an API token expiring sooner
    cache.put("c", 3, ttl_seconds=60)  # a longer TTL cannot stretch the cache's bound
    clock.now += 0.49
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == (1, 2, 3)
    clock.now += 0.02
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == (1, None, 3)
    clock.now += 1.5
    assert (cache.get("a"), cache.get("c")) == (None, None)
    assert len(cache) == 0


def test_eviction_by_key_and_by_predicate() -> None:
    cache: TtlCache[str, int] = TtlCache(10)
    for key, value in {"a": 1, "b": 2, "c": 3}.items():
        cache.put(key, value)
    cache.evict("a")
    cache.evict("missing")
    cache.evict_where(lambda _, value: value == 3)
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == (None, 2, None)


def test_size_is_bounded_oldest_first_and_zero_ttl_caches_nothing() -> None:
    cache: TtlCache[int, int] = TtlCache(10, max_entries=2)
    for key in range(3):
        cache.put(key, key)
    assert (cache.get(0), cache.get(1), cache.get(2)) == (None, 1, 2)
    off: TtlCache[str, int] = TtlCache(0)
    off.put("a", 1)
    assert off.get("a") is None
    cache.put(5, 5, ttl_seconds=-1)  # already expired: not kept
    assert cache.get(5) is None
    with pytest.raises(ValueError):
        TtlCache(-1)
