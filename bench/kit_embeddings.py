"""Throughput of the kit's local sentence encoder (all-MiniLM-L6-v2 on onnxruntime).

Run alone: ``.venv/bin/python bench/kit_embeddings.py`` prints a table and writes
``bench/results/kit_embeddings.json``. ``bench/kit.py`` imports :func:`bench_embeddings`.

The corpus is sentences of 5 to 30 words, like search queries and short claims, plus passages
cut to the encoder's 256-token limit, like document chunks at ingestion. Each figure is the best
of several rounds, which is what the machine can do when other processes leave it alone.
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable
from typing import Any

from report import RESULTS_DIR, report

from servicekit.embeddings import LocalOnnxEmbedder, local_embedder

RESULTS = RESULTS_DIR / "kit_embeddings.json"
TARGET_BATCH32_PER_S = 300
_ROUNDS = 5
_WORDS = (  # noqa: SIM905 - a sentence reads better than 36 quoted words
    "the a model service claim evidence user data search query vector guitar market stock "
    "music learning challenge answer question document tenant workspace knowledge graph "
    "quickly slowly fell rose played wrote reviewed found because although while after"
).split()


def _sentences(count: int, min_words: int, max_words: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return [
        " ".join(rng.choices(_WORDS, k=rng.randint(min_words, max_words))).capitalize() + "."
        for _ in range(count)
    ]


def _best_rate(items: int, run: Callable[[], object]) -> float:
    """Items per second of the fastest of ``_ROUNDS`` runs (after one warm-up run)."""
    run()
    best = min(_timed(run) for _ in range(_ROUNDS))
    return items / best


def _timed(run: Callable[[], object]) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def _batched(encoder: LocalOnnxEmbedder, texts: list[str], size: int) -> Callable[[], None]:
    def run() -> None:
        for start in range(0, len(texts), size):
            encoder.embed_sync(texts[start : start + size])

    return run


def bench_embeddings() -> dict[str, Any]:
    """Measure the local encoder; returns the figures written to the JSON results."""
    started = time.perf_counter()
    encoder = local_embedder()
    load_s = time.perf_counter() - started

    sentences = _sentences(256, 5, 30, seed=1)
    passages = _sentences(64, 300, 400, seed=2)  # truncated to 256 tokens by the encoder
    one_by_one = sentences[:64]

    return {
        "model": encoder.model_name,
        "dimension": encoder.dimension,
        "cpu_count": os.cpu_count(),
        "intra_op_threads": "onnxruntime default (one per physical core)",
        "built_this_run": encoder.files.built,
        "load_s": round(load_s, 3),
        "sentences_per_s_batch1": round(
            _best_rate(len(one_by_one), _batched(encoder, one_by_one, 1)), 1
        ),
        "sentences_per_s_batch32": round(
            _best_rate(len(sentences), _batched(encoder, sentences, 32)), 1
        ),
        "passages256_per_s_batch32": round(
            _best_rate(len(passages), _batched(encoder, passages, 32)), 1
        ),
        "target_batch32_per_s": TARGET_BATCH32_PER_S,
    }


def main() -> None:
    results = bench_embeddings()
    built = " (model built first)" if results["built_this_run"] else ""
    batch32 = results["sentences_per_s_batch32"]
    verdict = "meets" if batch32 >= TARGET_BATCH32_PER_S else "BELOW"
    report(
        f"Local embeddings: {results['model']} ({results['dimension']} dims)",
        [
            ("load", f"{results['load_s']:.2f} s{built}"),
            ("sentences/s, batch 1", f"{results['sentences_per_s_batch1']:.0f}"),
            (f"sentences/s, batch 32 ({verdict} target {TARGET_BATCH32_PER_S})", f"{batch32:.0f}"),
            ("256-token passages/s, batch 32", f"{results['passages256_per_s_batch32']:.0f}"),
            ("CPUs", str(results["cpu_count"])),
        ],
        results,
        RESULTS.name,
    )


if __name__ == "__main__":
    main()
