"""Retrieval quality measures over a set of questions with known answers; pure.

Each question has the set of documents that answer it; a ranking is the list of document names
retrieved for it, best first (repeats allowed: several chunks of one document).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Quality:
    questions: int
    recall_at_k: float
    mrr: float
    k: int


def first_relevant_rank(ranking: Sequence[str], relevant: set[str]) -> int | None:
    """1-based rank of the first relevant item, or None."""
    return next((rank for rank, item in enumerate(ranking, start=1) if item in relevant), None)


def evaluate(rankings: Sequence[Sequence[str]], relevant: Sequence[set[str]], k: int) -> Quality:
    """Recall@k (share of questions with a relevant document in the top k) and mean
    reciprocal rank (of the first relevant document, 0 when none is retrieved)."""
    if len(rankings) != len(relevant):
        raise ValueError("one ranking per question")
    if not rankings:
        raise ValueError("no questions")
    hits = 0
    reciprocal = 0.0
    for ranking, answers in zip(rankings, relevant, strict=True):
        rank = first_relevant_rank(ranking, answers)
        if rank is not None:
            reciprocal += 1.0 / rank
            hits += rank <= k
    count = len(rankings)
    return Quality(questions=count, recall_at_k=hits / count, mrr=reciprocal / count, k=k)
