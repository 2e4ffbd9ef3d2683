"""The ML scorer: raw model scores for one judge decision, computed off the event loop.

Every call runs in one bounded thread pool of ``ML_MAX_WORKERS`` threads, each ONNX run using
``ONNX_INTRA_THREADS`` cores, so however many debates finish at once scoring never uses more than
``ML_MAX_WORKERS * ONNX_INTRA_THREADS`` cores. The scorer only measures; turning these numbers
into rubric points (thresholds, blend) is the scoring core's job.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from galileo_arena.core.schemas import MLScores
from galileo_arena.ml.embed import EmbedModel, FloatArray
from galileo_arena.ml.nli import NliModel
from galileo_arena.ml.registry import Availability, ModelRegistry
from galileo_arena.ml.sentences import split_sentences
from servicekit.logging import get_logger

log = get_logger(__name__)

# The spec's fixed hypotheses: P(entailment) with the reasoning as premise is the raw score.
DEFERENCE_HYPOTHESIS = (
    "the text relies on authority or expert consensus instead of weighing evidence"
)
REFUSAL_HYPOTHESIS = "the author declines or says they cannot answer"


class MLScorer:
    """Scores judge reasoning with the loaded halves; a missing half leaves its fields ``None``."""

    def __init__(self, registry: ModelRegistry, *, max_workers: int) -> None:
        _check_workers(max_workers)
        self.registry = registry
        self.max_workers = max_workers
        self._executor = ThreadPoolExecutor(
            max_workers=max_workers, thread_name_prefix="galileo-ml"
        )
        self._closed = False

    @classmethod
    def load(
        cls,
        models_dir: Path,
        *,
        intra_threads: int = 2,
        max_workers: int = 2,
        nli_max_tokens: int = 384,
    ) -> MLScorer:
        """Load the models (``MLModelsMissing`` / ``MLModelsInvalid`` when it cannot)."""
        _check_workers(max_workers)
        registry = ModelRegistry.load(
            models_dir, intra_threads=intra_threads, nli_max_tokens=nli_max_tokens
        )
        return cls(registry, max_workers=max_workers)

    @property
    def available(self) -> Availability:
        return self.registry.available

    async def score(self, reasoning: str, cited_evidence: Sequence[str]) -> MLScores:
        """``score_sync`` in the scorer's thread pool; all ``None`` once the scorer is closed."""
        if self._closed:
            log.warning("ML scorer is closed; this decision is scored with keywords only.")
            return MLScores()
        loop = asyncio.get_running_loop()
        try:
            future = loop.run_in_executor(
                self._executor, self.score_sync, reasoning, tuple(cited_evidence)
            )
        except RuntimeError:  # closed between the check above and the submission
            log.warning("ML scorer is closed; this decision is scored with keywords only.")
            return MLScores()
        return await future

    def score_sync(self, reasoning: str, cited_evidence: Sequence[str]) -> MLScores:
        """Scores for ``reasoning`` given the summaries of the evidence it cites.

        An error in one half is logged and leaves that half's fields ``None``; it never raises.
        """
        fields: dict[str, Any] = {}
        if self.registry.nli is not None:
            try:
                fields.update(_nli_scores(self.registry.nli, reasoning, cited_evidence))
            except Exception:
                log.exception("ML scoring: the NLI model failed; its scores fall back to keywords.")
        if self.registry.embed is not None:
            try:
                fields.update(
                    _falsifiability(self.registry.embed, self.registry.exemplars, reasoning)
                )
            except Exception:
                log.exception(
                    "ML scoring: the embedding model failed; its scores fall back to keywords."
                )
        return MLScores(**fields)

    def close(self) -> None:
        """Wait for running calls and stop the threads; later calls get all-``None`` scores."""
        self._closed = True
        self._executor.shutdown(wait=True)


def _check_workers(max_workers: int) -> None:
    if max_workers < 1:
        raise ValueError(f"ML_MAX_WORKERS must be at least 1, got {max_workers}")


def _nli_scores(nli: NliModel, reasoning: str, cited_evidence: Sequence[str]) -> dict[str, float]:
    if not reasoning.strip():
        # No text: nothing is grounded, and no authority or refusal can be read into it.
        return {"grounding_entailment": 0.0, "deference": 0.0, "refusal": 0.0}
    premises = [summary for summary in cited_evidence if summary.strip()]
    hypotheses = split_sentences(reasoning)
    grounding_pairs = [(p, h) for p in premises for h in hypotheses]
    pairs = [
        *grounding_pairs,
        (reasoning, DEFERENCE_HYPOTHESIS),
        (reasoning, REFUSAL_HYPOTHESIS),
    ]
    # One call for every pair: the model batches pairs of similar length together.
    entailment = nli.entailment(pairs)
    grounding = 0.0
    if grounding_pairs:
        per_pair = entailment[: len(grounding_pairs)].reshape(len(premises), len(hypotheses))
        # A summary supports the reasoning if it entails any one sentence of it; the
        # reasoning is as grounded as its cited summaries are on average.
        grounding = float(per_pair.max(axis=1).mean())
    return {
        "grounding_entailment": grounding,
        "deference": float(entailment[-2]),
        "refusal": float(entailment[-1]),
    }


def _falsifiability(
    embed: EmbedModel, exemplars: Mapping[str, FloatArray], reasoning: str
) -> dict[str, float]:
    if not reasoning.strip():
        # An empty reasoning states no mechanism, limitation or test, whatever its vector.
        return dict.fromkeys(
            ("falsifiable_mechanism", "falsifiable_limitation", "falsifiable_testability"), 0.0
        )
    (vector,) = embed.embed([reasoning])
    scores = {
        key: float(np.clip((matrix @ vector).max(), 0.0, 1.0)) for key, matrix in exemplars.items()
    }
    return {
        "falsifiable_mechanism": scores["mechanism"],
        "falsifiable_limitation": scores["limitation"],
        "falsifiable_testability": scores["testability"],
    }
