"""The scripted debater of the API tests, for CLI runs in this process."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture
def scripted_debater() -> Callable[..., Any]:
    path = Path(__file__).parents[1] / "api" / "scripted_debater.py"
    spec = importlib.util.spec_from_file_location("galileo_cli_scripted_debater", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.debater
