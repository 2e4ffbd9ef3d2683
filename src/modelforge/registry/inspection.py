"""Open an uploaded ONNX file the way inference will, and describe it.

Run in a worker thread: parsing and session creation are CPU-bound. Nothing here trusts the
file: external-data references are checked against the model's own directory before
ONNX Runtime is allowed to follow them, and error messages never carry server paths.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import onnx
import onnxruntime as ort
from onnx import AttributeProto, GraphProto, TensorProto

# ORT's tensor type names, reported as numpy-style dtypes.
_DTYPES = {
    "tensor(float)": "float32",
    "tensor(float16)": "float16",
    "tensor(double)": "float64",
    "tensor(bfloat16)": "bfloat16",
    "tensor(int8)": "int8",
    "tensor(int16)": "int16",
    "tensor(int32)": "int32",
    "tensor(int64)": "int64",
    "tensor(uint8)": "uint8",
    "tensor(uint16)": "uint16",
    "tensor(uint32)": "uint32",
    "tensor(uint64)": "uint64",
    "tensor(bool)": "bool",
    "tensor(string)": "string",
}

# ORT reports an unset model version as the largest int64, not as "absent".
_UNSET_VERSION = 2**63 - 1


class InvalidModel(Exception):
    """The file cannot be served; the message is safe to show to the uploader."""


@dataclass(frozen=True)
class ModelDescription:
    input_schema: list[dict[str, Any]]
    output_schema: list[dict[str, Any]]
    metadata: dict[str, Any]


def _tensors_of_graph(graph: GraphProto) -> Iterator[TensorProto]:
    yield from graph.initializer
    for sparse in graph.sparse_initializer:
        yield sparse.values
        yield sparse.indices
    for node in graph.node:
        for attribute in node.attribute:
            yield from _tensors_of_attribute(attribute)


def _tensors_of_attribute(attribute: AttributeProto) -> Iterator[TensorProto]:
    if attribute.HasField("t"):
        yield attribute.t
    yield from attribute.tensors
    if attribute.HasField("g"):
        yield from _tensors_of_graph(attribute.g)
    for graph in attribute.graphs:
        yield from _tensors_of_graph(graph)


def check_external_data(model: onnx.ModelProto, model_file: Path, own_directory: Path) -> None:
    """Refuse external-data references that leave ``own_directory`` (absolute or ``..``)."""
    root = own_directory.resolve()
    tensors = list(_tensors_of_graph(model.graph))
    for function in model.functions:
        for node in function.node:
            for attribute in node.attribute:
                tensors.extend(_tensors_of_attribute(attribute))
    for tensor in tensors:
        if tensor.data_location != TensorProto.EXTERNAL:
            continue
        location = next((e.value for e in tensor.external_data if e.key == "location"), "")
        target = (model_file.parent / location).resolve()
        if not location or Path(location).is_absolute() or not target.is_relative_to(root):
            raise InvalidModel(
                f"tensor {tensor.name!r} stores its data outside the model's directory "
                f"({location!r}); external data must sit beside the model"
            )


def _shape(raw: Any) -> list[int | None] | None:
    if raw is None:
        return None
    # Dynamic dimensions come back as names ("batch") or None: both mean "any size".
    return [dim if isinstance(dim, int) and dim >= 0 else None for dim in raw]


def _schema(args: list[Any]) -> list[dict[str, Any]]:
    return [
        {
            "name": arg.name,
            "dtype": _DTYPES.get(arg.type, arg.type),
            # Sequences and maps (skl2onnx's ZipMap output) have no tensor shape; ORT says [].
            "shape": _shape(arg.shape) if arg.type.startswith("tensor(") else None,
        }
        for arg in args
    ]


def _metadata(session: ort.InferenceSession, model: onnx.ModelProto) -> dict[str, Any]:
    meta = session.get_modelmeta()
    metadata: dict[str, Any] = {
        "producer_name": meta.producer_name or None,
        "producer_version": model.producer_version or None,
        "graph_name": meta.graph_name or None,
        "description": meta.description or None,
        "domain": meta.domain or None,
        "ir_version": model.ir_version,
        "opsets": {entry.domain or "ai.onnx": entry.version for entry in model.opset_import},
        "custom_metadata": dict(meta.custom_metadata_map),
        "providers": session.get_providers(),
    }
    if meta.version != _UNSET_VERSION:
        metadata["version"] = meta.version
    return {key: value for key, value in metadata.items() if value is not None}


def _safe_message(error: Exception, model_file: Path, own_directory: Path) -> str:
    text = str(error).replace(str(model_file), "<model file>")
    for directory in (model_file.parent, own_directory, own_directory.parent):
        text = text.replace(str(directory), "<model dir>")
    return text.strip() or type(error).__name__


def describe_model(model_file: Path, own_directory: Path) -> ModelDescription:
    """Load ``model_file`` with ONNX Runtime (CPU) and describe its inputs, outputs, metadata."""
    try:
        model = onnx.load(str(model_file), load_external_data=False)
    except Exception as exc:  # a corrupt protobuf raises DecodeError or others
        raise InvalidModel(
            f"not a readable ONNX model: {_safe_message(exc, model_file, own_directory)}"
        ) from exc
    check_external_data(model, model_file, own_directory)
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    try:
        session = ort.InferenceSession(
            str(model_file), sess_options=options, providers=["CPUExecutionProvider"]
        )
    except Exception as exc:  # ORT raises its own Fail/InvalidGraph/... kinds
        raise InvalidModel(
            f"ONNX Runtime cannot load the model: {_safe_message(exc, model_file, own_directory)}"
        ) from exc
    return ModelDescription(
        input_schema=_schema(session.get_inputs()),
        output_schema=_schema(session.get_outputs()),
        metadata=_metadata(session, model),
    )
