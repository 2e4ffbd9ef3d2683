"""NLI scores from a real (tiny) ONNX cross-encoder, checked against the same maths in numpy."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest
from structlog.testing import capture_logs

from galileo_arena.ml import MLScorer
from galileo_arena.ml.scorer import DEFERENCE_HYPOTHESIS, REFUSAL_HYPOTHESIS

REASONING = (
    "The evidence shows temperature rose by one degree since 1900. "
    "Sea levels rose too. Most experts agree."
)
SENTENCES = [
    "The evidence shows temperature rose by one degree since 1900.",
    "Sea levels rose too.",
    "Most experts agree.",
]
EVIDENCE = [
    "Measurements from ice cores and satellites show temperature rose.",
    "Sea levels rose since 1900.",
]


def expected_grounding(nli, premises, sentences, index):  # type: ignore[no-untyped-def]
    per_premise = [max(nli.entailment(p, s, index=index) for s in sentences) for p in premises]
    return sum(per_premise) / len(per_premise)


@pytest.mark.parametrize(
    "label_map",
    [
        {0: "contradiction", 1: "entailment", 2: "neutral"},  # nli-deberta-v3-base's own
        {0: "ENTAILMENT", 1: "NEUTRAL", 2: "CONTRADICTION"},
    ],
    ids=["entailment-at-1", "entailment-at-0-uppercase"],
)
def test_reads_the_entailment_column_named_by_the_label_map(tiny_models, label_map) -> None:
    models = tiny_models(label_map=label_map)
    index, nli = models.entailment_index, models.nli
    scorer = MLScorer.load(models.directory, intra_threads=1, max_workers=1)
    try:
        scores = scorer.score_sync(REASONING, EVIDENCE)
    finally:
        scorer.close()

    assert scores.grounding_entailment == pytest.approx(
        expected_grounding(nli, EVIDENCE, SENTENCES, index), abs=1e-5
    )
    assert scores.deference == pytest.approx(
        nli.entailment(REASONING, DEFERENCE_HYPOTHESIS, index=index), abs=1e-5
    )
    assert scores.refusal == pytest.approx(
        nli.entailment(REASONING, REFUSAL_HYPOTHESIS, index=index), abs=1e-5
    )
    # Upstream's bug read column 2 whatever its name; with these weights that differs clearly.
    assert abs(scores.deference - nli.entailment(REASONING, DEFERENCE_HYPOTHESIS, index=2)) > 0.01
    # The embedding half is absent: its fields stay None for the blend to keep keywords.
    assert scores.falsifiable_mechanism is None
    assert scores.falsifiable_limitation is None
    assert scores.falsifiable_testability is None


def test_grounding_is_zero_without_cited_summaries(tiny_models) -> None:
    models = tiny_models()
    scorer = MLScorer.load(models.directory, intra_threads=1, max_workers=1)
    try:
        nothing_cited = scorer.score_sync(REASONING, [])
        blank_summaries = scorer.score_sync(REASONING, ["", "   "])
    finally:
        scorer.close()
    assert nothing_cited.grounding_entailment == 0.0
    assert blank_summaries.grounding_entailment == 0.0
    expected = models.nli.entailment(REASONING, DEFERENCE_HYPOTHESIS, index=1)
    assert nothing_cited.deference == pytest.approx(expected, abs=1e-5)


def test_blank_summaries_are_left_out_of_the_mean(tiny_models) -> None:
    models = tiny_models()
    scorer = MLScorer.load(models.directory, intra_threads=1, max_workers=1)
    try:
        scores = scorer.score_sync(REASONING, [EVIDENCE[0], ""])
    finally:
        scorer.close()
    assert scores.grounding_entailment == pytest.approx(
        expected_grounding(models.nli, EVIDENCE[:1], SENTENCES, 1), abs=1e-5
    )


def test_empty_reasoning_scores_zero(tiny_models) -> None:
    models = tiny_models()
    scorer = MLScorer.load(models.directory, intra_threads=1, max_workers=1)
    try:
        scores = scorer.score_sync("  ", EVIDENCE)
    finally:
        scorer.close()
    assert (scores.grounding_entailment, scores.deference, scores.refusal) == (0.0, 0.0, 0.0)


@pytest.mark.parametrize("max_tokens", [64, 384])
def test_a_3000_word_reasoning_is_truncated_to_nli_max_tokens(tiny_models, max_tokens) -> None:
    # The tiny graph has 512 positions, like DeBERTa: an untruncated input would fail in it.
    models = tiny_models()
    reasoning = " ".join(["the evidence shows temperature rose"] * 600)
    scorer = MLScorer.load(
        models.directory, intra_threads=1, max_workers=1, nli_max_tokens=max_tokens
    )
    try:
        scores = scorer.score_sync(reasoning, EVIDENCE)
    finally:
        scorer.close()
    expected = models.nli.entailment(
        reasoning, DEFERENCE_HYPOTHESIS, index=1, max_tokens=max_tokens
    )
    assert scores.deference == pytest.approx(expected, abs=1e-5)
    assert scores.refusal is not None
    assert scores.grounding_entailment is not None


@pytest.mark.parametrize("max_tokens", [63, 513])
def test_nli_max_tokens_outside_64_to_512_is_refused(tiny_models, max_tokens) -> None:
    models = tiny_models()
    with pytest.raises(ValueError, match="ML_NLI_MAX_TOKENS"):
        MLScorer.load(models.directory, nli_max_tokens=max_tokens)


def test_segment_ids_are_fed_when_the_graph_takes_them(tiny_models) -> None:
    models = tiny_models(token_type_ids=True)
    scorer = MLScorer.load(models.directory, intra_threads=1, max_workers=1)
    try:
        scores = scorer.score_sync(REASONING, EVIDENCE)
    finally:
        scorer.close()
    # The reference adds the segment embedding of the tokenizer's type ids (hypothesis = 1).
    assert scores.deference == pytest.approx(
        models.nli.entailment(REASONING, DEFERENCE_HYPOTHESIS, index=1), abs=1e-5
    )
    assert scores.grounding_entailment == pytest.approx(
        expected_grounding(models.nli, EVIDENCE, SENTENCES, 1), abs=1e-5
    )


def test_a_graph_without_token_type_ids_is_never_fed_them(tiny_models) -> None:
    # onnxruntime rejects unknown inputs, so feeding them would turn every NLI field into None.
    models = tiny_models(token_type_ids=False)
    scorer = MLScorer.load(models.directory, intra_threads=1, max_workers=1)
    try:
        scores = scorer.score_sync(REASONING, EVIDENCE)
    finally:
        scorer.close()
    assert None not in (scores.grounding_entailment, scores.deference, scores.refusal)


def test_batched_pairs_score_like_single_pairs(tiny_models) -> None:
    # Many evidence summaries of different lengths: pairs are padded into batches.
    models = tiny_models()
    evidence = [" ".join(["sea levels rose"] * n) for n in range(1, 12)]
    scorer = MLScorer.load(models.directory, intra_threads=1, max_workers=1)
    try:
        scores = scorer.score_sync(REASONING, evidence)
    finally:
        scorer.close()
    assert scores.grounding_entailment == pytest.approx(
        expected_grounding(models.nli, evidence, SENTENCES, 1), abs=1e-5
    )


def test_a_failing_model_gives_none_instead_of_raising(tiny_models) -> None:
    # 100 positions but 200 tokens allowed: a long input makes the graph fail at run time.
    models = tiny_models(positions=100)
    scorer = MLScorer.load(models.directory, intra_threads=1, max_workers=1, nli_max_tokens=200)
    try:
        with capture_logs() as logs:
            failed = scorer.score_sync(" ".join(["sea levels rose"] * 100), EVIDENCE)
        fine = scorer.score_sync(REASONING, EVIDENCE)
    finally:
        scorer.close()
    assert (failed.grounding_entailment, failed.deference, failed.refusal) == (None, None, None)
    assert any("NLI model failed" in entry["event"] for entry in logs)
    assert fine.deference is not None


async def test_concurrent_calls_never_exceed_max_workers(tiny_models) -> None:
    models = tiny_models()
    scorer = MLScorer.load(models.directory, intra_threads=1, max_workers=2)
    running = 0
    peak = 0
    threads: set[str] = set()
    lock = threading.Lock()
    score_sync = scorer.score_sync

    def observed_score_sync(reasoning, cited):  # type: ignore[no-untyped-def]
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
            threads.add(threading.current_thread().name)
        try:
            time.sleep(0.05)  # long enough for every queued call to pile up if it could
            return score_sync(reasoning, cited)
        finally:
            with lock:
                running -= 1

    scorer.score_sync = observed_score_sync  # type: ignore[method-assign]
    try:
        results = await asyncio.gather(*(scorer.score(REASONING, EVIDENCE) for _ in range(8)))
    finally:
        scorer.close()
    assert peak == 2
    assert len(threads) == 2
    assert all(name.startswith("galileo-ml") for name in threads)
    assert len({r.deference for r in results}) == 1


async def test_a_closed_scorer_falls_back_to_keywords(tiny_models) -> None:
    models = tiny_models()
    scorer = MLScorer.load(models.directory, intra_threads=1, max_workers=1)
    scorer.close()
    scores = await scorer.score(REASONING, EVIDENCE)
    assert scores.as_dict() == dict.fromkeys(scores.as_dict())
