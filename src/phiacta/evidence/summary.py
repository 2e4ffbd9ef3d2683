"""The evidence summary (pure): counts and the net support of [REC] §7.4."""

from __future__ import annotations

from collections.abc import Sequence

from phiacta.evidence.schemas import EvidenceSummary


def depth_weight(depth: int) -> float:
    """Evidence for evidence counts half as much as the level above it."""
    return 0.5 ** (depth - 1)


def summarize(items: Sequence[tuple[str, float | None, int]]) -> EvidenceSummary:
    """``items``: (relationship, strength, depth) of every evidence edge."""
    pro = con = 0.0
    counts = {"supports": 0, "contradicts": 0, "corroborates": 0}
    for relationship, strength, depth in items:
        counts[relationship] += 1
        weight = (1.0 if strength is None else strength) * depth_weight(depth)
        if relationship == "contradicts":
            con += weight
        else:
            pro += weight
    total = pro + con
    return EvidenceSummary(
        total_supporting=counts["supports"],
        total_contradicting=counts["contradicts"],
        total_corroborating=counts["corroborates"],
        net_support=(pro - con) / total if total else None,
    )
