"""The offline embedding half from the kit's real all-MiniLM-L6-v2 (no NLI, no model hub)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from galileo_arena.ml import MLScorer, prepare_local_models
from galileo_arena.ml.exemplars import EXEMPLAR_KEYS, exemplar_set_id
from galileo_arena.ml.model_dir import fingerprint

MECHANISM = "Burning fossil fuels releases CO2, which traps heat and therefore causes warming."
LIMITATION = "However, the sample is small and the measurements carry large uncertainty."
TESTABLE = "If the claim holds, we would expect a measurable rise; an experiment could test it."
UNRELATED = "The museum cafe sells sandwiches and coffee on weekends."


@pytest.fixture(scope="module")
def local_models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return prepare_local_models(tmp_path_factory.mktemp("ml") / "models")


@pytest.fixture(scope="module")
def local_scorer(local_models: Path):  # type: ignore[no-untyped-def]
    scorer = MLScorer.load(local_models, intra_threads=1, max_workers=1)
    yield scorer
    scorer.close()


def test_writes_the_guides_layout_and_manifest(local_models: Path) -> None:
    assert sorted(p.name for p in local_models.iterdir()) == ["embed", "manifest.json"]
    assert sorted(p.name for p in (local_models / "embed").iterdir()) == [
        "exemplars.npz",
        "model.onnx",
        "tokenizer.json",
    ]
    manifest = json.loads((local_models / "manifest.json").read_text())
    embed = manifest["embed"]
    assert "nli" not in manifest
    assert embed["hf_id"] == "sentence-transformers/all-MiniLM-L6-v2"
    assert embed["sha256"] == fingerprint(local_models / "embed" / "model.onnx")
    assert (embed["quantized"], embed["pooling"], embed["max_tokens"]) == ("none", "pooled", 128)
    assert embed["input_names"] == ["input_ids", "attention_mask", "token_type_ids"]


def test_exemplars_are_unit_rows_per_dimension(local_models: Path) -> None:
    with np.load(local_models / "embed" / "exemplars.npz") as archive:
        assert sorted(archive.files) == sorted(EXEMPLAR_KEYS)
        for key in EXEMPLAR_KEYS:
            matrix = archive[key]
            assert matrix.dtype == np.float32
            assert matrix.shape == (10, 384)
            np.testing.assert_allclose(np.linalg.norm(matrix, axis=1), 1.0, atol=1e-5)


def test_each_dimension_prefers_its_own_kind_of_sentence(local_scorer: MLScorer) -> None:
    mechanism = local_scorer.score_sync(MECHANISM, [])
    limitation = local_scorer.score_sync(LIMITATION, [])
    testable = local_scorer.score_sync(TESTABLE, [])
    unrelated = local_scorer.score_sync(UNRELATED, [])
    assert mechanism.falsifiable_mechanism > unrelated.falsifiable_mechanism + 0.1
    assert limitation.falsifiable_limitation > unrelated.falsifiable_limitation + 0.1
    assert testable.falsifiable_testability > unrelated.falsifiable_testability + 0.1
    assert limitation.falsifiable_limitation > limitation.falsifiable_mechanism
    assert testable.falsifiable_testability > testable.falsifiable_mechanism


def test_embed_only_scorer_leaves_the_nli_fields_none(local_scorer: MLScorer) -> None:
    assert (local_scorer.available.nli, local_scorer.available.embed) == (False, True)
    scores = local_scorer.score_sync(MECHANISM, ["CO2 traps heat."])
    assert scores.grounding_entailment is None
    assert scores.deference is None
    assert scores.refusal is None
    assert all(
        0.0 <= value <= 1.0
        for value in (
            scores.falsifiable_mechanism,
            scores.falsifiable_limitation,
            scores.falsifiable_testability,
        )
    )


async def test_async_score_equals_score_sync(local_scorer: MLScorer) -> None:
    assert await local_scorer.score(TESTABLE, []) == local_scorer.score_sync(TESTABLE, [])


def test_a_long_reasoning_is_embedded_without_error(local_scorer: MLScorer) -> None:
    scores = local_scorer.score_sync(" ".join([LIMITATION] * 300), [])
    assert scores.falsifiable_limitation is not None


def test_second_run_keeps_the_current_files(local_models: Path) -> None:
    model = local_models / "embed" / "model.onnx"
    before = model.stat().st_mtime_ns
    prepare_local_models(local_models)
    assert model.stat().st_mtime_ns == before


def test_stale_exemplars_are_recomputed(local_models: Path, tmp_path: Path) -> None:
    copy = tmp_path / "models"
    shutil.copytree(local_models, copy)
    manifest = json.loads((copy / "manifest.json").read_text())
    manifest["embed"]["exemplar_set"] = "000000000000"
    (copy / "manifest.json").write_text(json.dumps(manifest))

    prepare_local_models(copy)

    refreshed = json.loads((copy / "manifest.json").read_text())
    assert refreshed["embed"]["exemplar_set"] == exemplar_set_id()
    # Staging and retired directories are gone once the half is in place.
    assert sorted(p.name for p in copy.iterdir()) == ["embed", "manifest.json"]


def test_an_existing_nli_half_is_kept(tiny_models, local_models: Path) -> None:
    models = tiny_models(nli=True, embed=False)
    nli_entry = json.loads((models.directory / "manifest.json").read_text())["nli"]

    prepare_local_models(models.directory)

    manifest = json.loads((models.directory / "manifest.json").read_text())
    assert manifest["nli"] == nli_entry
    scorer = MLScorer.load(models.directory, intra_threads=1, max_workers=1)
    try:
        scores = scorer.score_sync(MECHANISM, ["CO2 traps heat."])
    finally:
        scorer.close()
    assert None not in scores.as_dict().values()


def test_an_exported_embedder_is_never_replaced(tiny_models) -> None:
    models = tiny_models(nli=False, embed=True)
    before = (models.directory / "manifest.json").read_text()
    prepare_local_models(models.directory)
    assert (models.directory / "manifest.json").read_text() == before
    assert json.loads(before)["embed"]["hf_id"] == "test/tiny-embed"


def test_an_empty_reasoning_earns_no_falsifiability(local_scorer: MLScorer) -> None:
    scores = local_scorer.score_sync("  ", [])
    assert (
        scores.falsifiable_mechanism,
        scores.falsifiable_limitation,
        scores.falsifiable_testability,
    ) == (0.0, 0.0, 0.0)
