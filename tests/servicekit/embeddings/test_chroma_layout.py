"""The directory handed to Chroma's ONNXMiniLM_L6_V2 as DOWNLOAD_PATH, checked with onnxruntime."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest
from tokenizers import Tokenizer

from servicekit.embeddings import LocalOnnxEmbedder, prepare_chroma_model_dir

# The files ONNXMiniLM_L6_V2._download_model_if_not_exists requires before it skips a download.
CHROMA_FILES = {
    "config.json",
    "model.onnx",
    "special_tokens_map.json",
    "tokenizer_config.json",
    "tokenizer.json",
    "vocab.txt",
}
SENTENCES = ["A man is playing a guitar.", "The stock market fell sharply on Tuesday.", "ok"]


@pytest.fixture
def chroma_dir(tmp_path: Path, local_text_embedder: LocalOnnxEmbedder) -> Path:
    return prepare_chroma_model_dir(
        tmp_path / "chroma", model_dir=local_text_embedder.files.directory
    )


def test_layout_has_every_file_chroma_checks(chroma_dir: Path) -> None:
    assert {p.name for p in (chroma_dir / "onnx").iterdir()} == CHROMA_FILES


def test_model_is_linked_not_copied_on_the_same_filesystem(
    chroma_dir: Path, local_text_embedder: LocalOnnxEmbedder
) -> None:
    assert (chroma_dir / "onnx" / "model.onnx").samefile(local_text_embedder.files.onnx_path)


def test_preparing_again_keeps_the_files(
    chroma_dir: Path, local_text_embedder: LocalOnnxEmbedder
) -> None:
    before = {p.name: p.stat().st_ino for p in (chroma_dir / "onnx").iterdir()}
    again = prepare_chroma_model_dir(chroma_dir, model_dir=local_text_embedder.files.directory)
    assert {p.name: p.stat().st_ino for p in (again / "onnx").iterdir()} == before


def test_a_stale_file_is_replaced(chroma_dir: Path, local_text_embedder: LocalOnnxEmbedder) -> None:
    (chroma_dir / "onnx" / "vocab.txt").unlink()
    (chroma_dir / "onnx" / "vocab.txt").write_text("stale")
    prepare_chroma_model_dir(chroma_dir, model_dir=local_text_embedder.files.directory)
    assert (chroma_dir / "onnx" / "vocab.txt").read_bytes() == (
        local_text_embedder.files.directory / "vocab.txt"
    ).read_bytes()


def test_chroma_style_inference_matches_the_kit_encoder(
    chroma_dir: Path, local_text_embedder: LocalOnnxEmbedder
) -> None:
    # What ONNXMiniLM_L6_V2 does: pad to 256, run, take output 0, mean-pool, normalise.
    tokenizer = Tokenizer.from_file(str(chroma_dir / "onnx" / "tokenizer.json"))
    tokenizer.enable_truncation(max_length=256)
    tokenizer.enable_padding(pad_id=0, pad_token="[PAD]", length=256)
    encoded = tokenizer.encode_batch(SENTENCES)
    input_ids = np.array([e.ids for e in encoded], dtype=np.int64)
    mask = np.array([e.attention_mask for e in encoded], dtype=np.int64)
    session = ort.InferenceSession(
        str(chroma_dir / "onnx" / "model.onnx"), providers=["CPUExecutionProvider"]
    )
    outputs = session.run(
        None,
        {
            "input_ids": input_ids,
            "attention_mask": mask,
            "token_type_ids": np.zeros_like(input_ids),
        },
    )
    hidden = outputs[0]
    assert hidden.shape == (len(SENTENCES), 256, 384)
    pooled = (hidden * mask[..., None]).sum(axis=1) / mask.sum(axis=1, keepdims=True)
    pooled /= np.linalg.norm(pooled, axis=1, keepdims=True)
    np.testing.assert_allclose(pooled, local_text_embedder.embed_sync(SENTENCES), atol=1e-5)
