"""Real ONNX models for the inference tests, built once per session (see onnx_models.py)."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest


def _load_builders() -> ModuleType:
    # Test folders are not packages (importlib mode): register the helper module by hand so that
    # test modules can import its types under TYPE_CHECKING and fixtures can use its builders.
    spec = importlib.util.spec_from_file_location(
        "onnx_models", Path(__file__).with_name("onnx_models.py")
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("onnx_models", module)
    spec.loader.exec_module(module)
    return module


builders = _load_builders()


@pytest.fixture(scope="session")
def models_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("onnx-models")


@pytest.fixture(scope="session")
def classifier(models_dir: Path) -> builders.BuiltModel:
    return builders.build_classifier(models_dir)


@pytest.fixture(scope="session")
def regressor(models_dir: Path) -> builders.BuiltModel:
    return builders.build_regressor(models_dir)


@pytest.fixture(scope="session")
def multi_input(models_dir: Path) -> builders.BuiltModel:
    return builders.build_multi_input(models_dir)


@pytest.fixture(scope="session")
def string_model(models_dir: Path) -> builders.BuiltModel:
    return builders.build_string_model(models_dir)


@pytest.fixture(scope="session")
def int_model(models_dir: Path) -> builders.BuiltModel:
    return builders.build_int_model(models_dir)


@pytest.fixture(scope="session")
def non_finite(models_dir: Path) -> builders.BuiltModel:
    return builders.build_non_finite(models_dir)


@pytest.fixture
def int_scaler() -> Callable[[int, Path], builders.BuiltModel]:
    """Builds ``ids * factor`` at a given path (to replace a model's file in place)."""
    return builders.build_int_scaler
