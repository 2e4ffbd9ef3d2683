"""Uploads (limits, refusals, duplicates, replacement) and validation of real ONNX models."""

from __future__ import annotations

import pickle
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from onnx import TensorProto, helper, numpy_helper
from skl2onnx import to_onnx
from sklearn.ensemble import RandomForestClassifier

from modelforge.config import Settings
from modelforge.main import build_app
from servicekit.testing.app import app_client

Headers = dict[str, str]


async def _ready_model(
    client: httpx.AsyncClient, headers: Headers, api: Any, content: bytes, name: str
) -> dict[str, Any]:
    model = await api.create_model(client, headers, name)
    uploaded = await api.upload(client, headers, model["id"], content)
    assert uploaded.status_code == 200, uploaded.text
    validated = await client.post(f"/api/v1/models/{model['id']}/validate", headers=headers)
    assert validated.status_code == 200, validated.text
    return validated.json()


async def test_classifier_upload_and_validation(
    mf_client: httpx.AsyncClient,
    users: dict[str, Headers],
    api: Any,
    classifier_onnx: bytes,
    mf_settings: Settings,
) -> None:
    alice = users["alice"]
    model = await api.create_model(mf_client, alice, "clf")
    uploaded = await api.upload(mf_client, alice, model["id"], classifier_onnx)
    assert uploaded.status_code == 200
    body = uploaded.json()
    assert body["status"] == "uploaded" and body["file_size_bytes"] == len(classifier_onnx)
    import hashlib

    assert body["file_hash"] == hashlib.sha256(classifier_onnx).hexdigest()
    stored = list((mf_settings.storage_path / model["id"]).rglob(body["file_hash"]))
    assert len(stored) == 1 and stored[0].read_bytes() == classifier_onnx

    result = await mf_client.post(f"/api/v1/models/{model['id']}/validate", headers=alice)
    assert result.status_code == 200, result.text
    info = result.json()
    assert info["status"] == "ready" and info["valid"] is True
    assert info["input_schema"] == [{"name": "X", "dtype": "float32", "shape": [None, 4]}]
    outputs = {spec["name"]: spec for spec in info["output_schema"]}
    assert outputs["label"]["dtype"] == "int64"
    assert outputs["probabilities"] == {
        "name": "probabilities",
        "dtype": "float32",
        "shape": [None, 2],
    }
    metadata = info["model_metadata"]
    assert metadata["producer_name"] == "skl2onnx"
    assert metadata["version"] == 0  # skl2onnx sets model_version explicitly
    assert metadata["providers"] == ["CPUExecutionProvider"]

    # A ready model is immutable: no new file, no second validation.
    assert (await api.upload(mf_client, alice, model["id"], classifier_onnx)).status_code == 409
    again = await mf_client.post(f"/api/v1/models/{model['id']}/validate", headers=alice)
    assert again.status_code == 409


async def test_regressor_multi_input_and_string_models(
    mf_client: httpx.AsyncClient,
    users: dict[str, Headers],
    api: Any,
    regressor_onnx: bytes,
    make_onnx: Callable[..., bytes],
) -> None:
    alice = users["alice"]
    regressor = await _ready_model(mf_client, alice, api, regressor_onnx, "reg")
    assert regressor["input_schema"] == [{"name": "X", "dtype": "float32", "shape": [None, 4]}]
    assert regressor["output_schema"] == [
        {"name": "variable", "dtype": "float32", "shape": [None, 1]}
    ]

    multi = await _ready_model(mf_client, alice, api, make_onnx("multi"), "adder")
    assert multi["input_schema"] == [
        {"name": "a", "dtype": "float32", "shape": [None, 3]},
        {"name": "b", "dtype": "float32", "shape": [None, 3]},
    ]
    assert multi["output_schema"] == [{"name": "sum", "dtype": "float32", "shape": [None, 3]}]

    # skl2onnx's default classifier output: a sequence of maps, which has no tensor shape.
    features = np.random.default_rng(1).normal(size=(30, 3)).astype(np.float32)
    forest = RandomForestClassifier(n_estimators=3, random_state=0).fit(
        features, features[:, 0] > 0
    )
    zipmap = await _ready_model(
        mf_client, alice, api, to_onnx(forest, features[:1]).SerializeToString(), "forest"
    )
    assert zipmap["output_schema"] == [
        {"name": "output_label", "dtype": "int64", "shape": [None]},
        {"name": "output_probability", "dtype": "seq(map(int64,tensor(float)))", "shape": None},
    ]

    strings = await _ready_model(mf_client, alice, api, make_onnx("strings"), "echo")
    assert strings["input_schema"] == [{"name": "words", "dtype": "string", "shape": [None]}]
    assert strings["model_metadata"]["graph_name"] == "echo"
    # No model_version in the file: ORT's int64-max "unset" sentinel is not reported.
    assert "version" not in strings["model_metadata"]


