"""The models directory on disk: its file names, and how writers replace parts of it safely.

```
<dir>/manifest.json
<dir>/nli/{model.onnx, tokenizer.json}
<dir>/embed/{model.onnx, tokenizer.json, exemplars.npz}
```

Writers (the export script, ``prepare_local_models``) stage a half in a temporary directory beside
its final place and rename it in, then replace the manifest, so a reader never loads a half-written
ONNX file. A file lock keeps two writers (a web process and a worker starting together) apart.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path

from filelock import FileLock

MANIFEST_FILE = "manifest.json"
NLI_DIR = "nli"
EMBED_DIR = "embed"
MODEL_FILE = "model.onnx"
TOKENIZER_FILE = "tokenizer.json"
EXEMPLARS_FILE = "exemplars.npz"
FINGERPRINT_CHARS = 12
# Far longer than writing the halves on a loaded machine: waiting past it means a stuck writer.
_LOCK_TIMEOUT_S = 600
_CHUNK = 1 << 20


def fingerprint(path: Path) -> str:
    """The first 12 hex characters of the file's sha256, as the manifest records it."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()[:FINGERPRINT_CHARS]


def writer_lock(models_dir: Path) -> FileLock:
    """The lock every writer of ``models_dir`` holds; it lives beside the directory, not in it."""
    models_dir.parent.mkdir(parents=True, exist_ok=True)
    return FileLock(models_dir.parent / f".{models_dir.name}.write.lock", timeout=_LOCK_TIMEOUT_S)


def staging_dir(models_dir: Path, half: str) -> Path:
    """A fresh empty directory inside ``models_dir`` (same filesystem) to build ``half`` in."""
    models_dir.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f".{half}.staging.", dir=models_dir))


def install_half(staged: Path, models_dir: Path, half: str) -> None:
    """Move the finished ``staged`` directory to ``models_dir/half``, replacing any old one.

    A directory cannot be renamed over a non-empty one, so the old half is first renamed aside
    (one rename each: the gap without a half lasts microseconds) and deleted afterwards.
    """
    target = models_dir / half
    retired: Path | None = None
    if target.exists():
        retired = Path(tempfile.mkdtemp(prefix=f".{half}.retired.", dir=models_dir))
        os.replace(target, retired / half)
    os.replace(staged, target)
    # mkdtemp makes owner-only directories; the service may run as another user than the writer.
    target.chmod(0o755)
    if retired is not None:
        shutil.rmtree(retired, ignore_errors=True)
