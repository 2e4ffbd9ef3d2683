"""Loading the models directory: the guide's errors, partial halves, broken deployments."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from galileo_arena.ml import MLModelsInvalid, MLModelsMissing, MLScorer, ModelRegistry

GUIDE_ERROR = "ML_SCORING_ENABLED=true but ONNX models not found in '{}/'"


def load(directory: Path) -> ModelRegistry:
    return ModelRegistry.load(directory, intra_threads=1, nli_max_tokens=384)


def edit_manifest(directory: Path, edit) -> None:  # type: ignore[no-untyped-def]
    path = directory / "manifest.json"
    document = json.loads(path.read_text())
    edit(document)
    path.write_text(json.dumps(document))


def test_missing_directory_raises_the_guides_error(tmp_path: Path) -> None:
    missing = tmp_path / "models"
    with pytest.raises(MLModelsMissing) as raised:
        MLScorer.load(missing)
    message = str(raised.value)
    assert message.startswith(GUIDE_ERROR.format(missing))
    # ...followed by each way out.
    assert "python -m scripts.export_onnx_models" in message
    assert "suite galileo prepare-models" in message
    assert "ML_SCORING_ENABLED=false" in message
    assert isinstance(raised.value, RuntimeError)


def test_relative_directory_is_shown_as_the_guide_shows_it() -> None:
    assert str(MLModelsMissing(Path("models"))).startswith(
        "ML_SCORING_ENABLED=true but ONNX models not found in 'models/'"
    )


def test_directory_without_any_half_is_missing(tmp_path: Path) -> None:
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "manifest.json").write_text('{"format_version": 1}')
    with pytest.raises(MLModelsMissing):
        load(tmp_path / "models")


def test_both_halves_load_and_log_the_guides_line(tiny_models) -> None:
    models = tiny_models(nli=True, embed=True)
    with capture_logs() as logs:
        registry = load(models.directory)
    assert registry.available.nli and registry.available.embed
    assert str(registry.available) == "nli+embed"
    assert [e["event"] for e in logs if "ready" in e["event"]] == [
        "ML scoring models ready (2 ONNX sessions)."
    ]


def test_only_the_nli_half_present(tiny_models) -> None:
    models = tiny_models(nli=True, embed=False)
    with capture_logs() as logs:
        registry = load(models.directory)
    assert (registry.available.nli, registry.available.embed) == (True, False)
    assert any("without its embed half" in e["event"] for e in logs)
    assert "ML scoring models ready (1 ONNX sessions)." in [e["event"] for e in logs]


def test_a_half_directory_the_manifest_does_not_describe_is_invalid(tiny_models) -> None:
    models = tiny_models(nli=True, embed=True)
    edit_manifest(models.directory, lambda document: document.pop("embed"))
    with pytest.raises(MLModelsInvalid, match="does not describe it"):
        load(models.directory)


def test_a_manifest_half_whose_directory_is_gone_is_skipped(tiny_models) -> None:
    models = tiny_models(nli=True, embed=True)
    shutil.rmtree(models.directory / "embed")
    assert load(models.directory).available.embed is False


def test_a_replaced_onnx_file_is_detected_by_its_fingerprint(tiny_models) -> None:
    models = tiny_models(nli=True)
    edit_manifest(models.directory, lambda document: document["nli"].update(sha256="0" * 12))
    with pytest.raises(MLModelsInvalid, match="sha256"):
        load(models.directory)


def test_a_missing_tokenizer_is_named(tiny_models) -> None:
    models = tiny_models(nli=True)
    (models.directory / "nli" / "tokenizer.json").unlink()
    with pytest.raises(MLModelsInvalid, match=r"lacks tokenizer\.json"):
        load(models.directory)


def test_a_label_map_of_the_wrong_width_is_refused_at_load(tiny_models) -> None:
    models = tiny_models(nli=True)
    edit_manifest(
        models.directory,
        lambda document: document["nli"].update(label_map={"0": "entailment", "1": "other"}),
    )
    with pytest.raises(MLModelsInvalid, match="outputs 3 logits"):
        load(models.directory)


def test_an_unreadable_manifest_is_invalid(tiny_models) -> None:
    models = tiny_models(nli=True)
    (models.directory / "manifest.json").write_text("{not json")
    with pytest.raises(MLModelsInvalid, match=r"manifest\.json"):
        load(models.directory)


def test_exemplars_of_another_width_than_the_model_are_refused(tiny_models) -> None:
    import numpy as np

    models = tiny_models(nli=False, embed=True)
    wrong = {k: np.eye(3, 5, dtype=np.float32) for k in ("mechanism", "limitation", "testability")}
    np.savez(models.directory / "embed" / "exemplars.npz", **wrong)
    with pytest.raises(MLModelsInvalid, match="5-dimensional exemplars"):
        load(models.directory)


def test_intra_threads_below_one_is_refused(tiny_models) -> None:
    models = tiny_models(nli=True)
    with pytest.raises(ValueError, match="ONNX_INTRA_THREADS"):
        ModelRegistry.load(models.directory, intra_threads=0, nli_max_tokens=384)


def test_max_workers_below_one_is_refused(tiny_models) -> None:
    models = tiny_models(nli=True)
    with pytest.raises(ValueError, match="ML_MAX_WORKERS"):
        MLScorer.load(models.directory, max_workers=0)


def test_halves_without_a_manifest_are_invalid_not_missing(tiny_models) -> None:
    models = tiny_models(nli=True)
    (models.directory / "manifest.json").unlink()
    with pytest.raises(MLModelsInvalid, match=r"cannot read .*manifest\.json"):
        load(models.directory)
