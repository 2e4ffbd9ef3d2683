"""Tiny ONNX models built in the test, with their tokenizers and manifests (no model hub).

The tiny NLI model is a real ONNX graph run by onnxruntime: word + position (+ segment) embedding
lookups, a masked mean, then a linear layer to 3 logits. ``TinyNli.reference`` computes the same
logits in numpy from the same weights, so tests can say exactly what the scorer must return.
The position table has ``positions`` rows: like a real transformer, the graph fails on longer
inputs, so only a scorer that truncates can run a long reasoning through it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper
from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors

from galileo_arena.ml.exemplars import EXEMPLARS, compute_exemplars, exemplar_set_id, save_exemplars
from galileo_arena.ml.manifest import EmbedModelInfo, Manifest, NliModelInfo, write_manifest
from galileo_arena.ml.model_dir import (
    EMBED_DIR,
    EXEMPLARS_FILE,
    MODEL_FILE,
    NLI_DIR,
    TOKENIZER_FILE,
    fingerprint,
)

SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]"]
WORDS = sorted(
    set(
        re.findall(
            r"[a-z0-9]+",
            " ".join(
                [
                    "rising co2 causes warming through the greenhouse effect however the data is "
                    "limited a new survey would verify it most experts agree i cannot answer "
                    "the evidence shows temperature rose by one degree since 1900 sea levels "
                    "rose too the claim is supported by measurements ice cores and satellites "
                    "the text relies on authority or expert consensus instead of weighing "
                    "evidence the author declines or says they cannot answer",
                    *(sentence.lower() for group in EXEMPLARS.values() for sentence in group),
                ]
            ),
        )
    )
)
HIDDEN = 8
LABELS_DEBERTA = {0: "contradiction", 1: "entailment", 2: "neutral"}


def write_word_tokenizer(path: Path, *, pad_id: int = 0) -> Tokenizer:
    """A WordLevel tokenizer: lower-cased words, ``[CLS] A [SEP] B [SEP]`` with segment ids."""
    vocab = {token: index for index, token in enumerate([*SPECIALS, *WORDS])}
    tokenizer = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    tokenizer.normalizer = normalizers.Lowercase()
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", vocab["[CLS]"]), ("[SEP]", vocab["[SEP]"])],
    )
    # Exported tokenizer files often pad to a fixed length; the runtime must undo that.
    tokenizer.enable_padding(pad_id=pad_id, pad_token="[PAD]", length=48)
    tokenizer.save(str(path))
    return tokenizer


def vocab_size() -> int:
    return len(SPECIALS) + len(WORDS)


def _masked_mean_nodes(hidden: str, output: str) -> list[onnx.NodeProto]:
    return [
        helper.make_node("Cast", ["attention_mask"], ["mask_f"], to=TensorProto.FLOAT),
        helper.make_node("Unsqueeze", ["mask_f", "axis2"], ["mask3"]),
        helper.make_node("Mul", [hidden, "mask3"], ["masked"]),
        helper.make_node("ReduceSum", ["masked", "axis1"], ["summed"], keepdims=0),
        helper.make_node("ReduceSum", ["mask3", "axis1"], ["counted"], keepdims=0),
        helper.make_node("Div", ["summed", "counted"], [output]),
    ]


def _axes() -> list[onnx.TensorProto]:
    return [
        numpy_helper.from_array(np.array([2], np.int64), "axis2"),
        numpy_helper.from_array(np.array([1], np.int64), "axis1"),
    ]


def _save(graph: onnx.GraphProto, path: Path) -> None:
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, str(path))


@dataclass
class TinyNli:
    """Weights of the tiny NLI graph and the numpy computation of its logits."""

    words: np.ndarray
    positions: np.ndarray
    segments: np.ndarray | None
    weight: np.ndarray
    bias: np.ndarray
    tokenizer: Tokenizer

    def logits(self, premise: str, hypothesis: str, *, max_tokens: int | None = None) -> np.ndarray:
        tokenizer = Tokenizer.from_str(self.tokenizer.to_str())
        tokenizer.no_padding()
        if max_tokens is not None:
            tokenizer.enable_truncation(max_tokens, strategy="longest_first")
        encoding = tokenizer.encode(premise, hypothesis)
        ids = np.array(encoding.ids)
        hidden = self.words[ids] + self.positions[np.arange(len(ids))]
        if self.segments is not None:
            hidden = hidden + self.segments[np.array(encoding.type_ids)]
        return hidden.mean(axis=0) @ self.weight + self.bias

    def entailment(
        self, premise: str, hypothesis: str, *, index: int, max_tokens: int | None = None
    ) -> float:
        logits = self.logits(premise, hypothesis, max_tokens=max_tokens).astype(np.float64)
        probabilities = np.exp(logits - logits.max())
        return float(probabilities[index] / probabilities.sum())


def build_tiny_nli(
    directory: Path,
    *,
    token_type_ids: bool = False,
    positions: int = 512,
    labels: int = 3,
    seed: int = 7,
) -> TinyNli:
    directory.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    words = rng.normal(size=(vocab_size(), HIDDEN)).astype(np.float32)
    position_table = (0.1 * rng.normal(size=(positions, HIDDEN))).astype(np.float32)
    segments = rng.normal(size=(2, HIDDEN)).astype(np.float32) if token_type_ids else None
    weight = (3.0 * rng.normal(size=(HIDDEN, labels))).astype(np.float32)
    bias = rng.normal(size=labels).astype(np.float32)

    initializers = [
        numpy_helper.from_array(words, "word_table"),
        numpy_helper.from_array(position_table, "position_table"),
        numpy_helper.from_array(weight, "weight"),
        numpy_helper.from_array(bias, "bias"),
        numpy_helper.from_array(np.array([1], np.int64), "one"),
        numpy_helper.from_array(np.array(1, np.int64), "axis_scalar"),
        *_axes(),
    ]
    nodes = [
        helper.make_node("Gather", ["word_table", "input_ids"], ["word_vectors"]),
        # Position ids 0..len-1 from the mask; a Gather fails beyond the table, as in BERT.
        helper.make_node("CumSum", ["attention_mask", "axis_scalar"], ["counted_positions"]),
        helper.make_node("Sub", ["counted_positions", "one"], ["position_ids"]),
        helper.make_node("Gather", ["position_table", "position_ids"], ["position_vectors"]),
        helper.make_node("Add", ["word_vectors", "position_vectors"], ["token_vectors"]),
    ]
    inputs = [
        helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "tokens"]),
        helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "tokens"]),
    ]
    hidden = "token_vectors"
    if segments is not None:
        initializers.append(numpy_helper.from_array(segments, "segment_table"))
        inputs.append(
            helper.make_tensor_value_info("token_type_ids", TensorProto.INT64, ["batch", "tokens"])
        )
        nodes += [
            helper.make_node("Gather", ["segment_table", "token_type_ids"], ["segment_vectors"]),
            helper.make_node("Add", ["token_vectors", "segment_vectors"], ["typed_vectors"]),
        ]
        hidden = "typed_vectors"
    nodes += _masked_mean_nodes(hidden, "pooled")
    nodes += [
        helper.make_node("MatMul", ["pooled", "weight"], ["projected"]),
        helper.make_node("Add", ["projected", "bias"], ["logits"]),
    ]
    graph = helper.make_graph(
        nodes,
        "tiny_nli",
        inputs,
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", labels])],
        initializers,
    )
    _save(graph, directory / MODEL_FILE)
    tokenizer = write_word_tokenizer(directory / TOKENIZER_FILE)
    return TinyNli(words, position_table, segments, weight, bias, tokenizer)


def nli_info(directory: Path, *, label_map: dict[int, str] = LABELS_DEBERTA) -> NliModelInfo:
    inputs = [node.name for node in onnx.load(str(directory / MODEL_FILE)).graph.input]
    return NliModelInfo(
        hf_id="test/tiny-nli",
        sha256=fingerprint(directory / MODEL_FILE),
        quantized="none",
        label_map=label_map,
        input_names=tuple(inputs),
    )


@dataclass
class TinyEmbed:
    """A token-state graph whose CLS state depends on the whole input, with its numpy twin."""

    words: np.ndarray
    tokenizer: Tokenizer

    def token_states(self, text: str) -> np.ndarray:
        tokenizer = Tokenizer.from_str(self.tokenizer.to_str())
        tokenizer.no_padding()
        ids = np.array(tokenizer.encode(text).ids)
        vectors = self.words[ids]
        # Every token's state is its word vector plus the sentence's mean word vector.
        return vectors + vectors.mean(axis=0)

    def sentence(self, text: str, pooling: str) -> np.ndarray:
        states = self.token_states(text)
        vector = states[0] if pooling == "cls" else states.mean(axis=0)
        return vector / np.linalg.norm(vector)


def build_tiny_embed(directory: Path, *, seed: int = 11) -> TinyEmbed:
    """A graph outputting ``last_hidden_state`` (batch, tokens, HIDDEN), for cls/mean pooling."""
    directory.mkdir(parents=True, exist_ok=True)
    words = np.random.default_rng(seed).normal(size=(vocab_size(), HIDDEN)).astype(np.float32)
    nodes = [
        helper.make_node("Gather", ["word_table", "input_ids"], ["word_vectors"]),
        *_masked_mean_nodes("word_vectors", "sentence_mean"),
        helper.make_node("Unsqueeze", ["sentence_mean", "axis1"], ["sentence_mean3"]),
        helper.make_node("Add", ["word_vectors", "sentence_mean3"], ["last_hidden_state"]),
    ]
    graph = helper.make_graph(
        nodes,
        "tiny_embed",
        [
            helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "tokens"]),
            helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "tokens"]),
        ],
        [
            helper.make_tensor_value_info(
                "last_hidden_state", TensorProto.FLOAT, ["batch", "tokens", HIDDEN]
            )
        ],
        [numpy_helper.from_array(words, "word_table"), *_axes()],
    )
    _save(graph, directory / MODEL_FILE)
    tokenizer = write_word_tokenizer(directory / TOKENIZER_FILE)
    return TinyEmbed(words, tokenizer)


def embed_info(directory: Path, *, pooling: str = "cls") -> EmbedModelInfo:
    return EmbedModelInfo(
        hf_id="test/tiny-embed",
        sha256=fingerprint(directory / MODEL_FILE),
        quantized="none",
        pooling=pooling,  # type: ignore[arg-type]
        max_tokens=128,
        input_names=("input_ids", "attention_mask"),
        output_name="last_hidden_state",
        exemplar_set=exemplar_set_id(),
    )


@dataclass
class TinyModels:
    directory: Path
    nli: TinyNli | None
    embed: TinyEmbed | None
    entailment_index: int


@pytest.fixture
def tiny_models(tmp_path: Path) -> Callable[..., TinyModels]:
    """Build a models directory with the tiny halves asked for, and its manifest."""

    def build(
        *,
        nli: bool = True,
        embed: bool = False,
        token_type_ids: bool = False,
        positions: int = 512,
        label_map: dict[int, str] = LABELS_DEBERTA,
        pooling: str = "cls",
    ) -> TinyModels:
        directory = tmp_path / "models"
        tiny_nli = tiny_embed = None
        nli_entry = embed_entry = None
        if nli:
            tiny_nli = build_tiny_nli(
                directory / NLI_DIR, token_type_ids=token_type_ids, positions=positions
            )
            nli_entry = nli_info(directory / NLI_DIR, label_map=label_map)
        if embed:
            tiny_embed = build_tiny_embed(directory / EMBED_DIR)
            embed_entry = embed_info(directory / EMBED_DIR, pooling=pooling)
            save_exemplars(
                directory / EMBED_DIR / EXEMPLARS_FILE,
                compute_exemplars(
                    lambda texts: np.stack([tiny_embed.sentence(t, pooling) for t in texts])
                ),
            )
        write_manifest(directory, Manifest(nli=nli_entry, embed=embed_entry))
        index = next(i for i, name in label_map.items() if name.lower() == "entailment")
        return TinyModels(directory, tiny_nli, tiny_embed, index)

    return build


@pytest.fixture
def tiny_model_builders() -> SimpleNamespace:
    """The builders: ``nli(directory, ...) -> TinyNli`` and ``embed(directory) -> TinyEmbed``."""
    return SimpleNamespace(nli=build_tiny_nli, embed=build_tiny_embed)
