"""The in-process sentence encoder: all-MiniLM-L6-v2 on onnxruntime, no torch, no network."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import onnxruntime as ort
from tokenizers import Encoding, Tokenizer

from servicekit.embeddings.base import Embedder, Vectors
from servicekit.embeddings.local_model import (
    DIMENSION,
    MAX_TOKENS,
    MODEL_NAME,
    LocalModelFiles,
    Precision,
    default_model_dir,
    ensure_local_model,
    ensure_quantized_model,
)

# Measured on 2 cores with ~170-token texts: 8-16 fastest; from ~64 on, slower (the attention
# matrices leave the cache), 128 half as fast.
DEFAULT_BATCH_SIZE = 16
# onnxruntime fuses each residual Add into the LayerNorm after it (SkipLayerNormalization); in the
# INT8 graph that fused kernel took 16 % of the time, and the encoder ran 12 % faster (CPU time,
# batches of 16 x 200 tokens, onnxruntime 1.32) without it. The fp32 graph never gets that fusion.
_DISABLED_OPTIMIZERS = {Precision.fp32: [], Precision.int8: ["SkipLayerNormFusion"]}


class LocalOnnxEmbedder(Embedder):
    """Mean-pooled, L2-normalised all-MiniLM-L6-v2 embeddings (384 dimensions).

    Texts longer than 256 tokens are truncated, as sentence-transformers does. ``precision``
    ``int8`` runs the quantized copy of the model (see :class:`Precision`); the vectors stay
    float32, unit length and comparable with ``fp32`` ones, so ``model_name`` is the same. Prefer
    :func:`local_embedder`, which shares one instance (one ONNX session, ~100 MB) per process.
    Create it after a fork, not before: onnxruntime's thread pools do not survive ``fork()``
    (Celery's prefork workers should build it inside the task process).
    """

    model_name = MODEL_NAME
    dimension = DIMENSION

    def __init__(
        self,
        model_dir: Path | None = None,
        *,
        threads: int = 0,
        batch_size: int = DEFAULT_BATCH_SIZE,
        precision: Precision | str = Precision.fp32,
    ) -> None:
        """Load (building once if needed) the model in ``model_dir``.

        ``threads`` is onnxruntime's ``intra_op_num_threads``: 0 lets it use every physical
        core, 1 suits a process that already runs one worker per core.
        """
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        self.precision = Precision(precision)
        self.files: LocalModelFiles = (
            ensure_quantized_model(model_dir)
            if self.precision is Precision.int8
            else ensure_local_model(model_dir)
        )
        #: The ONNX file this encoder runs.
        self.graph_path = self.files.graph_path(self.precision)
        self.batch_size = batch_size
        self._tokenizer = Tokenizer.from_file(str(self.files.tokenizer_path))
        self._tokenizer.enable_truncation(MAX_TOKENS)
        # The shipped tokenizer.json pads everything to 128; padding is done per batch below.
        self._tokenizer.no_padding()
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        # Idle onnxruntime threads spin by default, burning the cores the web workers, database
        # and Celery share with this session; without spinning it was as fast or faster here
        # (2 cores), and much faster whenever another process was busy.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self._session = ort.InferenceSession(
            str(self.graph_path),
            sess_options=options,
            providers=["CPUExecutionProvider"],
            disabled_optimizers=_DISABLED_OPTIMIZERS[self.precision],
        )

    async def embed(self, texts: Sequence[str]) -> Vectors:
        if not texts:
            return self.empty()
        return await asyncio.to_thread(self.embed_sync, texts)

    def embed_sync(self, texts: Sequence[str]) -> Vectors:
        if not texts:
            return self.empty()
        encodings = self._tokenizer.encode_batch(list(texts))
        lengths = np.array([len(e.ids) for e in encodings])
        # Batching texts of similar length keeps padding, which costs as much as real tokens,
        # to a minimum; results are written back in the caller's order.
        order = np.argsort(lengths, kind="stable")
        result = np.empty((len(encodings), self.dimension), dtype=np.float32)
        for start in range(0, len(order), self.batch_size):
            rows = order[start : start + self.batch_size]
            result[rows] = self._run([encodings[i] for i in rows])
        return result

    def _run(self, batch: list[Encoding]) -> Vectors:
        width = max(len(e.ids) for e in batch)
        input_ids = np.zeros((len(batch), width), dtype=np.int64)
        attention_mask = np.zeros_like(input_ids)
        for row, encoding in enumerate(batch):
            input_ids[row, : len(encoding.ids)] = encoding.ids
            attention_mask[row, : len(encoding.ids)] = 1
        (embeddings,) = self._session.run(
            ["sentence_embedding"],
            {
                "input_ids": input_ids,
                "attention_mask": attention_mask,
                "token_type_ids": np.zeros_like(input_ids),
            },
        )
        return embeddings


_shared: dict[tuple[Path, int, Precision], LocalOnnxEmbedder] = {}
_shared_lock = threading.Lock()


def local_embedder(
    *,
    threads: int = 0,
    model_dir: Path | None = None,
    precision: Precision | str = Precision.fp32,
) -> LocalOnnxEmbedder:
    """The process-wide encoder for ``model_dir`` (default under ``suite_home()``), ``threads``
    and ``precision``.

    Every service mounted in one process, and every request, shares the same ONNX session.
    """
    key = ((model_dir or default_model_dir()).resolve(), threads, Precision(precision))
    with _shared_lock:
        if key not in _shared:
            _shared[key] = LocalOnnxEmbedder(key[0], threads=threads, precision=key[2])
        return _shared[key]
