"""How long a job waits before its next try after a transient failure (pure; no IO)."""

from __future__ import annotations

import random


def backoff_delay(retries: int, *, base: float, maximum: float) -> float:
    """Seconds to wait before retry number ``retries + 1``.

    Exponential (``base * 2**retries``, capped at ``maximum``) with "equal jitter": a uniform
    draw from the upper half of that window. The jitter spreads out the retries of many jobs
    that failed together (a database restart); keeping the lower half out guarantees that the
    wait still grows with every retry, which full jitter does not.
    """
    if retries < 0 or base < 0 or maximum < 0:
        raise ValueError("retries, base and maximum must not be negative")
    window = min(maximum, base * 2.0**retries)
    return random.uniform(window / 2, window)  # noqa: S311 - spreading load, not security
