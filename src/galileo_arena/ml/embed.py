"""The sentence encoder: unit-length text embeddings, pooled as the manifest says."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import onnxruntime as ort
from numpy.typing import NDArray
from tokenizers import Tokenizer

from galileo_arena.ml.batching import length_batches
from galileo_arena.ml.manifest import EmbedModelInfo, Pooling
from galileo_arena.ml.onnx_graph import open_text_graph, ordered_inputs, padded_feed

FloatArray = NDArray[np.float32]
# torch.nn.functional.normalize's epsilon: an all-zero vector stays zero instead of NaN.
_NORM_EPS = 1e-12


def normalise_rows(vectors: FloatArray) -> FloatArray:
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return (vectors / np.maximum(norms, _NORM_EPS)).astype(np.float32)


def pool(output: FloatArray, attention_mask: NDArray[np.int64], pooling: Pooling) -> FloatArray:
    """Sentence vectors from the graph's output, L2-normalised.

    ``cls`` and ``mean`` read token states ``(batch, tokens, hidden)``; ``pooled`` reads sentence
    vectors ``(batch, hidden)`` and only re-normalises them (a no-op for unit vectors).
    """
    if pooling == "pooled":
        return normalise_rows(output)
    if pooling == "cls":
        return normalise_rows(output[:, 0, :])
    mask = attention_mask[:, :, None].astype(np.float32)
    summed = (output * mask).sum(axis=1)
    return normalise_rows(summed / np.maximum(mask.sum(axis=1), 1.0))


class EmbedModel:
    """Embeds texts truncated to the manifest's ``max_tokens``."""

    def __init__(
        self,
        session: ort.InferenceSession,
        tokenizer: Tokenizer,
        info: EmbedModelInfo,
        *,
        pad_id: int,
        inputs: frozenset[str],
    ) -> None:
        self.session = session
        self.info = info
        self._tokenizer = tokenizer
        self._pad_id = pad_id
        self._inputs = inputs

    @property
    def input_names(self) -> tuple[str, ...]:
        """The inputs the graph takes (and is fed)."""
        return ordered_inputs(self._inputs)

    @classmethod
    def load(cls, directory: Path, info: EmbedModelInfo, *, intra_threads: int) -> EmbedModel:
        graph = open_text_graph(
            directory,
            output_name=info.output_name,
            intra_threads=intra_threads,
            max_tokens=info.max_tokens,
        )
        return cls(graph.session, graph.tokenizer, info, pad_id=graph.pad_id, inputs=graph.inputs)

    def embed(self, texts: Sequence[str]) -> FloatArray:
        """``(len(texts), dimension)`` float32 unit rows, in the caller's order."""
        if not texts:
            raise ValueError("embed needs at least one text")
        # One by one: encode_batch would spread the work over a thread per core (as fast here).
        encodings = [self._tokenizer.encode(text) for text in texts]
        rows: dict[int, FloatArray] = {}
        for batch in length_batches([len(e.ids) for e in encodings]):
            feed = padded_feed(
                [encodings[i] for i in batch], pad_id=self._pad_id, inputs=self._inputs
            )
            (output,) = self.session.run([self.info.output_name], feed)
            pooled = pool(np.asarray(output, np.float32), feed["attention_mask"], self.info.pooling)
            rows.update(zip(batch, pooled, strict=True))
        return np.stack([rows[i] for i in range(len(texts))])
