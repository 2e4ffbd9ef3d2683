"""A bounded, per-process map whose entries expire after a fixed time (pure logic, no IO).

The :class:`~servicekit.auth.Authenticator`'s credential cache is built on it, and services use
it for their own hot-path lookups (ModelForge's resolved models, Oyl's question vectors). Each
worker process holds its own copy, so what one process evicts another still serves until the
entry's TTL runs out: the TTL is the staleness bound between processes.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class TtlCache(Generic[K, V]):
    """At most ``max_entries`` entries, each readable for ``ttl_seconds`` after it was put
    (or until its own earlier deadline); the least recently put entry goes first when full."""

    def __init__(
        self,
        ttl_seconds: float,
        *,
        max_entries: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if ttl_seconds < 0 or max_entries < 1:
            raise ValueError("ttl_seconds must be >= 0 and max_entries >= 1")
        self.ttl_seconds = ttl_seconds
        self._max_entries = max_entries
        self._clock = clock
        self._entries: OrderedDict[K, tuple[float, V]] = OrderedDict()

    def get(self, key: K) -> V | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        deadline, value = entry
        if self._clock() >= deadline:
            del self._entries[key]
            return None
        return value

    def put(self, key: K, value: V, *, ttl_seconds: float | None = None) -> None:
        """Keep ``value``; ``ttl_seconds`` may only shorten the cache's TTL (an expiring key)."""
        if self.ttl_seconds == 0:
            return  # a zero TTL turns the cache off
        ttl = self.ttl_seconds if ttl_seconds is None else min(ttl_seconds, self.ttl_seconds)
        if ttl <= 0:
            return
        self._entries.pop(key, None)
        self._entries[key] = (self._clock() + ttl, value)
        while len(self._entries) > self._max_entries:
            self._entries.popitem(last=False)

    def evict(self, key: K) -> None:
        self._entries.pop(key, None)

    def evict_where(self, predicate: Callable[[K, V], bool]) -> None:
        """Drop every entry ``predicate(key, value)`` selects (an O(n) sweep, for rare events
        such as a revocation)."""
        for key in [key for key, (_, value) in self._entries.items() if predicate(key, value)]:
            del self._entries[key]

    def clear(self) -> None:
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)
