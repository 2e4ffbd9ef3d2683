"""List settings in either form, and development secrets shared by every process."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic_settings import BaseSettings

from servicekit.config import CommaList


class _Listed(BaseSettings):
    origins: CommaList = []


@pytest.mark.parametrize(
    "raw", ["https://a.example, https://b.example", '["https://a.example", "https://b.example"]']
)
def test_a_list_setting_reads_commas_or_json(raw: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ORIGINS", raw)
    assert _Listed().origins == ["https://a.example", "https://b.example"]


_PRINT_SECRET = (
    "from servicekit.config import generated_secret; "
    "print(generated_secret('svc', 'key').get_secret_value())"
)


def test_a_generated_secret_is_created_once_private_and_shared(tmp_path: Path) -> None:
    env = {**os.environ, "SUITE_HOME": str(tmp_path / "home")}
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", _PRINT_SECRET], env=env, stdout=subprocess.PIPE, text=True
        )
        for _ in range(6)
    ]  # started together: they race to create the file
    values = {process.communicate(timeout=60)[0].strip() for process in processes}
    assert len(values) == 1 and len(values.pop()) >= 40  # one value, whoever won the race
    path = tmp_path / "home" / "svc" / "key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in path.parent.iterdir()] == ["key"]  # no temporary left behind
