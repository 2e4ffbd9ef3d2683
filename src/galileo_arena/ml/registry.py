"""Load whichever model halves the models directory holds, checked against its manifest.

A half is present when its sub-directory (``nli/`` or ``embed/``) exists. A present half must be
complete and match the manifest (the ONNX file's fingerprint, its inputs and outputs); anything
else is an ``MLModelsInvalid`` naming the problem, so a broken deployment fails at start-up rather
than scoring with the wrong model. No half at all is ``MLModelsMissing`` (the guide's message).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import numpy as np
import onnxruntime as ort
from numpy.typing import NDArray

from galileo_arena.ml.embed import EmbedModel
from galileo_arena.ml.errors import MLModelsInvalid, MLModelsMissing
from galileo_arena.ml.exemplars import exemplar_set_id, load_exemplars
from galileo_arena.ml.manifest import EmbedModelInfo, Manifest, NliModelInfo, read_manifest
from galileo_arena.ml.model_dir import (
    EMBED_DIR,
    EXEMPLARS_FILE,
    MANIFEST_FILE,
    MODEL_FILE,
    NLI_DIR,
    TOKENIZER_FILE,
    fingerprint,
)
from galileo_arena.ml.nli import NliModel
from servicekit.logging import get_logger

log = get_logger(__name__)


@dataclass(frozen=True)
class Availability:
    """Which halves are loaded; the other half's ``MLScores`` fields stay ``None``."""

    nli: bool
    embed: bool

    def __str__(self) -> str:
        halves = [name for name, present in (("nli", self.nli), ("embed", self.embed)) if present]
        return "+".join(halves) or "none"


@dataclass(frozen=True)
class ModelRegistry:
    directory: Path
    nli: NliModel | None
    embed: EmbedModel | None
    #: Exemplar matrices per falsifiability dimension (present with ``embed``).
    exemplars: dict[str, NDArray[np.float32]]

    @property
    def available(self) -> Availability:
        return Availability(nli=self.nli is not None, embed=self.embed is not None)

    @property
    def sessions(self) -> tuple[ort.InferenceSession, ...]:
        return tuple(model.session for model in (self.nli, self.embed) if model is not None)

    @classmethod
    def load(cls, models_dir: Path, *, intra_threads: int, nli_max_tokens: int) -> ModelRegistry:
        """Load the halves in ``models_dir`` and run each once, so the first request is fast."""
        if intra_threads < 1:
            raise ValueError(f"ONNX_INTRA_THREADS must be at least 1, got {intra_threads}")
        nli_dir, embed_dir = models_dir / NLI_DIR, models_dir / EMBED_DIR
        if not (nli_dir.is_dir() or embed_dir.is_dir()):
            raise MLModelsMissing(models_dir)
        manifest = read_manifest(models_dir)
        nli = (
            _load_nli(nli_dir, manifest, intra_threads=intra_threads, max_tokens=nli_max_tokens)
            if nli_dir.is_dir()
            else None
        )
        embed, exemplars = (
            _load_embed(embed_dir, manifest, intra_threads=intra_threads)
            if embed_dir.is_dir()
            else (None, {})
        )
        registry = cls(directory=models_dir, nli=nli, embed=embed, exemplars=exemplars)
        for half, model in (("nli", nli), ("embed", embed)):
            if model is None:
                log.warning(
                    f"ML scoring runs without its {half} half (no {models_dir / half}/); "
                    "the scores it gives fall back to keywords."
                )
        log.info(
            f"ML scoring models ready ({len(registry.sessions)} ONNX sessions).",
            models_dir=str(models_dir),
            halves=str(registry.available),
        )
        return registry


def _load_nli(
    directory: Path, manifest: Manifest, *, intra_threads: int, max_tokens: int
) -> NliModel:
    info = _require(manifest.nli, directory)
    _check_files(directory, info, (MODEL_FILE, TOKENIZER_FILE))
    return NliModel.load(directory, info, intra_threads=intra_threads, max_tokens=max_tokens)


def _load_embed(
    directory: Path, manifest: Manifest, *, intra_threads: int
) -> tuple[EmbedModel, dict[str, NDArray[np.float32]]]:
    info = _require(manifest.embed, directory)
    _check_files(directory, info, (MODEL_FILE, TOKENIZER_FILE, EXEMPLARS_FILE))
    model = EmbedModel.load(directory, info, intra_threads=intra_threads)
    exemplars = load_exemplars(directory / EXEMPLARS_FILE)
    width = model.embed(["The sessions are warm."]).shape[1]
    exemplar_width = next(iter(exemplars.values())).shape[1]
    if width != exemplar_width:
        raise MLModelsInvalid(
            f"{directory / EXEMPLARS_FILE} holds {exemplar_width}-dimensional exemplars but the "
            f"model embeds into {width} dimensions; recompute them with the model"
        )
    if info.exemplar_set != exemplar_set_id():
        # Still usable (exemplars of the same kind), but not the sentences this version ships.
        log.warning(
            f"{directory / EXEMPLARS_FILE} was computed from other exemplar sentences than this "
            "version's; re-export or re-run `suite galileo prepare-models` to refresh it."
        )
    return model, exemplars


_Info = TypeVar("_Info", NliModelInfo, EmbedModelInfo)


def _require(info: _Info | None, directory: Path) -> _Info:
    if info is None:
        raise MLModelsInvalid(
            f"{directory}/ exists but {directory.parent / MANIFEST_FILE} does not describe it"
        )
    return info


def _check_files(
    directory: Path, info: NliModelInfo | EmbedModelInfo, names: tuple[str, ...]
) -> None:
    missing = [name for name in names if not (directory / name).is_file()]
    if missing:
        raise MLModelsInvalid(f"{directory}/ lacks {', '.join(missing)}")
    actual = fingerprint(directory / MODEL_FILE)
    if actual != info.sha256:
        raise MLModelsInvalid(
            f"{directory / MODEL_FILE} has sha256 {actual}... but the manifest records "
            f"{info.sha256}...: the manifest describes another export (its label map and "
            "settings may not fit this file)"
        )
