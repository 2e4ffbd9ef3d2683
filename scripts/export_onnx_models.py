"""Export Galileo Arena's ML scoring models to ONNX (dev-only; needs torch and a model hub).

    pip install -r scripts/requirements-export.txt
    python -m scripts.export_onnx_models --output-dir models

Downloads the NLI cross-encoder (cross-encoder/nli-deberta-v3-base) and the sentence embedder
(BAAI/bge-small-en-v1.5), exports both to ONNX, quantises their weights to INT8 (dynamic QInt8),
and writes the models directory the service loads:

    <dir>/manifest.json
    <dir>/nli/{model.onnx, tokenizer.json}
    <dir>/embed/{model.onnx, tokenizer.json, exemplars.npz}

The NLI label map is read from the model's own config (``id2label``), and the exemplar embeddings
are computed through the service's runtime code on the exported file, so export and runtime agree.
Production needs none of the export dependencies, only onnxruntime and tokenizers.
"""

from __future__ import annotations

import argparse
import importlib
import json
import shutil
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from galileo_arena.ml.embed import EmbedModel
from galileo_arena.ml.exemplars import compute_exemplars, exemplar_set_id, save_exemplars
from galileo_arena.ml.manifest import (
    EMBED_MAX_TOKENS,
    EmbedModelInfo,
    Manifest,
    NliModelInfo,
    Pooling,
    Quantization,
    write_manifest,
)
from galileo_arena.ml.model_dir import (
    EMBED_DIR,
    EXEMPLARS_FILE,
    MODEL_FILE,
    NLI_DIR,
    TOKENIZER_FILE,
    fingerprint,
    install_half,
    staging_dir,
    writer_lock,
)
from galileo_arena.ml.nli import NliModel

DEFAULT_NLI_MODEL = "cross-encoder/nli-deberta-v3-base"
DEFAULT_EMBED_MODEL = "BAAI/bge-small-en-v1.5"
INSTALL_COMMAND = 'pip install torch "optimum[onnxruntime]" transformers'
#: Imported only when exporting: none of them is installed in production.
EXPORT_MODULES = ("torch", "transformers", "optimum.exporters.onnx", "onnxruntime.quantization")
NLI_MAX_TOKENS = 384
# An obviously entailed pair: the exported model must rank "entailment" first on it, which
# catches a label map that does not fit the logits before anything is written.
_ENTAILED_PAIR = ("A man is playing a guitar on stage.", "A person is playing an instrument.")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m scripts.export_onnx_models",
        description="Export the ML scoring models (NLI cross-encoder and sentence embedder) to "
        "INT8 ONNX with their tokenizers, exemplar embeddings and manifest. Dev-only: needs "
        f"{INSTALL_COMMAND} and access to the Hugging Face hub.",
    )
    parser.add_argument(
        "--output-dir",
        type=Path,
        default=Path("models"),
        help="the models directory to write (ML_MODELS_DIR; default: models)",
    )
    parser.add_argument("--nli-model", default=DEFAULT_NLI_MODEL, help="hub id of the NLI model")
    parser.add_argument(
        "--embed-model", default=DEFAULT_EMBED_MODEL, help="hub id of the sentence embedder"
    )
    parser.add_argument(
        "--embed-pooling",
        choices=("cls", "mean"),
        default="cls",
        help="how the embedder's token states become a sentence vector (BGE: cls)",
    )
    parser.add_argument(
        "--no-quantize",
        action="store_true",
        help="keep float32 weights (larger and slower; for comparing against INT8)",
    )
    return parser.parse_args(argv)


def missing_export_modules() -> list[str]:
    missing = []
    for name in EXPORT_MODULES:
        try:
            importlib.import_module(name)
        except ImportError:
            missing.append(name)
    return missing


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    missing = missing_export_modules()
    if missing:
        print(
            f"The export needs {', '.join(missing)}, which are not installed. Install the "
            f"dev-only export dependencies with:\n    {INSTALL_COMMAND}\n"
            "(or: pip install -r scripts/requirements-export.txt). Production does not need "
            "them; offline, `suite galileo prepare-models` writes the embedding half without "
            "them.",
            file=sys.stderr,
        )
        return 2
    quantized: Quantization = "none" if args.no_quantize else "int8"
    nli, embed = export_models(
        args.output_dir,
        nli_model=args.nli_model,
        embed_model=args.embed_model,
        quantized=quantized,
        pooling=args.embed_pooling,
    )
    print(f"Wrote {args.output_dir}/: manifest.json, {NLI_DIR}/ ({nli.hf_id}), ", end="")
    print(f"{EMBED_DIR}/ ({embed.hf_id})")
    print(f"NLI label map: {nli.label_map} (entailment = column {nli.entailment_index})")
    return 0


