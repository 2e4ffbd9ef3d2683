"""Prediction tests: each test gets its own cache namespace on the shared embedded Redis, and
helpers that take a real ONNX model through create -> upload -> validate."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable

import httpx
import numpy as np
import onnx
import pytest
from fastapi import FastAPI
from onnx import TensorProto, helper
from skl2onnx import to_onnx
from skl2onnx.common.data_types import FloatTensorType
from sklearn.linear_model import LogisticRegression

from modelforge.config import Settings
from modelforge.main import build_app
from modelforge.runtime import ModelForge
from servicekit.testing.app import app_client

Headers = dict[str, str]


@pytest.fixture
def mf_settings(mf_settings: Settings) -> Settings:
    # Global hit/miss counters live under the prefix: a fresh one keeps tests independent.
    return mf_settings.model_copy(update={"cache_key_prefix": f"mft-{uuid.uuid4().hex[:8]}:"})


@pytest.fixture
def mf_app(mf_settings: Settings) -> FastAPI:
    return build_app(mf_settings)


@pytest.fixture
async def mf_client(mf_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with app_client(mf_app) as client:
        yield client


@pytest.fixture
def forge(mf_app: FastAPI, mf_client: httpx.AsyncClient) -> ModelForge:
    """The running app's object graph (session pool, caches), to look behind the API."""
    return mf_app.state.modelforge  # type: ignore[no-any-return]


@pytest.fixture(scope="session")
def zipmap_classifier_onnx() -> bytes:
    """LogisticRegression on 4 features, converted with its default ZipMap output (a list of
    ``{class: probability}``) beside the label tensor."""
    rng = np.random.default_rng(3)
    x = rng.normal(size=(60, 4)).astype(np.float32)
    y = (x[:, 0] + x[:, 1] > 0).astype(np.int64)
    fitted = LogisticRegression().fit(x, y)
    onx = to_onnx(fitted, initial_types=[("features", FloatTensorType([None, 4]))])
    return onx.SerializeToString()


@pytest.fixture(scope="session")
def divide_by_zero_onnx() -> bytes:
    """ratio = x / 0 over float [n]: NaN for 0, +Inf for positives, -Inf for negatives."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [None])
    out = helper.make_tensor_value_info("ratio", TensorProto.FLOAT, [None])
    zero = helper.make_tensor("zero", TensorProto.FLOAT, [], [0.0])
    graph = helper.make_graph(
        [helper.make_node("Div", ["x", "zero"], ["ratio"])], "ratio", [x], [out], [zero]
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model.SerializeToString()


class Models:
    """Drive a model to ``ready`` through the API, as a user would."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def ready(
        self,
        headers: Headers,
        content: bytes,
        *,
        name: str = "churn",
        version: str = "1.0.0",
        visibility: str = "private",
    ) -> dict[str, object]:
        created = await self.client.post(
            "/api/v1/models",
            json={"name": name, "version": version, "visibility": visibility},
            headers=headers,
        )
        assert created.status_code == 201, created.text
        model_id = created.json()["id"]
        uploaded = await self.client.post(
            f"/api/v1/models/{model_id}/upload",
            files={"file": ("model.onnx", content, "application/octet-stream")},
            headers=headers,
        )
        assert uploaded.status_code == 200, uploaded.text
        validated = await self.client.post(f"/api/v1/models/{model_id}/validate", headers=headers)
        assert validated.status_code == 200, validated.text
        return validated.json() | {"id": model_id}

    async def predict(
        self, headers: Headers, model_id: object, input_data: object, **extra: object
    ) -> httpx.Response:
        return await self.client.post(
            f"/api/v1/models/{model_id}/predict",
            json={"input_data": input_data, **extra},
            headers=headers,
        )


@pytest.fixture
def models(mf_client: httpx.AsyncClient) -> Models:
    return Models(mf_client)


@pytest.fixture
def token_for(mf_client: httpx.AsyncClient) -> Callable[..., object]:
    """``await token_for(headers, ["read"])``: Bearer headers of a new API token."""

    async def create(headers: Headers, scopes: list[str]) -> Headers:
        response = await mf_client.post(
            "/api/v1/tokens", json={"name": "t", "scopes": scopes}, headers=headers
        )
        assert response.status_code == 201, response.text
        return {"Authorization": f"Bearer {response.json()['token']}"}

    return create
