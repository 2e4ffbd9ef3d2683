"""Write the embedding half of the models directory offline, from the kit's all-MiniLM-L6-v2.

No NLI model can be obtained without a model hub, so this half alone gives ML falsifiability
scores on a machine that cannot run the export script. The kit's ONNX graph already outputs
mean-pooled unit sentence vectors, hence pooling ``pooled``. An existing ``nli/`` half and its
manifest entry are kept.
"""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

from galileo_arena.ml.embed import EmbedModel
from galileo_arena.ml.errors import MLModelsInvalid
from galileo_arena.ml.exemplars import compute_exemplars, exemplar_set_id, save_exemplars
from galileo_arena.ml.manifest import (
    EMBED_MAX_TOKENS,
    EmbedModelInfo,
    Manifest,
    read_manifest,
    write_manifest,
)
from galileo_arena.ml.model_dir import (
    EMBED_DIR,
    EXEMPLARS_FILE,
    MANIFEST_FILE,
    MODEL_FILE,
    TOKENIZER_FILE,
    fingerprint,
    install_half,
    staging_dir,
    writer_lock,
)
from servicekit.logging import get_logger

log = get_logger(__name__)

LOCAL_EMBED_HF_ID = "sentence-transformers/all-MiniLM-L6-v2"
#: The kit's graph output holding pooled, normalised sentence vectors.
LOCAL_EMBED_OUTPUT = "sentence_embedding"


def prepare_local_models(models_dir: Path) -> Path:
    """Write ``models_dir/embed`` and its manifest entry unless they are already current.

    Current means: the manifest's embed entry names this model, its fingerprint matches the kit's
    ONNX file, its exemplars were computed from this version's sentences, and the files exist.
    An embedder written by the export script (BGE) is better and is never replaced. Returns
    ``models_dir``.
    """
    # Imported here: the kit's embeddings package loads every embedding client (openai...), which
    # only this one-off preparation needs, not every process importing the scorer.
    from servicekit.embeddings import ensure_local_model

    source = ensure_local_model()
    source_fingerprint = fingerprint(source.onnx_path)
    with writer_lock(models_dir):
        existing = _existing_manifest(models_dir)
        if _holds_exported_embedder(models_dir, existing):
            # A real export (BGE) scores better than the offline MiniLM: never replace it.
            log.info("galileo.ml.local_models.kept_export", models_dir=str(models_dir))
            return models_dir
        if _is_current(models_dir, existing, source_fingerprint):
            log.info("galileo.ml.local_models.current", models_dir=str(models_dir))
            return models_dir
        staged = staging_dir(models_dir, EMBED_DIR)
        try:
            shutil.copyfile(source.onnx_path, staged / MODEL_FILE)
            shutil.copyfile(source.tokenizer_path, staged / TOKENIZER_FILE)
            info = EmbedModelInfo(
                hf_id=LOCAL_EMBED_HF_ID,
                sha256=source_fingerprint,
                quantized="none",
                pooling="pooled",
                max_tokens=EMBED_MAX_TOKENS,
                input_names=("input_ids", "attention_mask"),
                output_name=LOCAL_EMBED_OUTPUT,
                exemplar_set=exemplar_set_id(),
            )
            encoder = EmbedModel.load(staged, info, intra_threads=1)
            info = replace(info, input_names=encoder.input_names)
            save_exemplars(staged / EXEMPLARS_FILE, compute_exemplars(encoder.embed))
            del encoder  # release the ONNX session before its directory is renamed
            install_half(staged, models_dir, EMBED_DIR)
        except BaseException:
            shutil.rmtree(staged, ignore_errors=True)
            raise
        nli = existing.nli if existing is not None else None
        write_manifest(models_dir, Manifest(nli=nli, embed=info))
    log.info("galileo.ml.local_models.written", models_dir=str(models_dir))
    return models_dir


def _existing_manifest(models_dir: Path) -> Manifest | None:
    """The current manifest, or ``None`` when there is none or it cannot be read (rewritten)."""
    if not (models_dir / MANIFEST_FILE).exists():
        return None
    try:
        return read_manifest(models_dir)
    except MLModelsInvalid as exc:
        log.warning(f"Replacing an unreadable manifest: {exc}")
        return None


def _holds_exported_embedder(models_dir: Path, manifest: Manifest | None) -> bool:
    return (
        manifest is not None
        and manifest.embed is not None
        and manifest.embed.hf_id != LOCAL_EMBED_HF_ID
        and (models_dir / EMBED_DIR / MODEL_FILE).is_file()
    )


def _is_current(models_dir: Path, manifest: Manifest | None, source_fingerprint: str) -> bool:
    if manifest is None or manifest.embed is None:
        return False
    embed = manifest.embed
    files_present = all(
        (models_dir / EMBED_DIR / name).is_file()
        for name in (MODEL_FILE, TOKENIZER_FILE, EXEMPLARS_FILE)
    )
    return (
        files_present
        and embed.hf_id == LOCAL_EMBED_HF_ID
        and embed.sha256 == source_fingerprint
        and embed.exemplar_set == exemplar_set_id()
        and fingerprint(models_dir / EMBED_DIR / MODEL_FILE) == source_fingerprint
    )