def export_models(
    output: Path,
    *,
    nli_model: str = DEFAULT_NLI_MODEL,
    embed_model: str = DEFAULT_EMBED_MODEL,
    quantized: Quantization = "int8",
    pooling: Pooling = "cls",
) -> tuple[NliModelInfo, EmbedModelInfo]:
    """Write both halves and the manifest into ``output``; on failure the old halves stay."""
    with writer_lock(output):
        nli_staged = staging_dir(output, NLI_DIR)
        embed_staged = staging_dir(output, EMBED_DIR)
        try:
            nli = export_nli(nli_model, nli_staged, quantized=quantized)
            embed = export_embed(embed_model, embed_staged, quantized=quantized, pooling=pooling)
            install_half(nli_staged, output, NLI_DIR)
            install_half(embed_staged, output, EMBED_DIR)
        except BaseException:
            shutil.rmtree(nli_staged, ignore_errors=True)
            shutil.rmtree(embed_staged, ignore_errors=True)
            raise
        write_manifest(output, Manifest(nli=nli, embed=embed))
    return nli, embed


def export_nli(hf_id: str, target: Path, *, quantized: Quantization) -> NliModelInfo:
    """Export, quantise and check the NLI cross-encoder into ``target``."""
    with tempfile.TemporaryDirectory(prefix="galileo-nli-export.") as scratch:
        raw = Path(scratch)
        _export_onnx(hf_id, raw, task="text-classification")
        config = json.loads((raw / "config.json").read_text(encoding="utf-8"))
        label_map = {int(index): str(name) for index, name in config["id2label"].items()}
        _finish_model(raw / MODEL_FILE, target / MODEL_FILE, quantized=quantized)
        _copy_tokenizer(hf_id, raw, target)
    info = NliModelInfo(
        hf_id=hf_id,
        sha256=fingerprint(target / MODEL_FILE),
        quantized=quantized,
        label_map=label_map,
        input_names=("input_ids", "attention_mask"),
        output_name="logits",
    )
    model = NliModel.load(target, info, intra_threads=1, max_tokens=NLI_MAX_TOKENS)
    (probabilities,) = model.probabilities([_ENTAILED_PAIR])
    if int(probabilities.argmax()) != info.entailment_index:
        scored = {label_map[i]: round(float(p), 3) for i, p in enumerate(probabilities)}
        raise SystemExit(
            f"{hf_id}: an obviously entailed pair scored {scored}; the exported model or its "
            "id2label is not what the scorer expects"
        )
    return replace(info, input_names=model.input_names)


def export_embed(
    hf_id: str, target: Path, *, quantized: Quantization, pooling: Pooling
) -> EmbedModelInfo:
    """Export and quantise the embedder into ``target``, then compute its exemplars with it."""
    with tempfile.TemporaryDirectory(prefix="galileo-embed-export.") as scratch:
        raw = Path(scratch)
        _export_onnx(hf_id, raw, task="feature-extraction")
        _finish_model(raw / MODEL_FILE, target / MODEL_FILE, quantized=quantized)
        _copy_tokenizer(hf_id, raw, target)
    info = EmbedModelInfo(
        hf_id=hf_id,
        sha256=fingerprint(target / MODEL_FILE),
        quantized=quantized,
        pooling=pooling,
        max_tokens=EMBED_MAX_TOKENS,
        input_names=("input_ids", "attention_mask"),
        output_name="last_hidden_state",
        exemplar_set=exemplar_set_id(),
    )
    encoder = EmbedModel.load(target, info, intra_threads=1)
    save_exemplars(target / EXEMPLARS_FILE, compute_exemplars(encoder.embed))
    return replace(info, input_names=encoder.input_names)


def _export_onnx(hf_id: str, output: Path, *, task: str) -> None:
    from optimum.exporters.onnx import main_export

    main_export(hf_id, output=output, task=task)


def _finish_model(exported: Path, target: Path, *, quantized: Quantization) -> None:
    if quantized == "none":
        shutil.copyfile(exported, target)
        return
    from onnxruntime.quantization import QuantType, quantize_dynamic

    # Dynamic quantisation: INT8 weights, activations quantised per run; no calibration data.
    quantize_dynamic(str(exported), str(target), weight_type=QuantType.QInt8)


def _copy_tokenizer(hf_id: str, exported: Path, target: Path) -> None:
    """Copy the fast tokenizer's ``tokenizer.json``, converting a slow tokenizer if needed."""
    source = exported / TOKENIZER_FILE
    if not source.is_file():
        from transformers import AutoTokenizer

        AutoTokenizer.from_pretrained(hf_id, use_fast=True).save_pretrained(str(exported))
    if not source.is_file():
        raise SystemExit(
            f"{hf_id} has no fast tokenizer (tokenizer.json); install sentencepiece and protobuf "
            "so transformers can convert it"
        )
    shutil.copyfile(source, target / TOKENIZER_FILE)


if __name__ == "__main__":
    raise SystemExit(main())
