"""Size limits: the request body cap (413) and the bundle's list caps (422), on a small
configuration."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

Headers = dict[str, str]
CAP_BYTES = 8192
MAX_CLAIMS = 2


@pytest.fixture(scope="module")
def settings_overrides() -> dict[str, Any]:
    return {"max_request_bytes": CAP_BYTES, "max_bundle_claims": MAX_CLAIMS}


def _bundle(ns: str, **extra: Any) -> dict[str, Any]:
    return {
        "idempotency_key": f"key-{uuid.uuid4().hex}",
        "namespace": ns,
        "claims": [{"temp_id": "a", "content": "A", "claim_type": "assertion"}],
        **extra,
    }


async def test_a_body_beyond_the_cap_is_refused_before_it_is_parsed(
    client: httpx.AsyncClient, admin: Headers, fresh_ns: str
) -> None:
    big = _bundle(fresh_ns, contributor_id="x" * 200)
    big["claims"][0]["content"] = "y" * CAP_BYTES
    refused = await client.post("/v1/bundles", json=big, headers=admin)
    assert refused.status_code == 413, refused.text
    error = refused.json()["error"]
    assert error["code"] == "PAYLOAD_TOO_LARGE" and error["request_id"]

    async def chunks() -> Any:  # no Content-Length: the bytes received are counted
        yield b'{"idempotency_key": "k", "claims": ['
        for _ in range(CAP_BYTES // 64):
            yield b'{"temp_id": "a", "content": "pad", "claim_type": "x"},' * 2
        yield b"]}"

    streamed = await client.post(
        "/v1/bundles",
        content=chunks(),
        headers={**admin, "Content-Type": "application/json"},
    )
    assert streamed.status_code == 413
    small = await client.post("/v1/bundles", json=_bundle(fresh_ns), headers=admin)
    assert small.status_code == 201, small.text


async def test_edges_and_artifacts_are_capped_with_the_claims(
    client: httpx.AsyncClient, admin: Headers, fresh_ns: str
) -> None:
    edges = [
        {"source_temp_id": "a", "target_id": str(uuid.uuid4()), "edge_type": "supports"}
    ] * 41  # 20 per claim, 2 claims at most
    artifacts = [{"temp_id": f"t{i}", "artifact_type": "figure"} for i in range(3)]
    refused = await client.post(
        "/v1/bundles", json=_bundle(fresh_ns, edges=edges, artifacts=artifacts), headers=admin
    )
    assert refused.status_code == 422
    details = refused.json()["error"]["details"]
    assert [(d["field"], d["code"]) for d in details] == [
        ("edges", "TOO_MANY"), ("artifacts", "TOO_MANY"),
    ]  # fmt: skip
