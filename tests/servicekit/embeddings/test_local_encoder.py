"""The local all-MiniLM-L6-v2 encoder, run for real on onnxruntime."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from servicekit.embeddings import LocalOnnxEmbedder, local_embedder

GUITAR = "A man is playing a guitar."
ACOUSTIC = "Someone is playing an acoustic guitar on stage."
MARKET = "The stock market fell sharply on Tuesday."

# sentence-transformers' all-MiniLM-L6-v2 (torch) gives these cosines for the three sentences.
REFERENCE_COSINES = {(0, 1): 0.6456, (0, 2): -0.0634, (1, 2): -0.0732}

MIXED = [
    "Short.",
    "A considerably longer sentence that keeps going to make sure padding differs inside batches.",
    GUITAR,
    "",
    "Quantum chromodynamics describes the strong interaction between quarks and gluons.",
    MARKET,
    "ok",
]


def test_describes_its_model(local_text_embedder: LocalOnnxEmbedder) -> None:
    assert local_text_embedder.model_name == "all-MiniLM-L6-v2"
    assert local_text_embedder.dimension == 384


def test_matches_sentence_transformers_reference(local_text_embedder: LocalOnnxEmbedder) -> None:
    vectors = local_text_embedder.embed_sync([GUITAR, ACOUSTIC, MARKET])
    cosines = vectors @ vectors.T
    for (i, j), expected in REFERENCE_COSINES.items():
        assert cosines[i, j] == pytest.approx(expected, abs=1e-3)


def test_paraphrases_are_closer_than_unrelated_sentences(
    local_text_embedder: LocalOnnxEmbedder,
) -> None:
    guitar, acoustic, market = local_text_embedder.embed_sync([GUITAR, ACOUSTIC, MARKET])
    assert guitar @ acoustic > 0.5
    assert guitar @ acoustic > guitar @ market + 0.5
    assert guitar @ acoustic > acoustic @ market + 0.5


def test_vectors_are_unit_float32_rows(local_text_embedder: LocalOnnxEmbedder) -> None:
    vectors = local_text_embedder.embed_sync(MIXED)
    assert vectors.dtype == np.float32
    assert vectors.shape == (len(MIXED), 384)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_batch_equals_one_at_a_time_in_caller_order(
    local_text_embedder: LocalOnnxEmbedder,
) -> None:
    batch = local_text_embedder.embed_sync(MIXED)
    singles = np.stack([local_text_embedder.embed_sync([text])[0] for text in MIXED])
    np.testing.assert_allclose(batch, singles, atol=1e-5)


def test_small_batches_give_the_same_vectors(local_text_embedder: LocalOnnxEmbedder) -> None:
    small = LocalOnnxEmbedder(local_text_embedder.files.directory, batch_size=2)
    np.testing.assert_allclose(
        small.embed_sync(MIXED), local_text_embedder.embed_sync(MIXED), atol=1e-5
    )


async def test_async_embed_equals_sync(local_text_embedder: LocalOnnxEmbedder) -> None:
    np.testing.assert_array_equal(
        await local_text_embedder.embed(MIXED), local_text_embedder.embed_sync(MIXED)
    )


async def test_concurrent_requests_share_one_session(
    local_text_embedder: LocalOnnxEmbedder,
) -> None:
    results = await asyncio.gather(*(local_text_embedder.embed([text]) for text in MIXED))
    np.testing.assert_allclose(
        np.concatenate(results), local_text_embedder.embed_sync(MIXED), atol=1e-5
    )


async def test_empty_list_gives_an_empty_matrix(local_text_embedder: LocalOnnxEmbedder) -> None:
    assert local_text_embedder.embed_sync([]).shape == (0, 384)
    empty = await local_text_embedder.embed([])
    assert empty.shape == (0, 384)
    assert empty.dtype == np.float32


def test_long_text_is_truncated_to_256_tokens(local_text_embedder: LocalOnnxEmbedder) -> None:
    # ~300 tokens of the same content, then two different tails far past the limit: truncation
    # at 256 tokens makes all three identical, and nothing fails on 10,000+ words.
    head = " ".join(f"word{i % 50}" for i in range(300))
    long_texts = [head, f"{head} {'guitar ' * 5000}", f"{head} {'market ' * 5000}"]
    vectors = local_text_embedder.embed_sync(long_texts)
    np.testing.assert_allclose(vectors[1], vectors[0], atol=1e-5)
    np.testing.assert_allclose(vectors[2], vectors[0], atol=1e-5)


def test_thread_count_is_configurable(local_text_embedder: LocalOnnxEmbedder) -> None:
    single = LocalOnnxEmbedder(local_text_embedder.files.directory, threads=1)
    assert single._session.get_session_options().intra_op_num_threads == 1
    np.testing.assert_allclose(
        single.embed_sync([GUITAR]), local_text_embedder.embed_sync([GUITAR]), atol=1e-5
    )


def test_process_shares_one_instance(local_text_embedder: LocalOnnxEmbedder) -> None:
    assert local_embedder() is local_text_embedder
    assert local_embedder(threads=1) is not local_text_embedder
    assert local_embedder(threads=1) is local_embedder(threads=1)
