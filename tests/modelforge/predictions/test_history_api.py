"""GET /models/{id}/predictions (paginated, newest first) and its CSV export."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx

Headers = dict[str, str]


async def test_history_is_paginated_newest_first_for_owner_and_admin(
    mf_client: httpx.AsyncClient,
    models: Any,
    users: dict[str, Headers],
    regressor_onnx: bytes,
    make_onnx: Callable[..., bytes],
) -> None:
    model = await models.ready(users["alice"], regressor_onnx, visibility="public")
    for index in range(5):
        response = await models.predict(
            users["alice"], model["id"], {"X": [[index, 0, 0, 0]]}, request_id=f"r{index}"
        )
        assert response.status_code == 201
    url = f"/api/v1/models/{model['id']}/predictions"

    first = await mf_client.get(url, params={"page_size": 2}, headers=users["alice"])
    last = await mf_client.get(url, params={"page_size": 2, "page": 3}, headers=users["alice"])
    admin = await mf_client.get(url, headers=users["admin"])
    reader = await mf_client.get(url, headers=users["bob"])  # may predict, not read the log
    anonymous = await mf_client.get(url)

    assert first.status_code == 200, first.text
    page = first.json()
    assert (page["total"], page["page"], page["page_size"], page["total_pages"]) == (5, 1, 2, 3)
    assert [item["request_id"] for item in page["items"]] == ["r4", "r3"]
    assert page["items"][0]["input_data"] == {"X": [[4, 0, 0, 0]]}
    assert [item["request_id"] for item in last.json()["items"]] == ["r0"]
    assert admin.status_code == 200 and admin.json()["total"] == 5
    assert reader.status_code == 403
    assert anonymous.status_code == 401
    private = await models.ready(users["alice"], make_onnx("identity"), name="private")
    hidden = await mf_client.get(
        f"/api/v1/models/{private['id']}/predictions", headers=users["bob"]
    )
    assert hidden.status_code == 404


async def test_csv_export_streams_every_row_injection_safe(
    mf_client: httpx.AsyncClient, models: Any, users: dict[str, Headers], regressor_onnx: bytes
) -> None:
    model = await models.ready(users["alice"], regressor_onnx, name="team/churn model")
    await models.predict(users["alice"], model["id"], {"X": [[1, 2, 3, 4]]}, request_id="plain")
    await models.predict(
        users["alice"], model["id"], {"X": [[-1, 2, 3, 4]]}, request_id='=HYPERLINK("http://x")'
    )

    response = await mf_client.get(
        f"/api/v1/models/{model['id']}/predictions.csv", headers=users["alice"]
    )
    refused = await mf_client.get(
        f"/api/v1/models/{model['id']}/predictions.csv", headers=users["bob"]
    )

    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    today = datetime.now(UTC).strftime("%Y-%m-%d")
    assert response.headers["content-disposition"] == (
        f'attachment; filename="predictions-team_churn_model-{today}.csv"'
    )
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rows) == 2
    newest, oldest = rows
    assert newest["request_id"] == '\'=HYPERLINK("http://x")'
    assert oldest["request_id"] == "plain"
    assert json.loads(newest["input_data"]) == {"X": [[-1, 2, 3, 4]]}
    assert "variable" in json.loads(newest["output_data"])
    assert newest["cached"] == "false" and float(newest["inference_time_ms"]) > 0
    assert newest["model_id"] == model["id"]
    assert refused.status_code == 404
