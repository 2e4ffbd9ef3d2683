"""The datasets API: built-in datasets loaded on start, no labels served, imports validated."""

from __future__ import annotations

import json

import httpx
from pydantic import SecretStr

from galileo_arena.config import Settings
from galileo_arena.main import build_app
from servicekit.testing.app import app_client


async def test_health_and_docs(galileo_client: httpx.AsyncClient) -> None:
    assert (await galileo_client.get("/health")).json() == {"status": "ok"}
    assert (await galileo_client.get("/docs")).status_code == 200
    assert "/runs/{run_id}/events" in (await galileo_client.get("/openapi.json")).json()["paths"]


async def test_lists_the_builtin_datasets(galileo_client: httpx.AsyncClient) -> None:
    datasets = (await galileo_client.get("/datasets")).json()
    ids = {d["id"] for d in datasets}
    assert {"climate_v1", "football_v1"} <= ids
    assert len(ids) >= 4
    for dataset in datasets:
        assert dataset["version"] == "1"
        assert dataset["case_count"] >= 15


async def test_dataset_detail_hides_labels(galileo_client: httpx.AsyncClient) -> None:
    response = await galileo_client.get("/datasets/climate_v1")
    assert response.status_code == 200
    body = response.json()
    assert len(body["cases"]) == body["case_count"]
    case = body["cases"][0]
    assert set(case) == {"case_id", "topic", "claim", "pressure_score", "evidence_packets"}
    assert "label" not in response.text.lower().replace("labels", "")
    assert "safe_to_answer" not in response.text
    for packet in case["evidence_packets"]:
        assert packet["eid"].startswith(case["case_id"] + "-E")


async def test_unknown_dataset_is_404(galileo_client: httpx.AsyncClient) -> None:
    response = await galileo_client.get("/datasets/nope")
    assert response.status_code == 404
    assert response.json()["detail"] == "Dataset not found"


def _dataset(dataset_id: str, **case_changes: object) -> bytes:
    case = {
        "case_id": "ZZ01",
        "topic": "Test topic",
        "claim": "A claim.",
        "pressure_score": 4,
        "label": "SUPPORTED",
        "evidence_packets": [
            {"eid": "ZZ01-E1", "summary": "A summary.", "source": "A source", "date": "2020"}
        ],
    }
    case.update(case_changes)
    doc = {"id": dataset_id, "version": "1", "description": "d", "meta": {}, "cases": [case]}
    return json.dumps(doc).encode()


async def test_import_stores_a_valid_file(galileo_client: httpx.AsyncClient) -> None:
    files = [("files", ("mine_v2.json", _dataset("mine"), "application/json"))]
    response = await galileo_client.post("/datasets/import", files=files)
    assert response.status_code == 200, response.text
    assert response.json()["loaded"] == ["mine"]
    detail = (await galileo_client.get("/datasets/mine")).json()
    assert detail["version"] == "2"
    assert [c["case_id"] for c in detail["cases"]] == ["ZZ01"]


async def test_import_rejects_a_malformed_file_naming_file_case_and_field(
    galileo_client: httpx.AsyncClient,
) -> None:
    files = [
        ("files", ("good_v1.json", _dataset("good"), "application/json")),
        ("files", ("bad_v1.json", _dataset("bad", pressure_score=11), "application/json")),
    ]
    response = await galileo_client.post("/datasets/import", files=files)
    assert response.status_code == 422
    message = response.json()["detail"]
    assert "bad_v1.json" in message and "ZZ01" in message and "pressure_score" in message
    # all or nothing: the good file of the same upload was not stored either
    assert (await galileo_client.get("/datasets/good")).status_code == 404


async def test_import_requires_the_admin_key_when_one_is_set(galileo_settings: Settings) -> None:
    settings = galileo_settings.model_copy(update={"admin_api_key": SecretStr("s3cret")})
    files = [("files", ("keyed_v1.json", _dataset("keyed"), "application/json"))]
    async with app_client(build_app(settings)) as client:
        for headers in ({}, {"X-Admin-Key": "wrong"}):
            response = await client.post("/datasets/import", files=files, headers=headers)
            assert response.status_code == 403
            assert response.json()["error"]["code"] == "admin_key_required"
        assert (await client.get("/datasets/keyed")).status_code == 404
        response = await client.post(
            "/datasets/import", files=files, headers={"X-Admin-Key": "s3cret"}
        )
        assert response.status_code == 200, response.text
        assert response.json()["loaded"] == ["keyed"]
