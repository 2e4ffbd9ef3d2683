"""The predict page's starting input: a zero-valued example built from a model's input schema
(pure; no IO).

Dynamic axes (``null``) become 1 and every axis is capped at ``MAX_AXIS``; a tensor that would
still be larger than ``MAX_ELEMENTS`` or has more than ``MAX_RANK`` axes (or an unknown rank)
starts as a single value, which the page's live validation then flags for the user to shape.
"""

from __future__ import annotations

from collections.abc import Sequence
from math import prod
from typing import Any

MAX_AXIS = 100
MAX_RANK = 6
MAX_ELEMENTS = 10_000


def zero_of(dtype: str) -> Any:
    """The zero of a tensor dtype as JSON: ``0.0`` for floats, ``0`` for integers, ``false``,
    ``""``."""
    if dtype == "bool":
        return False
    if dtype == "string":
        return ""
    if dtype.startswith(("int", "uint")):
        return 0
    return 0.0


def sample_shape(shape: Sequence[int | None] | None) -> list[int] | None:
    """The example's axes, or None when the example is a single value."""
    if shape is None or len(shape) > MAX_RANK:
        return None
    axes = [min(MAX_AXIS, axis) if axis is not None and axis > 0 else 1 for axis in shape]
    if prod(axes) > MAX_ELEMENTS:
        return None
    return axes


def _filled(axes: Sequence[int], value: Any) -> Any:
    if not axes:
        return value
    return [_filled(axes[1:], value) for _ in range(axes[0])]


def sample_input(input_schema: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """``{input name: nested list of zeros}`` for every input of the schema."""
    sample: dict[str, Any] = {}
    for spec in input_schema:
        axes = sample_shape(spec.get("shape"))
        zero = zero_of(str(spec.get("dtype", "float32")))
        sample[spec["name"]] = zero if axes is None else _filled(axes, zero)
    return sample
