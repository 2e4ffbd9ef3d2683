"""Reciprocal Rank Fusion (pure, [REC] §7.3): ``score = sum over lists of 1 / (k + rank)``."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

K = 60
T = TypeVar("T", bound=Hashable)


@dataclass
class Fused(Generic[T]):
    item: T
    score: float = 0.0
    ranks: dict[str, int] = field(default_factory=dict)
    """1-based rank of the item in each list it appears in (explainability)."""


def reciprocal_rank_fusion(lists: dict[str, Sequence[T]], k: int = K) -> list[Fused[T]]:
    fused: dict[T, Fused[T]] = {}
    for name, ranked in lists.items():
        for rank, item in enumerate(ranked, start=1):
            entry = fused.setdefault(item, Fused(item))
            entry.score += 1.0 / (k + rank)
            entry.ranks[name] = rank
    # Ties (same score) keep the order of first appearance: stable sort.
    return sorted(fused.values(), key=lambda entry: entry.score, reverse=True)
