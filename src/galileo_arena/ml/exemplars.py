"""Exemplar sentences for the three falsifiability dimensions, and their embeddings file.

A judge's reasoning earns a falsifiability dimension when its embedding is close to one of that
dimension's exemplars. The exemplars are short, topic-free templates, so that closeness reflects
the *kind* of statement (a causal mechanism, a stated limitation, a testable prediction) rather
than its subject.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from galileo_arena.ml.embed import normalise_rows
from galileo_arena.ml.errors import MLModelsInvalid

FloatArray = NDArray[np.float32]

# Checked with the offline MiniLM on a small hand-labelled set of judge-like sentences (10
# mechanism, 7 limitation, 6 testable, 12 other): ranking AUC 0.89 / 0.90 / 0.95 per dimension.
# Words every judge uses ("claim", "evidence", "data") are kept out: they pulled plain verdicts
# such as "the claim is supported by the evidence" above real mechanisms (an earlier set: 0.49).
EXEMPLARS: dict[str, tuple[str, ...]] = {
    "mechanism": (
        "A rise in one factor makes a second one increase, which in turn produces the effect.",
        "Heat makes the material expand, and the expansion is what cracks it.",
        "The substance binds to its target and switches it off, so the process stops.",
        "Higher costs reduce demand, which lowers output and then employment.",
        "The change sets off a chain reaction that ends in the observed outcome.",
        "This works by transferring energy from one part of the system to another.",
        "Removing the barrier lets the flow increase, leading to more damage downstream.",
        "Over time the repeated exposure wears the tissue down and causes disease.",
        "The feedback loop amplifies the initial change and drives the trend further.",
        "One mechanism explains it: the input is converted into the output step by step.",
    ),
    "limitation": (
        "However, this has important limitations.",
        "A major caveat is that the sample is small.",
        "There is considerable uncertainty in these numbers.",
        "It remains unclear whether this holds in other settings.",
        "The record is incomplete, so any answer is tentative.",
        "Other factors could confound this finding.",
        "The sources disagree with each other on key points.",
        "We cannot rule out alternative explanations.",
        "The study only covers a short period and a single region.",
        "These estimates rely on assumptions that may not hold.",
    ),
    "testability": (
        "This could be falsified by observing the opposite outcome.",
        "If this were true, we would expect to measure a clear increase.",
        "A controlled experiment could test this prediction directly.",
        "The hypothesis predicts a measurable difference between the two groups.",
        "Independent researchers could replicate the measurement to verify it.",
        "If new observations showed no change, the idea would be disproved.",
        "This can be checked against future observations.",
        "A randomised trial would show whether the effect is real.",
        "We could verify this by comparing the records before and after.",
        "The prediction is observable and could be checked within a year.",
    ),
}
EXEMPLAR_KEYS = tuple(EXEMPLARS)


def exemplar_set_id(exemplars: Mapping[str, Sequence[str]] = EXEMPLARS) -> str:
    """A fingerprint of the sentences: a changed set means ``exemplars.npz`` is out of date."""
    canonical = json.dumps({key: list(exemplars[key]) for key in sorted(exemplars)})
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:12]


def compute_exemplars(
    embed: Callable[[Sequence[str]], FloatArray],
    exemplars: Mapping[str, Sequence[str]] = EXEMPLARS,
) -> dict[str, FloatArray]:
    """Embed each dimension's sentences with ``embed``: one unit row per sentence, float32."""
    result: dict[str, FloatArray] = {}
    for key, sentences in exemplars.items():
        result[key] = normalise_rows(np.asarray(embed(list(sentences)), dtype=np.float32))
    return result


def save_exemplars(path: Path, arrays: Mapping[str, FloatArray]) -> None:
    np.savez(path, **{key: np.asarray(arrays[key], dtype=np.float32) for key in EXEMPLAR_KEYS})


def load_exemplars(path: Path) -> dict[str, FloatArray]:
    """The three exemplar matrices, validated 2-D, finite, same width, rows re-normalised."""
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {key: np.asarray(archive[key], dtype=np.float32) for key in archive.files}
    except (OSError, ValueError) as exc:
        raise MLModelsInvalid(f"cannot read {path}: {exc}") from exc
    missing = [key for key in EXEMPLAR_KEYS if key not in arrays]
    if missing:
        raise MLModelsInvalid(f"{path} lacks the exemplar keys {missing}")
    widths = set()
    result: dict[str, FloatArray] = {}
    for key in EXEMPLAR_KEYS:
        matrix = arrays[key]
        if matrix.ndim != 2 or matrix.shape[0] == 0 or not np.isfinite(matrix).all():
            raise MLModelsInvalid(
                f"{path}: '{key}' must be a non-empty 2-D finite array, got shape {matrix.shape}"
            )
        widths.add(matrix.shape[1])
        result[key] = normalise_rows(matrix)
    if len(widths) != 1:
        raise MLModelsInvalid(f"{path}: the exemplar matrices differ in width: {sorted(widths)}")
    return result
