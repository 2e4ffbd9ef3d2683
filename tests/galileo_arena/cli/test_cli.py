"""The headless CLI: `suite galileo run` end to end on the real local model, then `export`."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from galileo_arena.cli import cli
from galileo_arena.ml.local_models import prepare_local_models
from servicekit.embedded import sync_url


@pytest.fixture
def cli_env(make_database: Callable[[str], str], tmp_path: Path) -> dict[str, str]:
    return {
        "DATABASE_URL": make_database("galileo_cli"),
        "ML_MODELS_DIR": str(prepare_local_models(tmp_path / "models")),
    }


@pytest.mark.slow
def test_run_a_case_on_the_local_model_and_export_it(
    cli_env: dict[str, str], local_model_path: Path
) -> None:
    """The guide's promise without any key: the in-process Gemma answers every role. The base
    model writes mostly garbage, so this proves the whole path (debate, retries, fallbacks, ML
    scoring, storage, progress, summary) survives a real model's output."""
    env = {
        **cli_env,
        "LOCAL_LLM_MODEL_PATH": str(local_model_path),
        "LOCAL_DEBATE_MAX_TOKENS": "16",  # enough to exercise parsing; keeps this near a minute
        "LLM_MAX_RETRIES": "0",
    }
    args = ["run", "--dataset", "climate_v1", "--model", "local/gemma3-270m", "--cases", "CL01"]
    result = CliRunner().invoke(cli, args, env=env)
    assert result.exit_code == 0, result.output
    run_id = re.search(r"run ([0-9a-f-]{36})", result.output).group(1)
    assert "local/gemma3-270m" in result.output and "COMPLETED" in result.output

    exported = CliRunner().invoke(cli, ["export", run_id, "--format", "json"], env=env)
    assert exported.exit_code == 0, exported.output
    body = json.loads(exported.stdout)
    [row] = body["results"]
    assert row["case_id"] == "CL01" and row["outcome"] == "scored"
    assert row["llm_calls"] >= 14
    # a critical fail is scored without ML; anything else went through the ML blend
    assert row["scoring_mode"] == ("deterministic" if row["critical_fail_reason"] else "ml")
    engine = sa.create_engine(sync_url(env["DATABASE_URL"]))
    with engine.connect() as conn:
        phases = (
            conn.execute(
                sa.text("SELECT phase FROM run_messages WHERE run_id = :r ORDER BY id"),
                {"r": run_id},
            )
            .scalars()
            .all()
        )
    engine.dispose()
    assert 14 <= len(phases) <= 17
    assert phases[0] == "independent" and phases[-1] == "judge"


def test_run_with_a_scripted_model_prints_a_table_and_exports_csv(
    cli_env: dict[str, str],
    llm_script: Callable[..., object],
    scripted_debater: Callable[..., object],
) -> None:
    llm_script("scripted/cli", scripted_debater(verdict="SUPPORTED"))
    args = ["run", "--dataset", "football_v1", "--model", "scripted/cli", "--cases", "FB01,FB02"]
    result = CliRunner().invoke(cli, args, env=cli_env)
    assert result.exit_code == 0, result.output
    assert "PASS" in result.output or "FAIL" in result.output
    run_id = re.search(r"run ([0-9a-f-]{36})", result.output).group(1)
    exported = CliRunner().invoke(cli, ["export", run_id, "--format", "csv"], env=cli_env)
    rows = list(csv.DictReader(io.StringIO(exported.stdout)))
    assert [r["case_id"] for r in rows] == ["FB01", "FB02"]


def test_run_refuses_unknown_cases_and_missing_keys(cli_env: dict[str, str]) -> None:
    missing = CliRunner().invoke(
        cli, ["run", "--dataset", "climate_v1", "--model", "openai/gpt-4o"],
        env={**cli_env, "OPENAI_API_KEY": ""},
    )  # fmt: skip
    assert missing.exit_code == 1
    assert "OPENAI_API_KEY" in missing.output


def test_import_reports_malformed_files(cli_env: dict[str, str], tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "broken_v1.json").write_text('{"id": "broken", "cases": [')
    result = CliRunner().invoke(cli, ["import", str(tmp_path / "data")], env=cli_env)
    assert result.exit_code == 1
    assert "broken_v1.json" in result.output


def test_ml_enabled_without_models_refuses_with_the_guides_message(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    env = {**cli_env, "ML_MODELS_DIR": str(tmp_path / "nothing-here")}
    result = CliRunner().invoke(
        cli, ["run", "--dataset", "climate_v1", "--model", "local/gemma3-270m"], env=env
    )
    assert result.exit_code == 1
    assert "ML_SCORING_ENABLED=true but ONNX models not found in" in result.output
