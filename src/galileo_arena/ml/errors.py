"""Why the ML scorer could not be loaded: the models are absent, or present but unusable."""

from __future__ import annotations

from pathlib import Path


class MLModelsMissing(RuntimeError):
    """No usable model half in the models directory while ML scoring is enabled.

    The message starts with the deployment guide's text, so the guide's troubleshooting entry
    ("ONNX models not found") matches what operators see, then says how to fix it.
    """

    def __init__(self, models_dir: Path) -> None:
        shown = str(models_dir)
        if not shown.endswith("/"):
            shown += "/"
        super().__init__(
            f"ML_SCORING_ENABLED=true but ONNX models not found in '{shown}'. "
            f"Export them on a dev machine with `python -m scripts.export_onnx_models "
            f"--output-dir {models_dir}` (needs torch, optimum[onnxruntime] and transformers), "
            "or write the offline embedding half with `suite galileo prepare-models`, "
            "or set ML_SCORING_ENABLED=false to score with keywords only."
        )
        self.models_dir = models_dir


class MLModelsInvalid(RuntimeError):
    """The models directory exists but its manifest or files are inconsistent or unreadable."""
