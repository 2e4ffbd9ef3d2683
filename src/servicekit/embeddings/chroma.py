"""A directory Chroma's default embedding function can use offline.

Chroma's ``ONNXMiniLM_L6_V2`` looks for ``<DOWNLOAD_PATH>/onnx/`` holding ``model.onnx`` and the
tokenizer/config files, and downloads an archive from the internet only when one is missing. The
kit's built encoder is that same model (output 0 is the token states Chroma pools itself), so
linking its files into that layout lets Chroma's own function work with no network:

    ONNXMiniLM_L6_V2.DOWNLOAD_PATH = prepare_chroma_model_dir()
"""

from __future__ import annotations

import filecmp
import os
import shutil
import uuid
from pathlib import Path

from servicekit.config import suite_home
from servicekit.embeddings.local_model import (
    MODEL_NAME,
    ONNX_FILE,
    TOKENIZER_FILES,
    ensure_local_model,
)

# ONNXMiniLM_L6_V2.EXTRACTED_FOLDER_NAME
CHROMA_FOLDER = "onnx"


def default_chroma_model_dir() -> Path:
    """``suite_home()/models/chroma/all-MiniLM-L6-v2``."""
    return suite_home() / "models" / "chroma" / MODEL_NAME


def prepare_chroma_model_dir(target: Path | None = None, *, model_dir: Path | None = None) -> Path:
    """Fill ``target/onnx/`` from the local model (built first if needed); return ``target``.

    Files are hard-linked when ``target`` is on the same filesystem (no second 90 MB copy),
    copied otherwise, and replaced atomically, so concurrent callers and a running Chroma
    never see a partial file. Calling it again is cheap and refreshes files after a rebuild.
    """
    files = ensure_local_model(model_dir)
    target = target or default_chroma_model_dir()
    folder = target / CHROMA_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    for name in (ONNX_FILE, *TOKENIZER_FILES):
        _mirror(files.directory / name, folder / name)
    return target


def _mirror(source: Path, destination: Path) -> None:
    # A hard link shares the source's stat and copy2 keeps its size and mtime, so an up-to-date
    # file is recognised from its stat alone; only a differing one is read and compared.
    if destination.exists() and filecmp.cmp(source, destination, shallow=True):
        return
    tmp = destination.with_name(f".{destination.name}.{uuid.uuid4().hex}.tmp")
    try:
        try:
            os.link(source, tmp)
        except OSError:
            shutil.copy2(source, tmp)
        os.replace(tmp, destination)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
