"""Open Inference Protocol v2 (KServe V2, also spoken by Triton and MLServer): REST JSON shapes.

Pure conversions between the protocol's tensors and this package's values; the routes live in the
API. A request tensor is ``{"name", "shape", "datatype", "data"}`` with ``data`` flat (row-major)
or nested; a response tensor always carries flat row-major ``data``. Model metadata reports a
dynamic dimension as ``-1``.

Outputs that are not tensors (scikit-learn's ZipMap: a list of ``{class: probability}``) have no
V2 datatype; they are returned as ``BYTES`` whose elements are the JSON text of each item.
Non-finite floats use the same strings as the REST API ("NaN", "Infinity", "-Infinity").
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from pydantic import BaseModel, Field

from modelforge.inference.tensors import InputError, TensorSpec

PLATFORM = "onnxruntime"

_TO_DATATYPE: dict[str, str] = {
    "bool": "BOOL",
    "uint8": "UINT8",
    "uint16": "UINT16",
    "uint32": "UINT32",
    "uint64": "UINT64",
    "int8": "INT8",
    "int16": "INT16",
    "int32": "INT32",
    "int64": "INT64",
    "float16": "FP16",
    "float32": "FP32",
    "float64": "FP64",
    "string": "BYTES",
}
_FROM_DATATYPE = {datatype: dtype for dtype, datatype in _TO_DATATYPE.items()}


class RequestTensor(BaseModel):
    name: str
    shape: list[int]
    datatype: str
    data: Any
    parameters: dict[str, Any] | None = None


class RequestedOutput(BaseModel):
    name: str
    parameters: dict[str, Any] | None = None


class InferRequest(BaseModel):
    id: str | None = None
    parameters: dict[str, Any] | None = None
    inputs: list[RequestTensor] = Field(min_length=1)
    outputs: list[RequestedOutput] | None = None


class ResponseTensor(BaseModel):
    name: str
    shape: list[int]
    datatype: str
    data: list[Any]


class InferResponse(BaseModel):
    model_name: str
    model_version: str | None = None
    id: str | None = None
    outputs: list[ResponseTensor]


class TensorMetadata(BaseModel):
    name: str
    datatype: str
    shape: list[int]


class ModelMetadata(BaseModel):
    name: str
    versions: list[str]
    platform: str = PLATFORM
    inputs: list[TensorMetadata]
    outputs: list[TensorMetadata]


def datatype_of(dtype: str) -> str:
    """The V2 datatype of a canonical dtype; ``BYTES`` for anything that is not a tensor."""
    return _TO_DATATYPE.get(dtype, "BYTES")


def dtype_of(datatype: str) -> str | None:
    """The canonical dtype of a V2 datatype; None when unsupported (e.g. ``BF16``)."""
    return _FROM_DATATYPE.get(datatype.upper())


def tensor_metadata(spec: TensorSpec) -> TensorMetadata:
    shape = [] if spec.shape is None else [-1 if dim is None else dim for dim in spec.shape]
    return TensorMetadata(name=spec.name, datatype=datatype_of(spec.dtype), shape=shape)


def model_metadata(
    name: str, versions: Sequence[str], inputs: Sequence[TensorSpec], outputs: Sequence[TensorSpec]
) -> ModelMetadata:
    return ModelMetadata(
        name=name,
        versions=list(versions),
        inputs=[tensor_metadata(spec) for spec in inputs],
        outputs=[tensor_metadata(spec) for spec in outputs],
    )


def request_payload(request: InferRequest) -> dict[str, np.ndarray]:
    """The request's tensors as arrays of their declared datatype and shape.

    The result is what :func:`modelforge.inference.tensors.decode_inputs` takes, which then
    checks it against the model's schema (names, rank, fixed dims, safe casts). Raises
    :class:`InputError` for tensors that contradict their own declaration.
    """
    problems: list[str] = []
    payload: dict[str, np.ndarray] = {}
    for tensor in request.inputs:
        if tensor.name in payload:
            problems.append(f"input '{tensor.name}' is given twice")
            continue
        try:
            payload[tensor.name] = _array(tensor)
        except _Invalid as exc:
            problems.append(f"input '{tensor.name}': {exc}")
    if problems:
        raise InputError(problems)
    return payload


class _Invalid(Exception):
    pass


def _array(tensor: RequestTensor) -> np.ndarray:
    dtype = dtype_of(tensor.datatype)
    if dtype is None:
        raise _Invalid(f"datatype {tensor.datatype} is not supported")
    if any(dim < 0 for dim in tensor.shape):
        raise _Invalid(f"shape {tensor.shape} has a negative dimension")
    flat = _flatten(tensor.data)
    expected = math.prod(tensor.shape)
    if len(flat) != expected:
        raise _Invalid(f"shape {tensor.shape} needs {expected} values, got {len(flat)}")
    if dtype == "string":
        if not all(isinstance(item, str) for item in flat):
            raise _Invalid("BYTES data must be strings")
        return np.array(flat, dtype=object).reshape(tensor.shape)
    if dtype == "bool" and not all(isinstance(item, bool) for item in flat):
        raise _Invalid("BOOL data must be true or false")
    if dtype != "bool" and any(isinstance(item, bool | str) or item is None for item in flat):
        raise _Invalid(f"{tensor.datatype} data must be numbers")
    try:
        # Values keep their JSON type here; decode_inputs applies the model's casting rules.
        return np.asarray(flat).reshape(tensor.shape)
    except (ValueError, OverflowError) as exc:
        raise _Invalid(f"values cannot be read as {tensor.datatype}") from exc


def _flatten(data: Any) -> list[Any]:
    if not isinstance(data, list):
        return [data]
    flat: list[Any] = []
    stack = [iter(data)]
    while stack:
        for item in stack[-1]:
            if isinstance(item, list):
                stack.append(iter(item))
                break
            flat.append(item)
        else:
            stack.pop()
    return flat


def infer_response(
    model_name: str,
    model_version: str | None,
    outputs: Mapping[str, Any],
    specs: Sequence[TensorSpec],
    *,
    request_id: str | None = None,
    requested: Sequence[str] | None = None,
) -> InferResponse:
    """A V2 response from JSON-safe outputs (as :class:`~.sessions.Prediction` or the cache hold).

    ``specs`` is the model's output schema (for datatypes); ``requested`` limits the outputs.
    """
    dtypes = {spec.name: spec.dtype for spec in specs}
    names = list(requested) if requested else list(outputs)
    unknown = [name for name in names if name not in outputs]
    if unknown:
        raise InputError([f"unknown output '{name}'" for name in unknown])
    tensors = []
    for name in names:
        value = outputs[name]
        dtype = dtypes.get(name, "")
        if dtype in _TO_DATATYPE:
            datatype = datatype_of(dtype)
            flat = _flatten(value)
            tensors.append(
                ResponseTensor(name=name, shape=_shape(value), datatype=datatype, data=flat)
            )
        else:
            items = value if isinstance(value, list) else [value]
            data = [json.dumps(item, separators=(",", ":")) for item in items]
            shape = [len(data)]
            tensors.append(ResponseTensor(name=name, shape=shape, datatype="BYTES", data=data))
    return InferResponse(
        model_name=model_name, model_version=model_version, id=request_id, outputs=tensors
    )


def _shape(value: Any) -> list[int]:
    shape: list[int] = []
    while isinstance(value, list):
        shape.append(len(value))
        if not value:
            break
        value = value[0]
    return shape
