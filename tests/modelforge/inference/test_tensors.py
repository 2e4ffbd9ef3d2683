"""Decoding request inputs against a model's schema, the canonical digest, and output encoding."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from modelforge.inference.tensors import (
    InputError,
    TensorSpec,
    canonical_dtype,
    decode_inputs,
    encode_value,
    parse_schema,
    tensor_digest,
)

FEATURES = parse_schema([{"name": "x", "dtype": "tensor(float)", "shape": [None, 4]}])


def problems_of(specs: list[TensorSpec], payload: dict) -> list[str]:
    with pytest.raises(InputError) as caught:
        decode_inputs(specs, payload)
    return caught.value.problems


@pytest.mark.parametrize(
    ("spelling", "canonical"),
    [
        ("tensor(float)", "float32"),
        ("float", "float32"),
        ("float32", "float32"),
        ("tensor(double)", "float64"),
        ("tensor(float16)", "float16"),
        ("tensor(int64)", "int64"),
        ("uint8", "uint8"),
        ("tensor(bool)", "bool"),
        ("tensor(string)", "string"),
        ("tensor(bfloat16)", None),
        ("seq(map(int64,tensor(float)))", None),
    ],
)
def test_dtype_spellings(spelling: str, canonical: str | None) -> None:
    assert canonical_dtype(spelling) == canonical


def test_schema_dynamic_dims_are_none() -> None:
    spec = TensorSpec.from_schema({"name": "a", "dtype": "tensor(float)", "shape": ["N", 3, -1]})
    assert spec.shape == (None, 3, None)
    assert spec.shape_text() == "[?, 3, ?]"


def test_batch_is_a_leading_dimension() -> None:
    rows = [[1, 2, 3, 4], [5.5, 6, 7, 8], [0, 0, 0, 0]]
    decoded = decode_inputs(FEATURES, {"x": rows})
    assert decoded["x"].dtype == np.float32
    assert decoded["x"].shape == (3, 4)
    assert decoded["x"][1, 0] == pytest.approx(5.5)


def test_rank_mismatch_names_input_and_expected_shape() -> None:
    assert problems_of(FEATURES, {"x": [1, 2, 3]}) == [
        "input 'x': expected rank 2 [?, 4], got shape [3]"
    ]


def test_fixed_dimension_mismatch() -> None:
    assert problems_of(FEATURES, {"x": [[1, 2, 3, 4, 5]]}) == [
        "input 'x': dimension 1 must be 4 [?, 4], got shape [1, 5]"
    ]


def test_missing_and_unknown_inputs_are_all_reported() -> None:
    specs = parse_schema(
        [
            {"name": "a", "dtype": "tensor(float)", "shape": [None, 3]},
            {"name": "b", "dtype": "tensor(float)", "shape": [None, 3]},
        ]
    )
    assert problems_of(specs, {"a": [[1, 2, 3]], "z": [1]}) == [
        "missing input 'b'",
        "unknown input 'z'",
    ]


@pytest.mark.parametrize(
    "bad",
    [[[1.5, 2]], [["1", "2"]], [[True, False]], [[None, 1]]],
    ids=["fraction", "strings", "bools", "null"],
)
def test_int_input_refuses_what_is_not_an_integer(bad: list) -> None:
    specs = parse_schema([{"name": "ids", "dtype": "tensor(int64)", "shape": [None, 2]}])
    assert problems_of(specs, {"ids": bad}) == ["input 'ids': values cannot be read as int64"]


def test_int_input_takes_whole_floats() -> None:
    specs = parse_schema([{"name": "ids", "dtype": "tensor(int64)", "shape": [None]}])
    decoded = decode_inputs(specs, {"ids": [1.0, 2, -3.0]})
    assert decoded["ids"].dtype == np.int64
    assert decoded["ids"].tolist() == [1, 2, -3]


def test_out_of_range_values_are_refused_not_wrapped() -> None:
    specs = parse_schema([{"name": "p", "dtype": "tensor(uint8)", "shape": [None]}])
    assert problems_of(specs, {"p": [1, 256]}) == ["input 'p': values are out of range for uint8"]
    specs = parse_schema([{"name": "f", "dtype": "tensor(float)", "shape": [None]}])
    assert problems_of(specs, {"f": [1e300]}) == ["input 'f': values are out of range for float32"]


def test_float_input_refuses_text_and_ragged_rows() -> None:
    assert problems_of(FEATURES, {"x": [["a", "b", "c", "d"]]}) == [
        "input 'x': values cannot be read as float32"
    ]
    assert problems_of(FEATURES, {"x": [[1, 2, 3, 4], [1, 2]]}) == [
        "input 'x': values are not a rectangular array of numbers or strings"
    ]


def test_float_input_takes_non_finite_tokens() -> None:
    decoded = decode_inputs(FEATURES, {"x": [[1, "NaN", "Infinity", "-Infinity"]]})["x"]
    assert decoded.dtype == np.float32
    assert decoded[0, 0] == 1.0 and np.isnan(decoded[0, 1])
    assert decoded[0, 2] == np.inf and decoded[0, 3] == -np.inf
    # Only those three tokens: numbers written as text are still refused.
    assert problems_of(FEATURES, {"x": [[1, "1.5", 0, 0]]}) == [
        "input 'x': values cannot be read as float32"
    ]


def test_float16_overflow_is_refused() -> None:
    specs = parse_schema([{"name": "h", "dtype": "tensor(float16)", "shape": [None]}])
    assert decode_inputs(specs, {"h": [1, 2.5]})["h"].dtype == np.float16
    assert problems_of(specs, {"h": [70000]}) == ["input 'h': values are out of range for float16"]


def test_string_and_bool_inputs() -> None:
    specs = parse_schema(
        [
            {"name": "t", "dtype": "tensor(string)", "shape": [None]},
            {"name": "flag", "dtype": "tensor(bool)", "shape": [None]},
        ]
    )
    decoded = decode_inputs(specs, {"t": ["héllo", "b"], "flag": [True, False]})
    assert decoded["t"].dtype == object and decoded["t"].tolist() == ["héllo", "b"]
    assert decoded["flag"].dtype == np.bool_
    assert problems_of(specs, {"t": [1, 2], "flag": [1, 0]}) == [
        "input 't': values cannot be read as string",
        "input 'flag': values cannot be read as bool",
    ]


def test_element_limit() -> None:
    with pytest.raises(InputError, match="12 values exceed the limit of 8"):
        decode_inputs(FEATURES, {"x": [[0, 0, 0, 0]] * 3}, max_elements=8)


def test_digest_is_canonical_over_json_spelling_and_key_order() -> None:
    specs = parse_schema(
        [
            {"name": "a", "dtype": "tensor(float)", "shape": [None, 2]},
            {"name": "b", "dtype": "tensor(int64)", "shape": [None]},
        ]
    )
    one = decode_inputs(specs, {"a": [[1, 2]], "b": [3]})
    other = decode_inputs(specs, {"b": [3.0], "a": [[1.0, 2.0]]})
    assert tensor_digest(one) == tensor_digest(other)
    changed_value = decode_inputs(specs, {"a": [[1, 2.5]], "b": [3]})
    changed_shape = decode_inputs(specs, {"a": [[1, 2], [0, 0]], "b": [3]})
    assert tensor_digest(changed_value) != tensor_digest(one)
    assert tensor_digest(changed_shape) != tensor_digest(one)


def test_digest_separates_string_boundaries() -> None:
    specs = parse_schema([{"name": "t", "dtype": "tensor(string)", "shape": [None]}])
    left = decode_inputs(specs, {"t": ["ab", "c"]})
    right = decode_inputs(specs, {"t": ["a", "bc"]})
    assert tensor_digest(left) != tensor_digest(right)


def test_non_finite_floats_become_distinct_strings() -> None:
    values = np.array([[1.5, np.nan], [np.inf, -np.inf]], dtype=np.float32)
    encoded = encode_value(values)
    assert encoded == [[1.5, "NaN"], ["Infinity", "-Infinity"]]
    json.dumps(encoded, allow_nan=False)  # strict JSON: raises if any NaN slipped through
    assert [float(item) for item in encoded[1]] == [math.inf, -math.inf]


def test_zipmap_output_becomes_plain_json() -> None:
    zipmap = [{np.int64(0): np.float32(0.25), np.int64(1): np.float32(0.75)}, {0: float("nan")}]
    encoded = encode_value(zipmap)
    assert encoded == [{"0": 0.25, "1": 0.75}, {"0": "NaN"}]
    assert json.loads(json.dumps(encoded, allow_nan=False)) == encoded
