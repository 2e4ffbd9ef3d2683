"""The NLI cross-encoder: entailment probabilities for premise/hypothesis pairs."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import onnxruntime as ort
from numpy.typing import NDArray
from tokenizers import Tokenizer

from galileo_arena.ml.batching import length_batches
from galileo_arena.ml.errors import MLModelsInvalid
from galileo_arena.ml.manifest import NliModelInfo
from galileo_arena.ml.onnx_graph import open_text_graph, ordered_inputs, padded_feed

FloatArray = NDArray[np.float32]
#: ``ML_NLI_MAX_TOKENS``'s allowed range: DeBERTa-v3 was trained on 512 positions.
MIN_NLI_TOKENS = 64
MAX_NLI_TOKENS = 512


def softmax(logits: FloatArray) -> FloatArray:
    """Row-wise softmax, shifted by the row maximum so large logits cannot overflow."""
    shifted = logits - logits.max(axis=-1, keepdims=True)
    exponentials = np.exp(shifted)
    return exponentials / exponentials.sum(axis=-1, keepdims=True)


class NliModel:
    """Runs a cross-encoder whose logit columns are named by the manifest's label map."""

    def __init__(
        self,
        session: ort.InferenceSession,
        tokenizer: Tokenizer,
        info: NliModelInfo,
        *,
        pad_id: int,
        inputs: frozenset[str],
    ) -> None:
        self.session = session
        self.info = info
        self.entailment_index = info.entailment_index
        self._tokenizer = tokenizer
        self._pad_id = pad_id
        self._inputs = inputs

    @property
    def input_names(self) -> tuple[str, ...]:
        """The inputs the graph takes (and is fed)."""
        return ordered_inputs(self._inputs)

    @classmethod
    def load(
        cls, directory: Path, info: NliModelInfo, *, intra_threads: int, max_tokens: int
    ) -> NliModel:
        if not MIN_NLI_TOKENS <= max_tokens <= MAX_NLI_TOKENS:
            raise ValueError(
                f"ML_NLI_MAX_TOKENS must be within {MIN_NLI_TOKENS}..{MAX_NLI_TOKENS}, "
                f"got {max_tokens}"
            )
        graph = open_text_graph(
            directory,
            output_name=info.output_name,
            intra_threads=intra_threads,
            max_tokens=max_tokens,
        )
        model = cls(graph.session, graph.tokenizer, info, pad_id=graph.pad_id, inputs=graph.inputs)
        model._check_label_count()
        return model

    def entailment(self, pairs: Sequence[tuple[str, str]]) -> FloatArray:
        """P(entailment) for each ``(premise, hypothesis)``, in the caller's order."""
        return self.probabilities(pairs)[:, self.entailment_index]

    def probabilities(self, pairs: Sequence[tuple[str, str]]) -> FloatArray:
        """The softmax over all labels, one row per pair, columns as in the label map."""
        result = np.empty((len(pairs), len(self.info.label_map)), dtype=np.float32)
        if not pairs:
            return result
        # One by one: encode_batch would spread the work over a thread per core (as fast here).
        encodings = [self._tokenizer.encode(premise, hypothesis) for premise, hypothesis in pairs]
        for batch in length_batches([len(e.ids) for e in encodings]):
            feed = padded_feed(
                [encodings[i] for i in batch], pad_id=self._pad_id, inputs=self._inputs
            )
            (logits,) = self.session.run([self.info.output_name], feed)
            result[batch] = softmax(np.asarray(logits, dtype=np.float32))
        return result

    def _check_label_count(self) -> None:
        """One short run, at load rather than on the first request: its width must match."""
        (logits,) = self.session.run(
            [self.info.output_name],
            padded_feed(
                [self._tokenizer.encode("A cat sleeps.", "An animal rests.")],
                pad_id=self._pad_id,
                inputs=self._inputs,
            ),
        )
        if np.shape(logits)[-1] != len(self.info.label_map):
            raise MLModelsInvalid(
                f"the NLI model outputs {np.shape(logits)[-1]} logits but the manifest's label "
                f"map names {len(self.info.label_map)}: {self.info.label_map}"
            )
