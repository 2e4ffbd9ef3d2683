"""``suite modelforge``: migrate, create-admin and upload through the service layer."""

from __future__ import annotations

import json
import pickle
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from modelforge.cli import cli


@pytest.fixture
def env(
    make_database: Callable[[str], str],
    redis_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Path:
    monkeypatch.setenv("DATABASE_URL", make_database("modelforge"))
    monkeypatch.setenv("REDIS_URL", redis_url)
    monkeypatch.setenv("SECRET_KEY", "modelforge-test-secret-key-0123456789")
    monkeypatch.setenv("MODEL_STORAGE_PATH", str(tmp_path / "models"))
    monkeypatch.chdir(tmp_path)  # no stray .env
    return tmp_path


def test_migrate_create_admin_and_upload(env: Path, classifier_onnx: bytes) -> None:
    runner = CliRunner()
    migrated = runner.invoke(cli, ["migrate"])
    assert migrated.exit_code == 0, migrated.output
    assert "revision 0001" in migrated.output

    admin = runner.invoke(cli, ["create-admin", "ops", "--password", "ops-password-123"])
    assert admin.exit_code == 0, admin.output
    assert "ops is an admin" in admin.output

    model_file = env / "churn.onnx"
    model_file.write_bytes(classifier_onnx)
    uploaded = runner.invoke(
        cli, ["upload", str(model_file), "--name", "churn", "--version", "2.0.0", "--owner", "ops"]
    )
    assert uploaded.exit_code == 0, uploaded.output
    assert "churn 2.0.0: ready" in uploaded.output
    assert "input  X: float32 [None, 4]" in uploaded.output

    pickled = env / "churn.pkl"
    pickled.write_bytes(pickle.dumps({"coef": [1.0]}))
    refused = runner.invoke(
        cli, ["upload", str(pickled), "--name", "churn", "--version", "3.0.0", "--owner", "ops"]
    )
    assert refused.exit_code == 1
    assert "skl2onnx" in refused.output

    unknown = runner.invoke(cli, ["upload", str(model_file), "--name", "x", "--owner", "nobody"])
    assert unknown.exit_code == 1 and "no account 'nobody'" in unknown.output


def test_predict_and_jobs_from_the_command_line(env: Path, classifier_onnx: bytes) -> None:
    runner = CliRunner()
    assert (
        runner.invoke(cli, ["create-admin", "ops", "--password", "ops-password-123"]).exit_code == 0
    )
    model_file = env / "churn.onnx"
    model_file.write_bytes(classifier_onnx)
    args = ["upload", str(model_file), "--name", "churn", "--owner", "ops"]
    assert runner.invoke(cli, args).exit_code == 0

    row = '{"X": [[0.1, 0.2, 0.3, 0.4]]}'
    first = runner.invoke(cli, ["predict", "churn", "--as", "ops", "--input", row])
    assert first.exit_code == 0, first.output
    outputs = json.loads(first.stdout.strip().splitlines()[-1])
    assert set(outputs) >= {"label"}
    assert "cache MISS" in first.stderr
    again = runner.invoke(cli, ["predict", "churn", "--as", "ops", "--input", row])
    assert "cache HIT" in again.stderr

    bad = runner.invoke(cli, ["predict", "churn", "--as", "ops", "--input", '{"X": [1]}'])
    assert bad.exit_code == 1 and "input 'X'" in bad.output

    batch = env / "batch.jsonl"
    batch.write_text(row + "\n" + row + "\n")
    submitted = runner.invoke(
        cli, ["jobs", "--as", "ops", "--submit", "churn", "--input-file", str(batch)]
    )
    assert submitted.exit_code == 0, submitted.output
    listed = runner.invoke(cli, ["jobs", "--as", "ops", "--status", "queued"])
    assert listed.exit_code == 0
    assert listed.output.count("queued") == 1  # the batch is one job, waiting for a worker
