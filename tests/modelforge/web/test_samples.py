"""The predict page's starting input, built from a model's input schema (worked examples)."""

from __future__ import annotations

import pytest

from modelforge.web.samples import MAX_AXIS, sample_input, sample_shape, zero_of


@pytest.mark.parametrize(
    ("dtype", "zero"),
    [
        ("float32", 0.0),
        ("float64", 0.0),
        ("int64", 0),
        ("uint8", 0),
        ("bool", False),
        ("string", ""),
    ],
)
def test_zero_of_each_dtype(dtype: str, zero: object) -> None:
    value = zero_of(dtype)
    assert value == zero and type(value) is type(zero)


@pytest.mark.parametrize(
    ("shape", "axes"),
    [
        ([None, 4], [1, 4]),  # a dynamic batch axis becomes 1
        ([2, 3], [2, 3]),
        ([], []),  # a scalar input
        ([1000, 3], [MAX_AXIS, 3]),  # each axis capped
        ([100, 100, 2], None),  # 20 000 values even after capping: a single value
        ([1, 1, 1, 1, 1, 1, 1], None),  # more than 6 axes
        (None, None),  # unknown rank
        ([0, 2], [1, 2]),  # an empty axis gets one row to edit
    ],
)
def test_sample_shape(shape: list[int | None] | None, axes: list[int] | None) -> None:
    assert sample_shape(shape) == axes


def test_sample_input_for_several_inputs() -> None:
    schema = [
        {"name": "X", "dtype": "float32", "shape": [None, 2]},
        {"name": "ids", "dtype": "int64", "shape": [3]},
        {"name": "words", "dtype": "string", "shape": None},
    ]
    assert sample_input(schema) == {"X": [[0.0, 0.0]], "ids": [0, 0, 0], "words": ""}
