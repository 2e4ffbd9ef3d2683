"""Reciprocal rank fusion of ranked result lists; pure.

RRF (Cormack, Clarke & Büttcher, 2009) scores an item ``sum(1 / (k + rank))`` over the lists it
appears in (ranks from 1). It needs no score calibration between a cosine similarity and a
full-text rank, which is why it is the usual way to merge dense and lexical retrieval. ``k=60``
is the paper's constant: it damps the weight of the very top ranks.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

Key = TypeVar("Key", bound=Hashable)

DEFAULT_K = 60


@dataclass(frozen=True)
class Fused(Generic[Key]):
    key: Key
    score: float
    ranks: dict[str, int] = field(default_factory=dict)
    """The item's 1-based rank in each list it appeared in, by list name."""


def reciprocal_rank_fusion(
    rankings: dict[str, Sequence[Key]],
    *,
    k: int = DEFAULT_K,
    weights: dict[str, float] | None = None,
) -> list[Fused[Key]]:
    """Merge named rankings (best first, no duplicates within one) into one, best first.

    Ties are broken by the best single rank, then by first appearance, so the result is
    deterministic.
    """
    if k < 1:
        raise ValueError("k must be at least 1")
    scores: dict[Key, float] = {}
    ranks: dict[Key, dict[str, int]] = {}
    for name, ranking in rankings.items():
        weight = 1.0 if weights is None else weights.get(name, 1.0)
        for position, key in enumerate(ranking, start=1):
            if name in ranks.get(key, {}):
                raise ValueError(f"{key!r} appears twice in ranking {name!r}")
            scores[key] = scores.get(key, 0.0) + weight / (k + position)
            ranks.setdefault(key, {})[name] = position
    order = {key: index for index, key in enumerate(scores)}
    fused = [Fused(key, score, ranks[key]) for key, score in scores.items()]
    fused.sort(key=lambda item: (-item.score, min(item.ranks.values()), order[item.key]))
    return fused
