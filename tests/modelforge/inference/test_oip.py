"""Open Inference Protocol v2 shapes: metadata, requests to tensors, outputs to responses."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import numpy as np
import pytest

from modelforge.inference import oip
from modelforge.inference.sessions import SessionPool
from modelforge.inference.tensors import InputError, decode_inputs, numpy_dtype, parse_schema

if TYPE_CHECKING:
    from onnx_models import BuiltModel


@pytest.fixture
def pool() -> Iterator[SessionPool]:
    sessions = SessionPool(max_sessions=4, workers=2)
    yield sessions
    sessions.close()


def response_arrays(response: oip.InferResponse) -> dict[str, np.ndarray]:
    """A V2 response's tensors as arrays, as a client decodes them (non-finite strings restored)."""
    arrays: dict[str, np.ndarray] = {}
    for tensor in response.outputs:
        dtype = oip.dtype_of(tensor.datatype) or "string"
        if dtype == "string":
            arrays[tensor.name] = np.array(tensor.data, dtype=object).reshape(tensor.shape)
        else:
            arrays[tensor.name] = np.array(tensor.data, dtype=numpy_dtype(dtype)).reshape(
                tensor.shape
            )
    return arrays


def test_metadata_uses_v2_datatypes_and_minus_one(classifier: BuiltModel) -> None:
    metadata = oip.model_metadata(
        "iris",
        ["1.0.0", "2.0.0"],
        parse_schema(classifier.inputs),
        parse_schema(classifier.outputs),
    )
    assert metadata.model_dump() == {
        "name": "iris",
        "versions": ["1.0.0", "2.0.0"],
        "platform": "onnxruntime",
        "inputs": [{"name": "features", "datatype": "FP32", "shape": [-1, 4]}],
        "outputs": [
            {"name": "output_label", "datatype": "INT64", "shape": [-1]},
            {"name": "output_probability", "datatype": "BYTES", "shape": []},
        ],
    }


@pytest.mark.parametrize(
    ("dtype", "datatype"),
    [("float32", "FP32"), ("float64", "FP64"), ("float16", "FP16"), ("int64", "INT64"),
     ("uint8", "UINT8"), ("bool", "BOOL"), ("string", "BYTES")],
)  # fmt: skip
def test_datatypes_round_trip(dtype: str, datatype: str) -> None:
    assert oip.datatype_of(dtype) == datatype
    assert oip.dtype_of(datatype) == dtype


def test_flat_and_nested_data_decode_to_the_same_tensor(multi_input: BuiltModel) -> None:
    specs = parse_schema(multi_input.inputs)
    flat = oip.InferRequest.model_validate(
        {
            "inputs": [
                {"name": "a", "shape": [2, 3], "datatype": "FP32", "data": [1, 2, 3, 4, 5, 6]},
                {"name": "b", "shape": [2, 3], "datatype": "FP32", "data": [0] * 6},
            ]
        }
    )
    nested = oip.InferRequest.model_validate(
        {
            "inputs": [
                {"name": "b", "shape": [2, 3], "datatype": "FP32", "data": [[0] * 3] * 2},
                {"name": "a", "shape": [2, 3], "datatype": "FP32", "data": [[1, 2, 3], [4, 5, 6]]},
            ]
        }
    )
    from_flat = decode_inputs(specs, oip.request_payload(flat))
    from_nested = decode_inputs(specs, oip.request_payload(nested))
    assert from_flat["a"].shape == (2, 3) and from_flat["a"].dtype == np.float32
    np.testing.assert_array_equal(from_flat["a"], from_nested["a"])


def test_request_errors_name_the_tensor() -> None:
    request = oip.InferRequest.model_validate(
        {
            "inputs": [
                {"name": "a", "shape": [2, 2], "datatype": "FP32", "data": [1, 2, 3]},
                {"name": "b", "shape": [1], "datatype": "BF16", "data": [1]},
                {"name": "c", "shape": [1], "datatype": "BYTES", "data": [1]},
                {"name": "d", "shape": [1], "datatype": "INT64", "data": ["7"]},
            ]
        }
    )
    with pytest.raises(InputError) as caught:
        oip.request_payload(request)
    assert caught.value.problems == [
        "input 'a': shape [2, 2] needs 4 values, got 3",
        "input 'b': datatype BF16 is not supported",
        "input 'c': BYTES data must be strings",
        "input 'd': INT64 data must be numbers",
    ]


async def test_infer_round_trip_with_tensors_and_zipmap(
    pool: SessionPool, classifier: BuiltModel
) -> None:
    request = oip.InferRequest.model_validate(
        {
            "id": "req-1",
            "inputs": [
                {
                    "name": "features",
                    "shape": [2, 4],
                    "datatype": "FP32",
                    "data": [3, 3, 0, 0, -3, -3, 0, 0],
                }
            ],
        }
    )
    inputs = decode_inputs(parse_schema(classifier.inputs), oip.request_payload(request))
    result = await pool.predict("clf", classifier.sha256, classifier.path, inputs)
    response = oip.infer_response(
        "iris", "1.0.0", result.outputs, parse_schema(classifier.outputs), request_id=request.id
    )
    body = response.model_dump()
    assert body["model_name"] == "iris" and body["model_version"] == "1.0.0"
    assert body["id"] == "req-1"
    label, probabilities = body["outputs"]
    assert label == {"name": "output_label", "shape": [2], "datatype": "INT64", "data": [1, 0]}
    assert probabilities["datatype"] == "BYTES" and probabilities["shape"] == [2]
    assert probabilities["data"][0].startswith('{"0":')

    only_label = oip.infer_response(
        "iris", "1.0.0", result.outputs, parse_schema(classifier.outputs),
        requested=["output_label"],
    )  # fmt: skip
    assert [tensor.name for tensor in only_label.outputs] == ["output_label"]
    with pytest.raises(InputError, match="unknown output 'nope'"):
        oip.infer_response("iris", None, result.outputs, [], requested=["nope"])


async def test_non_finite_outputs_survive_the_round_trip(
    pool: SessionPool, non_finite: BuiltModel
) -> None:
    inputs = decode_inputs(parse_schema(non_finite.inputs), {"x": [0, 1, -1, 4]})
    result = await pool.predict("nf", non_finite.sha256, non_finite.path, inputs)
    response = oip.infer_response("nf", "1", result.outputs, parse_schema(non_finite.outputs))
    assert response.outputs[0].data == ["NaN", "Infinity", "-Infinity", "Infinity"]
    restored = response_arrays(oip.InferResponse.model_validate_json(response.model_dump_json()))
    ratio = restored["ratio"]
    assert ratio.dtype == np.float32 and ratio.shape == (4,)
    assert np.isnan(ratio[0]) and ratio[1] == np.inf and ratio[2] == -np.inf


def test_multi_dimensional_output_is_flattened_row_major(multi_input: BuiltModel) -> None:
    outputs = {"sum": [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]}
    response = oip.infer_response("m", "1", outputs, parse_schema(multi_input.outputs))
    assert response.outputs[0].shape == [2, 3]
    assert response.outputs[0].data == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
    restored = response_arrays(response)["sum"]
    assert restored.tolist() == outputs["sum"]
