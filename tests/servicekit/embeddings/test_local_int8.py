"""The opt-in INT8 copy of the local encoder: quantized once, comparable with fp32 vectors."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from pydantic import ValidationError

from servicekit.embeddings import (
    EmbeddingSettings,
    LocalOnnxEmbedder,
    Precision,
    create_embedder,
    embedder_from_settings,
    ensure_local_model,
    ensure_quantized_model,
    local_embedder,
)
from servicekit.embeddings.local_model import INT8_FILE, ONNX_FILE

GUITAR = "A man is playing a guitar."
ACOUSTIC = "Someone is playing an acoustic guitar on stage."
MARKET = "The stock market fell sharply on Tuesday."
TEXTS = [
    GUITAR,
    ACOUSTIC,
    MARKET,
    "Quantum chromodynamics describes the strong interaction between quarks and gluons.",
    "Refunds are issued within fourteen days of the returned item reaching the warehouse.",
    "ok",
]


@pytest.fixture(scope="module")
def int8_embedder(local_text_embedder: LocalOnnxEmbedder) -> LocalOnnxEmbedder:
    return local_embedder(precision=Precision.int8)


def test_fp32_stays_the_default(local_text_embedder: LocalOnnxEmbedder) -> None:
    assert local_text_embedder.precision is Precision.fp32
    assert EmbeddingSettings(_env_file=None).embedding_precision is Precision.fp32
    assert local_text_embedder.graph_path.name == ONNX_FILE


def test_int8_runs_the_quantized_graph(int8_embedder: LocalOnnxEmbedder) -> None:
    assert int8_embedder.precision is Precision.int8
    assert int8_embedder.graph_path.name == INT8_FILE
    # The same model for the index's bookkeeping: its vectors sit next to fp32 ones.
    assert int8_embedder.model_name == "all-MiniLM-L6-v2"
    assert int8_embedder.dimension == 384


def test_int8_vectors_are_unit_float32_close_to_fp32(
    int8_embedder: LocalOnnxEmbedder, local_text_embedder: LocalOnnxEmbedder
) -> None:
    quantized = int8_embedder.embed_sync(TEXTS)
    exact = local_text_embedder.embed_sync(TEXTS)
    assert quantized.dtype == np.float32
    assert quantized.shape == (len(TEXTS), 384)
    np.testing.assert_allclose(np.linalg.norm(quantized, axis=1), 1.0, atol=1e-5)
    cosines = (quantized * exact).sum(axis=1)
    # Sentences stay within ~0.01 of their fp32 vector; a two-letter text moves the most.
    assert cosines.mean() > 0.985 and cosines.min() > 0.95, cosines
    # Not the fp32 graph under another name.
    assert not np.allclose(quantized, exact, atol=1e-4)


def test_precision_is_part_of_the_shared_instance_key(
    int8_embedder: LocalOnnxEmbedder, local_text_embedder: LocalOnnxEmbedder
) -> None:
    assert local_embedder(precision="int8") is int8_embedder
    assert int8_embedder is not local_text_embedder
    assert local_embedder() is local_text_embedder


def test_factory_and_settings_choose_int8(
    monkeypatch: pytest.MonkeyPatch, int8_embedder: LocalOnnxEmbedder
) -> None:
    assert create_embedder("local", precision="int8") is int8_embedder
    monkeypatch.setenv("EMBEDDING_PRECISION", "int8")
    assert embedder_from_settings(EmbeddingSettings(_env_file=None)) is int8_embedder


def test_unknown_precision_is_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValueError, match="fp16"):
        local_embedder(precision="fp16")
    monkeypatch.setenv("EMBEDDING_PRECISION", "fp16")
    with pytest.raises(ValidationError, match="embedding_precision"):
        EmbeddingSettings(_env_file=None)


@pytest.fixture
def built_copy(tmp_path: Path, local_text_embedder: LocalOnnxEmbedder) -> Path:
    """A finished fp32 build (graph hard-linked) without its INT8 copy."""
    source = local_text_embedder.files.directory
    target = tmp_path / "model"
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("*.onnx", ".*"))
    os.link(source / ONNX_FILE, target / ONNX_FILE)
    return target


def test_quantized_once_then_reused(built_copy: Path) -> None:
    quantized = built_copy / INT8_FILE
    assert not quantized.exists()
    ensure_quantized_model(built_copy)
    first = quantized.stat()
    # The layers' matrices are stored as int8 (the 47 MB word table stays float).
    assert first.st_size < (built_copy / ONNX_FILE).stat().st_size * 0.7
    ensure_quantized_model(built_copy)
    assert quantized.stat().st_mtime_ns == first.st_mtime_ns
    assert not list(built_copy.glob("*.tmp"))


def test_rebuilding_the_float_graph_drops_the_stale_int8_copy(built_copy: Path) -> None:
    ensure_quantized_model(built_copy)
    (built_copy / "build.json").unlink()  # as after a graph version change
    assert ensure_local_model(built_copy).built
    assert not (built_copy / INT8_FILE).exists()
    encoder = LocalOnnxEmbedder(built_copy, precision=Precision.int8)
    assert (built_copy / INT8_FILE).is_file()
    assert encoder.embed_sync([GUITAR]).shape == (1, 384)
