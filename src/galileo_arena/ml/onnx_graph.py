"""Opening a transformer ONNX graph on the CPU and feeding it a padded batch of tokenised text."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnxruntime as ort
from numpy.typing import NDArray
from tokenizers import Encoding, Tokenizer

from galileo_arena.ml.errors import MLModelsInvalid
from galileo_arena.ml.manifest import KNOWN_INPUTS, REQUIRED_INPUTS
from galileo_arena.ml.model_dir import MODEL_FILE, TOKENIZER_FILE

Int64Array = NDArray[np.int64]
_FEED_ORDER = ("input_ids", "attention_mask", "token_type_ids")


@dataclass(frozen=True)
class TextGraph:
    """One model directory's session and tokenizer, checked to fit each other and the manifest."""

    session: ort.InferenceSession
    tokenizer: Tokenizer
    pad_id: int
    inputs: frozenset[str]


def open_text_graph(
    directory: Path, *, output_name: str, intra_threads: int, max_tokens: int
) -> TextGraph:
    """Open ``model.onnx`` and ``tokenizer.json`` of ``directory``; the graph must output
    ``output_name`` and take only inputs the runtime can feed."""
    model_path = directory / MODEL_FILE
    session = open_session(model_path, intra_threads=intra_threads)
    inputs = graph_inputs(session, model_path)
    outputs = graph_outputs(session)
    if output_name not in outputs:
        raise MLModelsInvalid(
            f"{model_path} has no output {output_name!r} (it has {list(outputs)})"
        )
    tokenizer, pad_id = load_tokenizer(directory / TOKENIZER_FILE, max_tokens=max_tokens)
    return TextGraph(session=session, tokenizer=tokenizer, pad_id=pad_id, inputs=inputs)


def open_session(path: Path, *, intra_threads: int) -> ort.InferenceSession:
    """A CPU session using ``intra_threads`` threads per run and no inter-op parallelism.

    ``ML_MAX_WORKERS`` runs may be in flight at once, so the process uses at most
    ``ML_MAX_WORKERS * ONNX_INTRA_THREADS`` cores for scoring, as the guide promises.
    """
    options = ort.SessionOptions()
    options.intra_op_num_threads = intra_threads
    options.inter_op_num_threads = 1
    # Idle onnxruntime threads spin by default, burning the cores the web workers and the
    # database share with scoring; scoring runs in short bursts between long debates.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    try:
        return ort.InferenceSession(
            str(path), sess_options=options, providers=["CPUExecutionProvider"]
        )
    except Exception as exc:  # onnxruntime raises its own, unexported exception types
        raise MLModelsInvalid(f"onnxruntime cannot load {path}: {exc}") from exc


def graph_inputs(session: ort.InferenceSession, path: Path) -> frozenset[str]:
    """The graph's input names, checked against what the runtime can feed."""
    names = frozenset(node.name for node in session.get_inputs())
    if not REQUIRED_INPUTS <= names <= KNOWN_INPUTS:
        raise MLModelsInvalid(
            f"{path} takes inputs {sorted(names)}; the runtime feeds {sorted(KNOWN_INPUTS)} "
            f"and needs {sorted(REQUIRED_INPUTS)}"
        )
    return names


def ordered_inputs(inputs: frozenset[str]) -> tuple[str, ...]:
    """Input names in the conventional order, as the manifest lists them."""
    return tuple(name for name in _FEED_ORDER if name in inputs)


def graph_outputs(session: ort.InferenceSession) -> tuple[str, ...]:
    return tuple(node.name for node in session.get_outputs())


def load_tokenizer(path: Path, *, max_tokens: int) -> tuple[Tokenizer, int]:
    """The tokenizer truncating to ``max_tokens``, with padding left to ``padded_feed``.

    Returns it with its padding id (0 when the file configures none). Exported tokenizer files
    often pad every input to a fixed length, which would make every run pay for the longest input.
    """
    try:
        tokenizer = Tokenizer.from_file(str(path))
    except Exception as exc:  # tokenizers raises a bare Exception for unreadable files
        raise MLModelsInvalid(f"cannot load tokenizer {path}: {exc}") from exc
    padding = tokenizer.padding
    pad_id = int(padding["pad_id"]) if padding else 0
    tokenizer.no_padding()
    # For a premise/hypothesis pair, the longer side loses tokens first, so a long reasoning
    # cannot push a short hypothesis out of the window.
    tokenizer.enable_truncation(max_tokens, strategy="longest_first")
    return tokenizer, pad_id


def padded_feed(
    encodings: Sequence[Encoding], *, pad_id: int, inputs: frozenset[str]
) -> dict[str, Int64Array]:
    """``input_ids`` and ``attention_mask`` (and ``token_type_ids`` when the graph takes them).

    Token type ids are the tokenizer's: zeros for one text, and the segment ids of a pair for
    tokenizers whose post-processor assigns them (BERT-style cross-encoders were trained with
    those); a graph without the input never receives it.
    """
    width = max(len(encoding.ids) for encoding in encodings)
    input_ids = np.full((len(encodings), width), pad_id, dtype=np.int64)
    attention_mask = np.zeros((len(encodings), width), dtype=np.int64)
    token_type_ids = np.zeros((len(encodings), width), dtype=np.int64)
    for row, encoding in enumerate(encodings):
        length = len(encoding.ids)
        input_ids[row, :length] = encoding.ids
        attention_mask[row, :length] = 1
        token_type_ids[row, :length] = encoding.type_ids
    feed = {"input_ids": input_ids, "attention_mask": attention_mask}
    if "token_type_ids" in inputs:
        feed["token_type_ids"] = token_type_ids
    return feed
