"""Chart data for the run page: the score histogram per model, and the confusion matrix's shading.

The numbers come from the run summary (``score_histogram`` and ``confusion`` of each model); these
functions only arrange them for Chart.js and the matrix table.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from galileo_arena.core.metrics import SCORE_BUCKETS
from galileo_arena.core.schemas import Verdict

VERDICTS = tuple(verdict.value for verdict in Verdict)
HEAT_LEVELS = 4


def histogram(models: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """``{"labels": bucket names, "series": [{"label": model_key, "counts": [...]}]}``."""
    labels = [name for name, _, _ in SCORE_BUCKETS]
    return {
        "labels": labels,
        "series": [
            {
                "label": model["model_key"],
                "counts": [model["score_histogram"].get(name, 0) for name in labels],
            }
            for model in models
        ],
    }


def heat(count: int, largest: int) -> int:
    """A shading level 0..HEAT_LEVELS for a matrix cell (0 only for an empty cell)."""
    if count <= 0 or largest <= 0:
        return 0
    return max(1, round(HEAT_LEVELS * count / largest))


def confusion_rows(confusion: Mapping[str, Mapping[str, int]]) -> list[dict[str, Any]]:
    """One row per verdict, each cell ``{"label", "count", "heat", "correct"}``."""
    largest = max((n for row in confusion.values() for n in row.values()), default=0)
    return [
        {
            "verdict": verdict,
            "cells": [
                {
                    "label": label,
                    "count": confusion.get(verdict, {}).get(label, 0),
                    "heat": heat(confusion.get(verdict, {}).get(label, 0), largest),
                    "correct": verdict == label,
                }
                for label in VERDICTS
            ],
        }
        for verdict in VERDICTS
    ]
