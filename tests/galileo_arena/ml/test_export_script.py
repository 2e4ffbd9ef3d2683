"""The dev-only export script: its help, and its message when the export packages are missing."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnx
import pytest

from galileo_arena.ml import MLScorer
from galileo_arena.ml.exemplars import compute_exemplars
from galileo_arena.ml.model_dir import fingerprint

REPO = Path(__file__).resolve().parents[3]
# Runs the script as `python -m scripts.export_onnx_models` would, with the heavy packages made
# unimportable (a None entry in sys.modules), whether or not this machine happens to have them.
WITHOUT_EXPORT_PACKAGES = (
    "import runpy, sys\n"
    "for name in ('torch', 'transformers', 'optimum', 'optimum.exporters.onnx'):\n"
    "    sys.modules[name] = None\n"
    "sys.argv = ['export_onnx_models', *sys.argv[1:]]\n"
    "runpy.run_module('scripts.export_onnx_models', run_name='__main__')\n"
)


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], cwd=REPO, capture_output=True, text=True, timeout=120
    )


def test_help_describes_the_command() -> None:
    result = run("-m", "scripts.export_onnx_models", "--help")
    assert result.returncode == 0, result.stderr
    assert "python -m scripts.export_onnx_models" in result.stdout
    assert "--output-dir" in result.stdout


def test_missing_packages_name_the_install_command(tmp_path: Path) -> None:
    output = tmp_path / "models"
    result = run("-c", WITHOUT_EXPORT_PACKAGES, "--output-dir", str(output))
    assert result.returncode == 2
    assert 'pip install torch "optimum[onnxruntime]" transformers' in result.stderr
    assert "torch" in result.stderr.split("which are not installed")[0]
    assert "Traceback" not in result.stderr
    assert not output.exists()


def load_script():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location(
        "export_onnx_models", REPO / "scripts" / "export_onnx_models.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def script(monkeypatch: pytest.MonkeyPatch, tiny_model_builders):  # type: ignore[no-untyped-def]
    """The script with its one hub-bound step (optimum's export) writing the tiny models instead.

    Everything after it runs for real: INT8 quantisation, id2label from config.json, the label
    map check, exemplars through the runtime code, staging and the manifest.
    """
    module = load_script()
    module.misname_entailment = False

    def export_locally(hf_id: str, output: Path, *, task: str) -> None:
        if task == "feature-extraction":
            tiny_model_builders.embed(output)
            return
        tiny = tiny_model_builders.nli(output)
        logits = tiny.logits(*module._ENTAILED_PAIR)
        top = int(np.argmax(logits))
        # Normally config.json names the column the model ranks first on an entailed pair.
        column = (top + 1) % 3 if module.misname_entailment else top
        others = iter(["contradiction", "neutral"])
        id2label = {str(i): "entailment" if i == column else next(others) for i in range(3)}
        (output / "config.json").write_text(json.dumps({"id2label": id2label}))

    monkeypatch.setattr(module, "_export_onnx", export_locally)
    return module


def test_export_writes_a_directory_the_scorer_loads(script, tmp_path: Path) -> None:
    output = tmp_path / "models"
    nli, _ = script.export_models(output, quantized="int8")

    manifest = json.loads((output / "manifest.json").read_text())
    assert manifest["nli"]["quantized"] == manifest["embed"]["quantized"] == "int8"
    assert manifest["nli"]["label_map"] == {str(i): n for i, n in nli.label_map.items()}
    assert manifest["nli"]["sha256"] == fingerprint(output / "nli" / "model.onnx")
    assert manifest["embed"]["pooling"] == "cls"
    quantized_ops = {
        node.op_type for node in onnx.load(str(output / "nli" / "model.onnx")).graph.node
    }
    assert "DynamicQuantizeLinear" in quantized_ops or "DequantizeLinear" in quantized_ops
    assert sorted(p.name for p in output.iterdir()) == ["embed", "manifest.json", "nli"]

    scorer = MLScorer.load(output, intra_threads=1, max_workers=1)
    try:
        scores = scorer.score_sync("Sea levels rose. The evidence shows it.", ["Sea levels rose."])
        # The stored exemplars are what the runtime computes with the exported file.
        recomputed = compute_exemplars(scorer.registry.embed.embed)
    finally:
        scorer.close()
    assert None not in scores.as_dict().values()
    with np.load(output / "embed" / "exemplars.npz") as stored:
        for key, matrix in recomputed.items():
            np.testing.assert_allclose(stored[key], matrix, atol=1e-6)


def test_a_label_map_that_contradicts_the_model_stops_the_export(script, tmp_path) -> None:
    output = tmp_path / "models"
    script.misname_entailment = True
    with pytest.raises(SystemExit, match="not what the scorer expects"):
        script.export_models(output, quantized="none")
    assert list(output.iterdir()) == []