async def test_size_limit_answers_413_and_keeps_nothing(
    make_database: Callable[[str], str],
    redis_url: str,
    tmp_path: Path,
    classifier_onnx: bytes,
    api: Any,
) -> None:
    settings = Settings(
        _env_file=None,
        database_url=make_database("modelforge"),
        redis_url=redis_url,
        secret_key="modelforge-test-secret-key-0123456789",
        model_storage_path=tmp_path / "models",
        max_model_size_bytes=64,
    )
    async with app_client(build_app(settings)) as client:
        owner = await api.sign_up(client, "owner")
        model = await api.create_model(client, owner, "big")
        response = await api.upload(client, owner, model["id"], classifier_onnx)
        assert response.status_code == 413
        assert "MAX_MODEL_SIZE_BYTES" in response.json()["error"]["message"]
        leftovers = [p for p in (tmp_path / "models").rglob("*") if p.is_file()]
        assert leftovers == []
        fetched = (await client.get(f"/api/v1/models/{model['id']}", headers=owner)).json()
        assert fetched["status"] == "pending" and fetched["file_hash"] is None
        # A declared length over the limit is refused before the body is read.
        declared = await client.post(
            f"/api/v1/models/{model['id']}/upload",
            content=b"--x--",
            headers={
                **owner,
                "Content-Length": str(10**12),
                "Content-Type": "multipart/form-data; boundary=x",
            },
        )
        assert declared.status_code == 413
        missing = await client.post(
            f"/api/v1/models/{model['id']}/upload",
            files={"other": ("m.onnx", b"\x08\x07", "application/octet-stream")},
            headers=owner,
        )
        assert missing.status_code == 422


@pytest.mark.parametrize("filename", ["model.pkl", "model.joblib", "model.pickle"])
async def test_pickles_are_refused_with_the_conversion_hint(
    mf_client: httpx.AsyncClient, users: dict[str, Headers], api: Any, filename: str
) -> None:
    model = await api.create_model(mf_client, users["alice"], "sk")
    response = await api.upload(
        mf_client, users["alice"], model["id"], pickle.dumps({"w": [1.0]}), filename
    )
    assert response.status_code == 415
    assert "convert it with skl2onnx" in response.json()["error"]["message"]


async def test_pickle_content_named_onnx_and_garbage_are_refused(
    mf_client: httpx.AsyncClient, users: dict[str, Headers], api: Any
) -> None:
    model = await api.create_model(mf_client, users["alice"], "sneaky")
    disguised = await api.upload(mf_client, users["alice"], model["id"], pickle.dumps([1, 2, 3]))
    assert disguised.status_code == 415
    assert "convert it with skl2onnx" in disguised.json()["error"]["message"]
    text = await api.upload(mf_client, users["alice"], model["id"], b"hello, not a model")
    assert text.status_code == 415
    wrong_suffix = await api.upload(
        mf_client, users["alice"], model["id"], b"\x08\x08", "model.txt"
    )
    assert wrong_suffix.status_code == 415


async def test_duplicate_content_names_the_other_model(
    mf_client: httpx.AsyncClient, users: dict[str, Headers], api: Any, classifier_onnx: bytes
) -> None:
    alice = users["alice"]
    first = await api.create_model(mf_client, alice, "one")
    second = await api.create_model(mf_client, alice, "two")
    assert (await api.upload(mf_client, alice, first["id"], classifier_onnx)).status_code == 200
    clash = await api.upload(mf_client, alice, second["id"], classifier_onnx)
    assert clash.status_code == 409
    assert "'one'" in clash.json()["error"]["message"]
    assert first["id"] in clash.json()["error"]["message"]
    # Another user uploading the same file is not a duplicate of anything they can see.
    bobs = await api.create_model(mf_client, users["bob"], "one")
    assert (
        await api.upload(mf_client, users["bob"], bobs["id"], classifier_onnx)
    ).status_code == 200


