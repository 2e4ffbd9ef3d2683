"""The Open Inference Protocol v2 at /v2: health, model metadata, readiness and inference."""

from __future__ import annotations

import json
from typing import Any

import httpx

Headers = dict[str, str]


async def test_server_health(mf_client: httpx.AsyncClient) -> None:
    live = await mf_client.get("/v2/health/live")
    ready = await mf_client.get("/v2/health/ready")

    assert (live.status_code, live.json()) == (200, {"live": True})
    assert (ready.status_code, ready.json()) == (200, {"ready": True})


async def test_metadata_ready_and_infer_round_trip(
    mf_client: httpx.AsyncClient,
    models: Any,
    users: dict[str, Headers],
    regressor_onnx: bytes,
    classifier_onnx: bytes,
) -> None:
    alice = users["alice"]
    v1 = await models.ready(alice, regressor_onnx, name="team/price")
    draft = await mf_client.post(
        "/api/v1/models", json={"name": "team/price", "version": "2.0.0-rc.1"}, headers=alice
    )
    assert draft.status_code == 201

    metadata = await mf_client.get("/v2/models/team/price", headers=alice)
    versioned = await mf_client.get("/v2/models/team/price/versions/1.0.0", headers=alice)
    ready = await mf_client.get("/v2/models/team/price/versions/1.0.0/ready", headers=alice)
    not_ready = await mf_client.get(
        "/v2/models/team/price/versions/2.0.0-rc.1/ready", headers=alice
    )

    assert metadata.status_code == 200, metadata.text
    assert metadata.json() == {
        "name": "team/price",
        "versions": ["1.0.0"],
        "platform": "onnxruntime",
        "inputs": [{"name": "X", "datatype": "FP32", "shape": [-1, 4]}],
        "outputs": [{"name": "variable", "datatype": "FP32", "shape": [-1, 1]}],
    }
    assert versioned.json() == metadata.json()
    assert ready.status_code == 200 and ready.json()["ready"] is True
    assert not_ready.status_code == 400
    assert "pending" in not_ready.json()["error"]

    request = {
        "id": "req-1",
        "inputs": [{"name": "X", "shape": [2, 4], "datatype": "FP32", "data": [1, 2, 3, 4] * 2}],
    }
    inferred = await mf_client.post(
        "/v2/models/team/price/versions/1.0.0/infer", json=request, headers=alice
    )
    rest = await models.predict(alice, v1["id"], {"X": [[1, 2, 3, 4], [1, 2, 3, 4]]})
    latest = await mf_client.post("/v2/models/team/price/infer", json=request, headers=alice)

    assert inferred.status_code == 200, inferred.text
    assert inferred.headers["X-Cache"] == "MISS"
    body = inferred.json()
    assert body["model_name"] == "team/price" and body["model_version"] == "1.0.0"
    assert body["id"] == "req-1"
    (output,) = body["outputs"]
    assert (output["name"], output["datatype"], output["shape"]) == ("variable", "FP32", [2, 1])
    assert output["data"] == [row[0] for row in rest.json()["output_data"]["variable"]]
    # The same tensors through REST and OIP share one cache entry.
    assert rest.headers["X-Cache"] == "HIT" and latest.headers["X-Cache"] == "HIT"
    history = await mf_client.get(f"/api/v1/models/{v1['id']}/predictions", headers=alice)
    assert history.json()["total"] == 3
    assert history.json()["items"][-1]["input_data"] == {"X": [[1.0, 2.0, 3.0, 4.0]] * 2}
    assert history.json()["items"][-1]["request_id"] == "req-1"


async def test_zipmap_output_is_bytes_of_json(
    mf_client: httpx.AsyncClient,
    models: Any,
    users: dict[str, Headers],
    zipmap_classifier_onnx: bytes,
) -> None:
    await models.ready(users["alice"], zipmap_classifier_onnx, name="clf")
    request = {
        "inputs": [
            {"name": "features", "shape": [1, 4], "datatype": "FP32", "data": [[2, 2, 0, 0]]}
        ],
        "outputs": [{"name": "output_probability"}],
        "parameters": {"skip_cache": True},
    }

    response = await mf_client.post("/v2/models/clf/infer", json=request, headers=users["alice"])

    assert response.status_code == 200, response.text
    assert response.headers["X-Cache"] == "BYPASS"
    (output,) = response.json()["outputs"]
    assert (output["name"], output["datatype"], output["shape"]) == (
        "output_probability",
        "BYTES",
        [1],
    )
    probabilities = json.loads(output["data"][0])
    assert set(probabilities) == {"0", "1"} and probabilities["1"] > 0.5


async def test_errors_use_the_protocol_body(
    mf_client: httpx.AsyncClient,
    models: Any,
    users: dict[str, Headers],
    token_for: Any,
    regressor_onnx: bytes,
) -> None:
    await models.ready(users["alice"], regressor_onnx, name="secret")
    good = {"inputs": [{"name": "X", "shape": [1, 4], "datatype": "FP32", "data": [1, 2, 3, 4]}]}
    read_only = await token_for(users["alice"], ["read"])

    async def infer(body: Any, headers: Headers, name: str = "secret") -> httpx.Response:
        return await mf_client.post(f"/v2/models/{name}/infer", json=body, headers=headers)

    anonymous = await infer(good, users["anonymous"])
    stranger = await infer(good, users["bob"])
    no_scope = await infer(good, read_only)
    wrong_count = await infer(
        {"inputs": [{"name": "X", "shape": [1, 4], "datatype": "FP32", "data": [1, 2]}]},
        users["alice"],
    )
    wrong_shape = await infer(
        {"inputs": [{"name": "X", "shape": [1, 2], "datatype": "FP32", "data": [1, 2]}]},
        users["alice"],
    )
    unknown_output = await infer(good | {"outputs": [{"name": "nope"}]}, users["alice"])
    malformed = await infer({"inputs": []}, users["alice"])
    missing = await mf_client.get("/v2/models/nothing-here", headers=users["alice"])

    expected = [
        (anonymous, 401),
        (stranger, 404),
        (no_scope, 403),
        (wrong_count, 422),
        (wrong_shape, 422),
        (unknown_output, 422),
        (malformed, 422),
        (missing, 404),
    ]
    for response, code in expected:
        assert response.status_code == code, response.text
        assert set(response.json()) == {"error"} and response.json()["error"]
    assert "needs 4 values, got 2" in wrong_count.json()["error"]
    assert "dimension 1 must be 4" in wrong_shape.json()["error"]
    assert "unknown output 'nope'" in unknown_output.json()["error"]
