"""Token-state embedders (BGE-style ``cls``, and ``mean``) on a tiny real ONNX graph."""

from __future__ import annotations

import numpy as np
import pytest

from galileo_arena.ml import MLScorer
from galileo_arena.ml.embed import EmbedModel
from galileo_arena.ml.exemplars import EXEMPLARS
from galileo_arena.ml.manifest import read_manifest

TEXTS = [
    "Rising CO2 causes warming through the greenhouse effect.",
    "However the data is limited.",
    "A new survey would verify it.",
    "I cannot answer.",
]


@pytest.mark.parametrize("pooling", ["cls", "mean"])
def test_pooling_matches_the_reference(tiny_models, pooling) -> None:
    models = tiny_models(nli=False, embed=True, pooling=pooling)
    info = read_manifest(models.directory).embed
    encoder = EmbedModel.load(models.directory / "embed", info, intra_threads=1)

    # Texts of different lengths share padded batches; padding must not leak into the vectors.
    vectors = encoder.embed(TEXTS)

    expected = np.stack([models.embed.sentence(text, pooling) for text in TEXTS])
    np.testing.assert_allclose(vectors, expected, atol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_cls_and_mean_pooling_differ(tiny_models) -> None:
    # Otherwise the test above could not tell the two paths apart.
    models = tiny_models(nli=False, embed=True)
    text = TEXTS[0]
    assert not np.allclose(models.embed.sentence(text, "cls"), models.embed.sentence(text, "mean"))


def test_falsifiability_is_the_best_cosine_per_dimension(tiny_models) -> None:
    models = tiny_models(nli=False, embed=True, pooling="cls")
    scorer = MLScorer.load(models.directory, intra_threads=1, max_workers=1)
    reasoning = TEXTS[0] + " " + TEXTS[1]
    try:
        scores = scorer.score_sync(reasoning, ["unused without the NLI half"])
    finally:
        scorer.close()

    vector = models.embed.sentence(reasoning, "cls")
    for key, value in (
        ("mechanism", scores.falsifiable_mechanism),
        ("limitation", scores.falsifiable_limitation),
        ("testability", scores.falsifiable_testability),
    ):
        exemplars = np.stack([models.embed.sentence(s, "cls") for s in EXEMPLARS[key]])
        assert value == pytest.approx(max(0.0, float((exemplars @ vector).max())), abs=1e-5)
    assert (scores.grounding_entailment, scores.deference, scores.refusal) == (None, None, None)
