"""ModelForge on a real PostgreSQL and Redis, with real ONNX models built by the tests."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx
import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper
from skl2onnx import to_onnx
from sklearn.linear_model import LinearRegression, LogisticRegression

from modelforge.config import Settings
from modelforge.main import build_app
from servicekit.testing.app import app_client

Headers = dict[str, str]


@pytest.fixture
def mf_settings(make_database: Callable[[str], str], redis_url: str, tmp_path: Path) -> Settings:
    return Settings(
        _env_file=None,
        database_url=make_database("modelforge"),
        redis_url=redis_url,
        secret_key="modelforge-test-secret-key-0123456789",
        model_storage_path=tmp_path / "models",
    )


@pytest.fixture
async def mf_client(mf_settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with app_client(build_app(mf_settings)) as client:
        yield client


async def sign_up(client: httpx.AsyncClient, login: str) -> Headers:
    response = await client.post(
        "/api/v1/auth/register", json={"login": login, "password": f"{login}-password-123"}
    )
    assert response.status_code == 201, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


@pytest.fixture
async def users(mf_client: httpx.AsyncClient) -> dict[str, Headers]:
    """``admin`` (the first account), ``alice`` and ``bob``, and ``anonymous`` (no header)."""
    admin = await sign_up(mf_client, "admin")
    return {
        "admin": admin,
        "alice": await sign_up(mf_client, "alice"),
        "bob": await sign_up(mf_client, "bob"),
        "anonymous": {},
    }


def _training_data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    features = rng.normal(size=(40, 4)).astype(np.float32)
    return features, (features[:, 0] + features[:, 1] > 0).astype(np.int64)


@pytest.fixture
def classifier_onnx() -> bytes:
    """A scikit-learn logistic regression converted with skl2onnx (4 float features)."""
    features, labels = _training_data()
    model = LogisticRegression().fit(features, labels)
    return to_onnx(model, features[:1], options={"zipmap": False}).SerializeToString()


@pytest.fixture
def regressor_onnx() -> bytes:
    features, labels = _training_data()
    model = LinearRegression().fit(features, labels.astype(np.float32))
    return to_onnx(model, features[:1]).SerializeToString()


@pytest.fixture
def make_onnx() -> Callable[..., bytes]:
    """Graphs built with onnx.helper: ``make_onnx("multi")``, ``"strings"``, ``"identity"``."""

    def build(kind: str, *, doc: str = "") -> bytes:
        if kind == "multi":
            a = helper.make_tensor_value_info("a", TensorProto.FLOAT, ["batch", 3])
            b = helper.make_tensor_value_info("b", TensorProto.FLOAT, ["batch", 3])
            total = helper.make_tensor_value_info("sum", TensorProto.FLOAT, ["batch", 3])
            graph = helper.make_graph(
                [helper.make_node("Add", ["a", "b"], ["sum"])], "adder", [a, b], [total]
            )
        elif kind == "strings":
            words = helper.make_tensor_value_info("words", TensorProto.STRING, [None])
            same = helper.make_tensor_value_info("same", TensorProto.STRING, [None])
            graph = helper.make_graph(
                [helper.make_node("Identity", ["words"], ["same"])], "echo", [words], [same]
            )
        elif kind == "identity":
            x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 2])
            y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 2])
            graph = helper.make_graph(
                [helper.make_node("Identity", ["x"], ["y"])], "identity", [x], [y]
            )
        else:
            raise ValueError(kind)
        graph.doc_string = doc
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
        model.ir_version = 8
        onnx.checker.check_model(model)
        return model.SerializeToString()

    return build


async def create_model(
    client: httpx.AsyncClient,
    headers: Headers,
    name: str = "churn",
    version: str = "1.0.0",
    **extra: object,
) -> dict[str, object]:
    response = await client.post(
        "/api/v1/models", json={"name": name, "version": version, **extra}, headers=headers
    )
    assert response.status_code == 201, response.text
    return response.json()


async def upload(
    client: httpx.AsyncClient,
    headers: Headers,
    model_id: object,
    content: bytes,
    filename: str = "model.onnx",
) -> httpx.Response:
    return await client.post(
        f"/api/v1/models/{model_id}/upload",
        files={"file": (filename, content, "application/octet-stream")},
        headers=headers,
    )


@pytest.fixture
def api() -> object:
    """The helpers above, for tests (which cannot import this conftest)."""

    class Api:
        sign_up = staticmethod(sign_up)
        create_model = staticmethod(create_model)
        upload = staticmethod(upload)

    return Api
