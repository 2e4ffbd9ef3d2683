"""Every error, whoever raises it (a route, the authenticator, request validation, the router
itself), answers with the spec's envelope and code and the request id of the response."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

Headers = dict[str, str]


@pytest.fixture(scope="module")
async def reader(make_agent: Callable[..., Awaitable[Any]]) -> Headers:
    _, headers = await make_agent(["claims:read"], "reader")
    return headers


async def test_the_envelope_and_codes_of_every_kind_of_error(
    client: httpx.AsyncClient, admin: Headers, reader: Headers
) -> None:
    cases = [
        (client.get("/v1/nowhere", headers=admin), 404, "NOT_FOUND"),
        (client.put("/v1/claims", headers=admin), 405, None),
        (client.get("/v1/claims"), 401, "UNAUTHENTICATED"),
        (client.get("/v1/claims", headers={"Authorization": "Bearer nope"}), 401,
         "UNAUTHENTICATED"),
        (client.post("/v1/namespaces", json={"name": "x"}, headers=reader), 403,
         "INSUFFICIENT_SCOPE"),
        (client.get(f"/v1/claims/{uuid.uuid4()}", headers=reader), 404, "CLAIM_NOT_FOUND"),
        (client.get("/v1/claims/not-a-uuid", headers=reader), 422, "VALIDATION_FAILED"),
        (client.post("/v1/claims", content=b"{not json", headers={**admin,
         "Content-Type": "application/json"}), 422, "VALIDATION_FAILED"),
        (client.get(f"/v1/extensions/ext-{uuid.uuid4().hex[:6]}-v1", headers=admin), 404,
         "EXTENSION_NOT_FOUND"),
    ]  # fmt: skip
    for request, status, code in cases:
        response = await request
        assert response.status_code == status, response.text
        body = response.json()
        error = body["error"]
        assert error["request_id"] == response.headers["x-request-id"]
        assert body["detail"] == error["message"]  # for clients that read FastAPI's `detail`
        if code is not None:
            assert error["code"] == code, (status, error)


async def test_validation_details_name_each_field(
    client: httpx.AsyncClient, admin: Headers
) -> None:
    response = await client.post(
        "/v1/bundles",
        json={"idempotency_key": "k", "claims": [{"temp_id": "bad id!", "claim_type": "X"}]},
        headers=admin,
    )
    assert response.status_code == 422
    details = response.json()["error"]["details"]
    by_field = {d["field"]: d["code"] for d in details}
    assert by_field["claims[0].temp_id"] == "PATTERN"
    assert by_field["claims[0].content"] == "REQUIRED"
    assert by_field["claims[0].claim_type"] == "PATTERN"
