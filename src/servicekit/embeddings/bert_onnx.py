"""Build an ONNX graph of a BERT sentence encoder straight from its safetensors weights.

Exporting through torch would make torch (about 1.4 GB) a dependency of every service that embeds
text. A BERT encoder is small enough to write down as an ONNX graph directly: embeddings, N
post-norm transformer layers with exact (erf) GELU, then mean pooling over the attention mask and
L2 normalisation, as sentence-transformers does for all-MiniLM-L6-v2.

The graph has two outputs, in this order:

- ``last_hidden_state`` (batch, tokens, hidden): first, because Chroma's ``ONNXMiniLM_L6_V2``
  takes output 0 and pools it itself, so the same file serves as Chroma's ``model.onnx``;
- ``sentence_embedding`` (batch, hidden): pooled and normalised, what the kit's encoder reads.

This module does no file IO beyond reading the weights given to it: callers decide where the
model is written (see ``local_model``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx
from numpy.typing import NDArray
from onnx import TensorProto, helper, numpy_helper
from safetensors.numpy import load_file

# 17 is the last opset where ReduceL2 takes its axes as an attribute, and every onnxruntime since
# 1.11 runs it; nothing newer is needed by this graph.
OPSET = 17
# An additive mask value that drives the softmax weight of padding to exactly 0 in float32 while
# staying far from overflow when added to attention scores.
_MASKED_SCORE = -1e9
# torch.nn.functional.normalize's epsilon, so a degenerate all-zero vector behaves the same.
_NORM_EPS = 1e-12


@dataclass(frozen=True)
class BertShape:
    """The architecture numbers read from a Hugging Face ``config.json``."""

    layers: int
    heads: int
    hidden: int
    layer_norm_eps: float

    @property
    def head_size(self) -> int:
        return self.hidden // self.heads

    @classmethod
    def from_config(cls, path: Path) -> BertShape:
        config = json.loads(path.read_text(encoding="utf-8"))
        if config.get("model_type") != "bert":
            raise ValueError(f"{path} describes a {config.get('model_type')!r} model, not BERT")
        return cls(
            layers=config["num_hidden_layers"],
            heads=config["num_attention_heads"],
            hidden=config["hidden_size"],
            layer_norm_eps=config["layer_norm_eps"],
        )


class _GraphWriter:
    """Accumulates nodes and initialisers, naming intermediate values automatically."""

    def __init__(self) -> None:
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: list[onnx.TensorProto] = []

    def weight(self, name: str, value: NDArray[np.generic]) -> str:
        self.initializers.append(numpy_helper.from_array(np.ascontiguousarray(value), name))
        return name

    def op(self, op_type: str, *inputs: str, output: str | None = None, **attrs: object) -> str:
        name = output or f"{op_type.lower()}_{len(self.nodes)}"
        self.nodes.append(helper.make_node(op_type, list(inputs), [name], **attrs))
        return name


class _BertGraph:
    """Writes one BERT encoder into a ``_GraphWriter``, reading weights by their HF names."""

    def __init__(self, weights: dict[str, NDArray[np.generic]], shape: BertShape) -> None:
        self.w = weights
        self.shape = shape
        self.g = _GraphWriter()
        self.one = self.g.weight("const.one", np.array(1.0, np.float32))
        self.half = self.g.weight("const.half", np.array(0.5, np.float32))
        self.sqrt2 = self.g.weight("const.sqrt2", np.array(np.sqrt(2.0), np.float32))
        self.split_heads = self.g.weight(
            "const.split_heads", np.array([0, 0, shape.heads, shape.head_size], np.int64)
        )
        self.merge_heads = self.g.weight(
            "const.merge_heads", np.array([0, 0, shape.hidden], np.int64)
        )

    def _param(self, name: str, *, scale: float = 1.0, transpose: bool = False) -> str:
        value = self.w[name].astype(np.float32) * np.float32(scale)
        return self.g.weight(name, value.T if transpose else value)

    def linear(self, x: str, prefix: str, *, scale: float = 1.0) -> str:
        # HF stores Linear weights as (out, in); MatMul wants (in, out).
        weight = self._param(f"{prefix}.weight", scale=scale, transpose=True)
        bias = self._param(f"{prefix}.bias", scale=scale)
        return self.g.op("Add", self.g.op("MatMul", x, weight), bias)

    def layer_norm(self, x: str, prefix: str) -> str:
        return self.g.op(
            "LayerNormalization",
            x,
            self._param(f"{prefix}.weight"),
            self._param(f"{prefix}.bias"),
            axis=-1,
            epsilon=self.shape.layer_norm_eps,
        )

    def embeddings(self, input_ids: str, token_type_ids: str) -> str:
        g = self.g
        # Position embeddings are the first `tokens` rows of the table: a Slice whose bounds stay
        # 1-D. (A Gather over Range(0, tokens) looks equivalent, but onnxruntime 1.32 rewrites it
        # into a Slice with 0-D bounds and then fails at run time.)
        first = g.weight("const.first", np.array([0], np.int64))
        tokens_end = g.op(
            "Slice",
            g.op("Shape", input_ids),
            g.weight("const.dim1_start", np.array([1], np.int64)),
            g.weight("const.dim1_end", np.array([2], np.int64)),
        )
        pos = g.op(
            "Slice", self._param("embeddings.position_embeddings.weight"), first, tokens_end, first
        )
        word = g.op("Gather", self._param("embeddings.word_embeddings.weight"), input_ids)
        kind = g.op(
            "Gather", self._param("embeddings.token_type_embeddings.weight"), token_type_ids
        )
        return self.layer_norm(g.op("Add", g.op("Add", word, pos), kind), "embeddings.LayerNorm")

    def attention_bias(self, mask: str) -> str:
        """(batch, 1, 1, tokens): 0 where a token is real, a huge negative where it is padding."""
        g = self.g
        padding = g.op("Sub", self.one, mask)
        bias = g.op("Mul", padding, g.weight("const.masked", np.array(_MASKED_SCORE, np.float32)))
        return g.op("Unsqueeze", bias, g.weight("const.axes12", np.array([1, 2], np.int64)))

    def self_attention(self, x: str, prefix: str, bias: str) -> str:
        g = self.g
        # Folding 1/sqrt(head_size) into the query projection saves a Mul over every
        # (tokens x tokens) score matrix at run time.
        scale = 1.0 / float(np.sqrt(self.shape.head_size))
        query = g.op(
            "Transpose",
            g.op("Reshape", self.linear(x, f"{prefix}.query", scale=scale), self.split_heads),
            perm=[0, 2, 1, 3],
        )
        # Keys go straight to (batch, heads, head_size, tokens): one Transpose instead of two.
        key = g.op(
            "Transpose",
            g.op("Reshape", self.linear(x, f"{prefix}.key"), self.split_heads),
            perm=[0, 2, 3, 1],
        )
        value = g.op(
            "Transpose",
            g.op("Reshape", self.linear(x, f"{prefix}.value"), self.split_heads),
            perm=[0, 2, 1, 3],
        )
        weights = g.op("Softmax", g.op("Add", g.op("MatMul", query, key), bias), axis=-1)
        context = g.op("Transpose", g.op("MatMul", weights, value), perm=[0, 2, 1, 3])
        return g.op("Reshape", context, self.merge_heads)

    def gelu(self, x: str) -> str:
        """Exact GELU, 0.5 * x * (1 + erf(x / sqrt 2)), as BERT was trained with."""
        g = self.g
        erf = g.op("Erf", g.op("Div", x, self.sqrt2))
        return g.op("Mul", g.op("Mul", x, self.half), g.op("Add", erf, self.one))

    def encoder_layer(self, x: str, index: int, bias: str) -> str:
        p = f"encoder.layer.{index}"
        attended = self.self_attention(x, f"{p}.attention.self", bias)
        x = self.layer_norm(
            self.g.op("Add", self.linear(attended, f"{p}.attention.output.dense"), x),
            f"{p}.attention.output.LayerNorm",
        )
        hidden = self.gelu(self.linear(x, f"{p}.intermediate.dense"))
        return self.layer_norm(
            self.g.op("Add", self.linear(hidden, f"{p}.output.dense"), x), f"{p}.output.LayerNorm"
        )

    def mean_pool_normalised(self, hidden: str, mask: str) -> str:
        g = self.g
        mask3 = g.op("Unsqueeze", mask, g.weight("const.axis2", np.array([2], np.int64)))
        tokens_axis = g.weight("const.axes1", np.array([1], np.int64))
        summed = g.op("ReduceSum", g.op("Mul", hidden, mask3), tokens_axis, keepdims=0)
        counted = g.op("ReduceSum", mask3, tokens_axis, keepdims=0)
        mean = g.op("Div", summed, counted)
        norm = g.op("ReduceL2", mean, axes=[-1], keepdims=1)
        floor = g.weight("const.norm_eps", np.array(_NORM_EPS, np.float32))
        return g.op("Div", mean, g.op("Max", norm, floor), output="sentence_embedding")

    def build(self) -> onnx.ModelProto:
        g = self.g
        mask = g.op("Cast", "attention_mask", to=TensorProto.FLOAT)
        bias = self.attention_bias(mask)
        x = self.embeddings("input_ids", "token_type_ids")
        for index in range(self.shape.layers):
            x = self.encoder_layer(x, index, bias)
        hidden = g.op("Identity", x, output="last_hidden_state")
        self.mean_pool_normalised(hidden, mask)

        def io(name: str, dtype: int, dims: list[str | int]) -> onnx.ValueInfoProto:
            return helper.make_tensor_value_info(name, dtype, dims)

        token_dims: list[str | int] = ["batch", "tokens"]
        graph = helper.make_graph(
            g.nodes,
            "bert_sentence_encoder",
            [
                io("input_ids", TensorProto.INT64, token_dims),
                io("attention_mask", TensorProto.INT64, token_dims),
                io("token_type_ids", TensorProto.INT64, token_dims),
            ],
            [
                io("last_hidden_state", TensorProto.FLOAT, ["batch", "tokens", self.shape.hidden]),
                io("sentence_embedding", TensorProto.FLOAT, ["batch", self.shape.hidden]),
            ],
            g.initializers,
        )
        model = helper.make_model(
            graph,
            opset_imports=[helper.make_opsetid("", OPSET)],
            producer_name="servicekit.embeddings",
        )
        # IR 8 is what onnxruntime releases from 1.14 on accept; Chroma pins no newer runtime.
        model.ir_version = 8
        onnx.checker.check_model(model)
        return model


def build_bert_encoder(model_dir: Path) -> onnx.ModelProto:
    """Return the ONNX sentence encoder for the BERT checkpoint in ``model_dir``.

    ``model_dir`` holds a Hugging Face ``config.json`` and ``model.safetensors``. The pooler head is
    left out: sentence-transformers never uses it.
    """
    shape = BertShape.from_config(model_dir / "config.json")
    weights = load_file(str(model_dir / "model.safetensors"))
    return _BertGraph(weights, shape).build()
