"""Open WebSocket subscriptions per API key in this process (spec: at most 10 per key).

Counted per replica: a client spreading connections over replicas gets that many per replica.
"""

from __future__ import annotations

from collections import Counter


class ConnectionLimiter:
    def __init__(self, per_key: int) -> None:
        self.per_key = per_key
        self._open: Counter[str] = Counter()

    def acquire(self, key: str) -> bool:
        if self._open[key] >= self.per_key:
            return False
        self._open[key] += 1
        return True

    def release(self, key: str) -> None:
        self._open[key] -= 1
        if self._open[key] <= 0:
            del self._open[key]
