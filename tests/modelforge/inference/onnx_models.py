"""Builders of real ONNX models for the inference tests (loaded by conftest.py).

Each builder returns a ``BuiltModel``: the file, its sha256 and the input/output schemas stored
the way validation stores them (``[{name, dtype, shape}]``, null for a dynamic dimension).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper
from skl2onnx import to_onnx
from skl2onnx.common.data_types import FloatTensorType
from sklearn.linear_model import LinearRegression, LogisticRegression


@dataclass(frozen=True)
class BuiltModel:
    path: Path
    sha256: str
    inputs: list[dict[str, Any]]
    outputs: list[dict[str, Any]]


def _schema(args: list[Any]) -> list[dict[str, Any]]:
    return [
        {
            "name": arg.name,
            "dtype": arg.type,
            "shape": [dim if isinstance(dim, int) else None for dim in arg.shape],
        }
        for arg in args
    ]


def save_model(model: onnx.ModelProto, path: Path) -> BuiltModel:
    data = model.SerializeToString()
    path.write_bytes(data)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return BuiltModel(
        path=path,
        sha256=hashlib.sha256(data).hexdigest(),
        inputs=_schema(session.get_inputs()),
        outputs=_schema(session.get_outputs()),
    )


def graph_model(
    nodes: list[onnx.NodeProto],
    inputs: list[onnx.ValueInfoProto],
    outputs: list[onnx.ValueInfoProto],
    initializers: list[onnx.TensorProto] | None = None,
) -> onnx.ModelProto:
    graph = helper.make_graph(nodes, "g", inputs, outputs, initializer=initializers or [])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def build_classifier(models_dir: Path) -> BuiltModel:
    """LogisticRegression on 4 features: outputs a label and a ZipMap of probabilities."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 4)).astype(np.float32)
    y = (x[:, 0] + x[:, 1] > 0).astype(np.int64)
    fitted = LogisticRegression().fit(x, y)
    onx = to_onnx(fitted, initial_types=[("features", FloatTensorType([None, 4]))])
    return save_model(onx, models_dir / "classifier.onnx")


def build_regressor(models_dir: Path) -> BuiltModel:
    """LinearRegression y = 1*a + 2*b + 3*c + 0.5 over 3 features."""
    x = np.random.default_rng(1).normal(size=(40, 3)).astype(np.float32)
    y = x @ np.array([1.0, 2.0, 3.0], dtype=np.float32) + 0.5
    fitted = LinearRegression().fit(x, y)
    onx = to_onnx(fitted, initial_types=[("x", FloatTensorType([None, 3]))])
    return save_model(onx, models_dir / "regressor.onnx")


def build_multi_input(models_dir: Path) -> BuiltModel:
    """sum = a + b with a dynamic batch axis; both inputs are [batch, 3] float."""
    a = helper.make_tensor_value_info("a", TensorProto.FLOAT, ["batch", 3])
    b = helper.make_tensor_value_info("b", TensorProto.FLOAT, ["batch", 3])
    out = helper.make_tensor_value_info("sum", TensorProto.FLOAT, ["batch", 3])
    model = graph_model([helper.make_node("Add", ["a", "b"], ["sum"])], [a, b], [out])
    return save_model(model, models_dir / "multi.onnx")


def build_string_model(models_dir: Path) -> BuiltModel:
    """Echoes a string tensor of any length."""
    text = helper.make_tensor_value_info("text", TensorProto.STRING, [None])
    out = helper.make_tensor_value_info("echo", TensorProto.STRING, [None])
    model = graph_model([helper.make_node("Identity", ["text"], ["echo"])], [text], [out])
    return save_model(model, models_dir / "strings.onnx")


def build_int_model(models_dir: Path) -> BuiltModel:
    """doubled = ids * 2 over int64 [n]."""
    return build_int_scaler(2, models_dir / "ints.onnx")


def build_int_scaler(factor: int, path: Path) -> BuiltModel:
    """doubled = ids * factor over int64 [n] (the output keeps its name for any factor)."""
    ids = helper.make_tensor_value_info("ids", TensorProto.INT64, [None])
    out = helper.make_tensor_value_info("doubled", TensorProto.INT64, [None])
    k = helper.make_tensor("k", TensorProto.INT64, [], [factor])
    model = graph_model([helper.make_node("Mul", ["ids", "k"], ["doubled"])], [ids], [out], [k])
    return save_model(model, path)


def build_non_finite(models_dir: Path) -> BuiltModel:
    """ratio = x / 0: NaN for 0, +Inf for positives, -Inf for negatives."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [None])
    out = helper.make_tensor_value_info("ratio", TensorProto.FLOAT, [None])
    zero = helper.make_tensor("zero", TensorProto.FLOAT, [], [0.0])
    model = graph_model([helper.make_node("Div", ["x", "zero"], ["ratio"])], [x], [out], [zero])
    return save_model(model, models_dir / "nonfinite.onnx")