async def test_reupload_after_failed_validation(
    mf_client: httpx.AsyncClient,
    users: dict[str, Headers],
    api: Any,
    classifier_onnx: bytes,
    mf_settings: Settings,
) -> None:
    alice = users["alice"]
    model = await api.create_model(mf_client, alice, "retry")
    # Looks like ONNX (starts with the ir_version tag) but is not a loadable model.
    broken = b"\x08\x07" + b"\xff" * 40
    assert (await api.upload(mf_client, alice, model["id"], broken)).status_code == 200
    failed = await mf_client.post(f"/api/v1/models/{model['id']}/validate", headers=alice)
    assert failed.status_code == 422
    assert "validation failed" in failed.json()["error"]["message"]
    after = (await mf_client.get(f"/api/v1/models/{model['id']}", headers=alice)).json()
    assert after["status"] == "error" and after["error_message"]
    assert str(mf_settings.storage_path) not in after["error_message"]

    assert (await api.upload(mf_client, alice, model["id"], classifier_onnx)).status_code == 200
    files = [p for p in (mf_settings.storage_path / model["id"]).rglob("*") if p.is_file()]
    assert len(files) == 1  # the broken file was replaced, not kept
    ok = await mf_client.post(f"/api/v1/models/{model['id']}/validate", headers=alice)
    assert ok.status_code == 200 and ok.json()["status"] == "ready"


def _external_data_model(location: str) -> bytes:
    weights = numpy_helper.from_array(np.ones((2, 2), dtype=np.float32), "w")
    weights.ClearField("raw_data")
    weights.data_location = TensorProto.EXTERNAL
    for key, value in {"location": location, "offset": "0", "length": "16"}.items():
        entry = weights.external_data.add()
        entry.key, entry.value = key, value
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 2])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 2])
    graph = helper.make_graph(
        [helper.make_node("Add", ["x", "w"], ["y"])], "ext", [x], [y], [weights]
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    return model.SerializeToString()


@pytest.mark.parametrize(
    "location", ["../../../../../../etc/passwd", "/etc/passwd", "../../../other-model/w.bin"]
)
async def test_external_data_outside_the_model_directory_is_refused(
    mf_client: httpx.AsyncClient,
    users: dict[str, Headers],
    api: Any,
    location: str,
    mf_settings: Settings,
) -> None:
    alice = users["alice"]
    model = await api.create_model(mf_client, alice, "escape")
    assert (
        await api.upload(mf_client, alice, model["id"], _external_data_model(location))
    ).status_code == 200
    response = await mf_client.post(f"/api/v1/models/{model['id']}/validate", headers=alice)
    assert response.status_code == 422
    message = response.json()["error"]["message"]
    assert "outside the model's directory" in message
    assert str(mf_settings.storage_path) not in message
    status = (await mf_client.get(f"/api/v1/models/{model['id']}", headers=alice)).json()["status"]
    assert status == "error"


async def test_listeners_hear_of_archiving_replacement_and_deletion(
    mf_client: httpx.AsyncClient,
    users: dict[str, Headers],
    api: Any,
    classifier_onnx: bytes,
    regressor_onnx: bytes,
    mf_settings: Settings,
) -> None:
    alice = users["alice"]
    forge = mf_client._transport.app.state.modelforge  # type: ignore[attr-defined]
    removed: list[str] = []
    changed: list[str] = []
    forge.registry.on_model_removed(lambda model_id: removed.append(str(model_id)))

    async def record_change(model_id: object) -> None:
        changed.append(str(model_id))

    forge.registry.on_model_changed(record_change)
    model = await api.create_model(mf_client, alice, "gone")
    url = f"/api/v1/models/{model['id']}"
    assert (
        await api.upload(mf_client, alice, model["id"], b"\x08\x07" + b"\xff" * 8)
    ).status_code == 200
    assert removed == [] and changed == [model["id"]]
    assert (await mf_client.post(f"{url}/validate", headers=alice)).status_code == 422
    # A new file replaces the broken one: whatever was loaded from the old one must go.
    assert (await api.upload(mf_client, alice, model["id"], classifier_onnx)).status_code == 200
    assert removed == [model["id"]]
    assert (await mf_client.post(f"{url}/validate", headers=alice)).status_code == 200
    assert (
        await mf_client.patch(url, json={"status": "archived"}, headers=alice)
    ).status_code == 200
    assert removed == [model["id"]] * 2

    assert (await mf_client.delete(url, headers=alice)).status_code == 204
    assert not (mf_settings.storage_path / model["id"]).exists()
    assert removed == [model["id"]] * 3
    assert len(changed) == 6  # upload, failed validation, upload, validation, archive, delete
