"""The inference settings by their environment names, and a disabled prediction cache."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from modelforge.config import Settings
from modelforge.main import build_app
from servicekit.testing.app import app_client


def test_inference_settings_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    defaults = Settings(_env_file=None)
    assert defaults.cache_prediction_enabled is True
    assert defaults.cache_key_prefix == "modelforge:"
    for name, value in {
        "CACHE_PREDICTION_ENABLED": "false",
        "CACHE_KEY_PREFIX": "mf-prod:",
        "INFERENCE_WORKERS": "2",
        "ORT_INTRA_OP_THREADS": "3",
        "MAX_LOADED_MODELS": "5",
        "MAX_INPUT_ELEMENTS": "1000",
    }.items():
        monkeypatch.setenv(name, value)

    settings = Settings(_env_file=None)

    assert settings.cache_prediction_enabled is False
    assert settings.cache_key_prefix == "mf-prod:"
    assert (settings.inference_workers, settings.ort_intra_op_threads) == (2, 3)
    assert (settings.max_loaded_models, settings.max_input_elements) == (5, 1000)


async def test_disabled_cache_bypasses_and_input_limit_applies(
    mf_settings: Settings, regressor_onnx: bytes
) -> None:
    settings = mf_settings.model_copy(
        update={"cache_prediction_enabled": False, "max_input_elements": 8}
    )
    async with app_client(build_app(settings)) as client:
        token = (
            await client.post(
                "/api/v1/auth/register", json={"login": "admin", "password": "admin-password-1"}
            )
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        model_id = (
            await client.post("/api/v1/models", json={"name": "m"}, headers=headers)
        ).json()["id"]
        await client.post(
            f"/api/v1/models/{model_id}/upload",
            files={"file": ("m.onnx", regressor_onnx, "application/octet-stream")},
            headers=headers,
        )
        await client.post(f"/api/v1/models/{model_id}/validate", headers=headers)

        async def predict(rows: Any) -> httpx.Response:
            return await client.post(
                f"/api/v1/models/{model_id}/predict",
                json={"input_data": {"X": rows}},
                headers=headers,
            )

        statuses = [(await predict([[1, 2, 3, 4]])).headers["X-Cache"] for _ in range(2)]
        too_big = await predict([[1, 2, 3, 4]] * 3)
        metrics = (await client.get("/api/v1/cache/metrics", headers=headers)).json()

    assert statuses == ["BYPASS", "BYPASS"]
    assert too_big.status_code == 422
    assert "exceed the limit of 8" in too_big.json()["error"]["details"]["problems"][0]
    assert metrics["prediction_cache"]["enabled"] is False
    assert metrics["prediction_cache"]["total_requests"] == 0
