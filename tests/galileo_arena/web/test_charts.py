"""Arranging the run summary for the histogram and the confusion matrices."""

from __future__ import annotations

from galileo_arena.web.charts import confusion_rows, heat, histogram


def test_histogram_has_one_series_per_model_in_bucket_order() -> None:
    models = [
        {"model_key": "a/x", "score_histogram": {"81-100": 2, "0-20": 1}},
        {"model_key": "b/y", "score_histogram": {}},
    ]

    chart = histogram(models)

    assert chart["labels"] == ["0-20", "21-40", "41-60", "61-80", "81-100"]
    assert chart["series"] == [
        {"label": "a/x", "counts": [1, 0, 0, 0, 2]},
        {"label": "b/y", "counts": [0, 0, 0, 0, 0]},
    ]


def test_heat_is_zero_only_for_empty_cells() -> None:
    assert [heat(n, 8) for n in (0, 1, 2, 4, 8)] == [0, 1, 1, 2, 4]
    assert heat(0, 0) == 0


def test_confusion_rows_mark_the_diagonal() -> None:
    confusion = {
        "SUPPORTED": {"SUPPORTED": 3, "REFUTED": 1, "INSUFFICIENT": 0},
        "REFUTED": {"SUPPORTED": 0, "REFUTED": 0, "INSUFFICIENT": 0},
        "INSUFFICIENT": {"SUPPORTED": 0, "REFUTED": 0, "INSUFFICIENT": 0},
    }

    rows = confusion_rows(confusion)

    assert [row["verdict"] for row in rows] == ["SUPPORTED", "REFUTED", "INSUFFICIENT"]
    first = rows[0]["cells"]
    assert [(c["label"], c["count"], c["heat"], c["correct"]) for c in first] == [
        ("SUPPORTED", 3, 4, True),
        ("REFUTED", 1, 1, False),
        ("INSUFFICIENT", 0, 0, False),
    ]
    assert [row["cells"][i]["correct"] for i, row in enumerate(rows)] == [True, True, True]
