"""POST /models/{id}/predict and by name: outputs, X-Cache, the auth matrix, input errors,
readiness, non-finite outputs, cache metrics and invalidation, on PostgreSQL and Redis."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import numpy as np
import onnxruntime as ort
import pytest

from modelforge.runtime import ModelForge

Headers = dict[str, str]


def raw_onnx(content: bytes, inputs: dict[str, Any]) -> list[Any]:
    """The same model run directly in onnxruntime, for reference values."""
    session = ort.InferenceSession(content, providers=["CPUExecutionProvider"])
    return session.run(None, {name: np.asarray(value) for name, value in inputs.items()})


async def test_classifier_with_zipmap(
    models: Any, users: dict[str, Headers], zipmap_classifier_onnx: bytes
) -> None:
    model = await models.ready(users["alice"], zipmap_classifier_onnx)
    rows = [[2.0, 2.0, 0.0, 0.0], [-2.0, -2.0, 0.0, 0.0]]

    response = await models.predict(users["alice"], model["id"], {"features": rows})

    assert response.status_code == 201, response.text
    assert response.headers["X-Cache"] == "MISS"
    body = response.json()
    assert body["model_id"] == model["id"] and body["cached"] is False
    assert body["input_data"] == {"features": rows}
    assert body["inference_time_ms"] > 0
    assert body["output_data"]["output_label"] == [1, 0]
    probabilities = body["output_data"]["output_probability"]
    expected = raw_onnx(zipmap_classifier_onnx, {"features": np.array(rows, np.float32)})[1]
    assert [set(row) for row in probabilities] == [{"0", "1"}, {"0", "1"}]
    for got, want in zip(probabilities, expected, strict=True):
        assert got["1"] == pytest.approx(want[1], abs=1e-6)
        assert got["0"] + got["1"] == pytest.approx(1.0, abs=1e-5)


async def test_regressor_matches_onnxruntime(
    models: Any, users: dict[str, Headers], regressor_onnx: bytes
) -> None:
    model = await models.ready(users["alice"], regressor_onnx)
    rows = [[0.5, -1.0, 2.0, 0.25], [1.0, 1.0, 1.0, 1.0]]

    response = await models.predict(users["alice"], model["id"], {"X": rows})

    assert response.status_code == 201, response.text
    want = raw_onnx(regressor_onnx, {"X": np.array(rows, np.float32)})[0]
    got = np.array(response.json()["output_data"]["variable"])
    assert got.shape == (2, 1)
    np.testing.assert_allclose(got, want, rtol=1e-6)


async def test_int_and_float_spellings_share_a_cache_entry_and_skip_cache_bypasses(
    models: Any, users: dict[str, Headers], regressor_onnx: bytes
) -> None:
    model = await models.ready(users["alice"], regressor_onnx)
    alice = users["alice"]

    miss = await models.predict(alice, model["id"], {"X": [[1, 2, 3, 4]]})
    hit = await models.predict(alice, model["id"], {"X": [[1.0, 2.0, 3.0, 4.0]]})
    bypass = await models.predict(alice, model["id"], {"X": [[1, 2, 3, 4]]}, skip_cache=True)

    assert [r.status_code for r in (miss, hit, bypass)] == [201, 201, 201]
    assert [r.headers["X-Cache"] for r in (miss, hit, bypass)] == ["MISS", "HIT", "BYPASS"]
    assert [r.json()["cached"] for r in (miss, hit, bypass)] == [False, True, False]
    assert hit.json()["output_data"] == miss.json()["output_data"]
    # A hit reports the original run's inference time, not the lookup's.
    assert hit.json()["inference_time_ms"] == miss.json()["inference_time_ms"]
    assert hit.json()["id"] != miss.json()["id"]  # every call is its own history row


async def test_cache_metrics_per_model_admin_only_and_reset(
    mf_client: httpx.AsyncClient,
    models: Any,
    users: dict[str, Headers],
    regressor_onnx: bytes,
    classifier_onnx: bytes,
) -> None:
    first = await models.ready(users["alice"], regressor_onnx)
    second = await models.ready(users["bob"], classifier_onnx, name="other")
    for _ in range(3):  # miss, hit, hit
        await models.predict(users["alice"], first["id"], {"X": [[1, 2, 3, 4]]})
    await models.predict(users["alice"], first["id"], {"X": [[1, 2, 3, 4]]}, skip_cache=True)
    await models.predict(users["bob"], second["id"], {"X": [[0, 0, 0, 0]]})

    for who, code in (("anonymous", 401), ("alice", 403)):
        metrics = await mf_client.get("/api/v1/cache/metrics", headers=users[who])
        assert metrics.status_code == code
        reset = await mf_client.post("/api/v1/cache/metrics/reset", headers=users[who])
        assert reset.status_code == code

    response = await mf_client.get("/api/v1/cache/metrics", headers=users["admin"])
    assert response.status_code == 200
    metrics = response.json()["prediction_cache"]
    # skip_cache counts as neither a hit nor a miss.
    assert (metrics["hits"], metrics["misses"], metrics["total_requests"]) == (2, 2, 4)
    assert metrics["hit_rate_percent"] == 50.0
    assert metrics["enabled"] is True and metrics["ttl_seconds"] == 300
    assert metrics["per_model"][first["id"]] == {
        "hits": 2,
        "misses": 1,
        "total_requests": 3,
        "hit_rate_percent": 66.67,
    }
    assert metrics["per_model"][second["id"]]["misses"] == 1

    reset = await mf_client.post("/api/v1/cache/metrics/reset", headers=users["admin"])
    assert reset.status_code == 200 and reset.json() == {"status": "reset"}
    after = (await mf_client.get("/api/v1/cache/metrics", headers=users["admin"])).json()
    assert after["prediction_cache"]["total_requests"] == 0
    assert after["prediction_cache"]["per_model"] == {}


async def test_auth_matrix(
    mf_client: httpx.AsyncClient,
    models: Any,
    users: dict[str, Headers],
    token_for: Callable[..., Any],
    regressor_onnx: bytes,
    classifier_onnx: bytes,
) -> None:
    private = await models.ready(users["alice"], regressor_onnx)
    public = await models.ready(users["alice"], classifier_onnx, name="open", visibility="public")
    read_only = await token_for(users["alice"], ["read"])
    predict_token = await token_for(users["bob"], ["predict"])
    rows = {"X": [[1, 2, 3, 4]]}

    async def status(headers: Headers, model: dict[str, Any]) -> int:
        return (await models.predict(headers, model["id"], rows)).status_code

    assert await status(users["alice"], private) == 201  # owner
    assert await status(users["admin"], private) == 201  # admins read every model
    assert await status(users["bob"], private) == 404  # never reveals a private model
    assert await status(predict_token, private) == 404
    assert await status(users["anonymous"], private) == 401
    assert await status(read_only, private) == 403  # the token lacks the predict scope
    assert await status(users["bob"], public) == 201
    assert await status(predict_token, public) == 201
    refused = await models.predict(read_only, private["id"], rows)
    assert refused.json()["error"]["code"] == "insufficient_scope"


async def test_input_errors_list_every_problem(
    models: Any, users: dict[str, Headers], regressor_onnx: bytes
) -> None:
    model = await models.ready(users["alice"], regressor_onnx)

    response = await models.predict(users["alice"], model["id"], {"X": [[1, 2, 3]], "extra": [1]})

    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid_input"
    problems = error["details"]["problems"]
    assert len(problems) == 2
    assert "input 'X'" in problems[0] and "dimension 1 must be 4" in problems[0]
    assert problems[1] == "unknown input 'extra'"

    missing = await models.predict(users["alice"], model["id"], {})
    assert missing.status_code == 422
    assert missing.json()["error"]["details"]["problems"] == ["missing input 'X'"]
    text = await models.predict(users["alice"], model["id"], {"X": [["a", "b", "c", "d"]]})
    assert text.status_code == 422 and "cannot be read as float32" in text.json()["detail"]


async def test_model_not_ready_is_refused_naming_its_status(
    mf_client: httpx.AsyncClient, models: Any, users: dict[str, Headers], regressor_onnx: bytes
) -> None:
    created = await mf_client.post("/api/v1/models", json={"name": "draft"}, headers=users["alice"])
    model_id = created.json()["id"]
    pending = await models.predict(users["alice"], model_id, {"X": [[1, 2, 3, 4]]})
    await mf_client.post(
        f"/api/v1/models/{model_id}/upload",
        files={"file": ("m.onnx", regressor_onnx, "application/octet-stream")},
        headers=users["alice"],
    )
    uploaded = await models.predict(users["alice"], model_id, {"X": [[1, 2, 3, 4]]})

    for response, state in ((pending, "pending"), (uploaded, "uploaded")):
        assert response.status_code == 409
        error = response.json()["error"]
        assert error["code"] == "model_not_ready" and error["details"] == {"status": state}
        assert f"is {state}" in error["message"]
    unknown = await models.predict(
        users["alice"], "00000000-0000-0000-0000-000000000000", {"X": [[1, 2, 3, 4]]}
    )
    assert unknown.status_code == 404


async def test_nan_and_infinity_outputs_are_serialised(
    mf_client: httpx.AsyncClient,
    models: Any,
    users: dict[str, Headers],
    divide_by_zero_onnx: bytes,
) -> None:
    model = await models.ready(users["alice"], divide_by_zero_onnx, name="ratio")

    first = await models.predict(users["alice"], model["id"], {"x": [0, 1, -1, 2.5]})
    again = await models.predict(users["alice"], model["id"], {"x": [0, 1, -1, 2.5]})

    expected = ["NaN", "Infinity", "-Infinity", "Infinity"]
    assert first.status_code == 201, first.text
    assert first.json()["output_data"] == {"ratio": expected}
    assert again.headers["X-Cache"] == "HIT" and again.json()["output_data"] == {"ratio": expected}
    # NaN as a JSON literal (Python clients send it) is read, stored and echoed as "NaN".
    literal = await mf_client.post(
        f"/api/v1/models/{model['id']}/predict",
        content=b'{"input_data": {"x": [NaN, -Infinity]}}',
        headers=users["alice"] | {"Content-Type": "application/json"},
    )
    assert literal.status_code == 201, literal.text
    assert literal.json()["input_data"] == {"x": ["NaN", "-Infinity"]}
    assert literal.json()["output_data"] == {"ratio": ["NaN", "-Infinity"]}  # -inf / +0
    history = await mf_client.get(
        f"/api/v1/models/{model['id']}/predictions", headers=users["alice"]
    )
    assert [item["output_data"] for item in history.json()["items"][1:]] == [
        {"ratio": expected}
    ] * 2


async def test_predict_by_name_with_a_slash_version_and_alias(
    mf_client: httpx.AsyncClient,
    models: Any,
    users: dict[str, Headers],
    regressor_onnx: bytes,
    classifier_onnx: bytes,
) -> None:
    alice = users["alice"]
    v1 = await models.ready(alice, regressor_onnx, name="team/churn", version="1.0.0")
    v2 = await models.ready(alice, classifier_onnx, name="team/churn", version="2.0.0")
    aliased = await mf_client.put(
        "/api/v1/models/by-name/team/churn/aliases/production",
        json={"version": "1.0.0"},
        headers=alice,
    )
    assert aliased.status_code == 200, aliased.text
    url = "/api/v1/models/by-name/team/churn/predict"
    body = {"input_data": {"X": [[1, 2, 3, 4]]}}

    by_version = await mf_client.post(url, params={"version": "1.0.0"}, json=body, headers=alice)
    by_alias = await mf_client.post(url, params={"alias": "production"}, json=body, headers=alice)
    latest = await mf_client.post(url, json=body, headers=alice)
    stranger = await mf_client.post(url, json=body, headers=users["bob"])
    both = await mf_client.post(
        url, params={"version": "1.0.0", "alias": "production"}, json=body, headers=alice
    )

    assert by_version.status_code == 201, by_version.text
    assert by_version.json()["model_id"] == v1["id"]
    assert by_alias.json()["model_id"] == v1["id"]
    assert latest.json()["model_id"] == v2["id"]
    assert stranger.status_code == 404
    assert both.status_code == 422


async def test_deleting_a_model_evicts_its_session_and_cached_predictions(
    mf_client: httpx.AsyncClient,
    models: Any,
    users: dict[str, Headers],
    forge: ModelForge,
    regressor_onnx: bytes,
) -> None:
    model = await models.ready(users["alice"], regressor_onnx)
    await models.predict(users["alice"], model["id"], {"X": [[1, 2, 3, 4]]})
    assert (await models.predict(users["alice"], model["id"], {"X": [[1, 2, 3, 4]]})).headers[
        "X-Cache"
    ] == "HIT"
    redis = forge.cache_link.client
    pattern = f"{forge.settings.cache_key_prefix}prediction:{model['id']}:*"
    assert forge.sessions.is_loaded(model["id"])
    assert [key async for key in redis.scan_iter(match=pattern)]

    deleted = await mf_client.delete(f"/api/v1/models/{model['id']}", headers=users["alice"])

    assert deleted.status_code == 204
    assert not forge.sessions.is_loaded(model["id"])
    assert [key async for key in redis.scan_iter(match=pattern)] == []
    gone = await models.predict(users["alice"], model["id"], {"X": [[1, 2, 3, 4]]})
    assert gone.status_code == 404


async def test_model_metadata_cache_headers_and_invalidation(
    mf_client: httpx.AsyncClient,
    models: Any,
    users: dict[str, Headers],
    regressor_onnx: bytes,
    classifier_onnx: bytes,
) -> None:
    private = await models.ready(users["alice"], regressor_onnx)
    url = f"/api/v1/models/{private['id']}"

    first = await mf_client.get(url, headers=users["alice"])
    second = await mf_client.get(url, headers=users["alice"])
    stranger = await mf_client.get(url, headers=users["bob"])  # the entry is cached now
    patched = await mf_client.patch(url, json={"description": "v2"}, headers=users["alice"])
    third = await mf_client.get(url, headers=users["alice"])

    assert [r.headers["X-Cache"] for r in (first, second, third)] == ["MISS", "HIT", "MISS"]
    assert first.headers["Cache-Control"] == "private, max-age=3600"
    assert second.json() == first.json()
    assert stranger.status_code == 404
    assert patched.status_code == 200
    assert third.json()["description"] == "v2"

    public = await models.ready(users["alice"], classifier_onnx, name="pub", visibility="public")
    shared = await mf_client.get(f"/api/v1/models/{public['id']}", headers=users["bob"])
    assert shared.status_code == 200
    assert shared.headers["Cache-Control"] == "public, max-age=3600"
