"""Prediction history written in batches off the request path: nothing lost on a graceful
shutdown or under load, reads see what was served, order is the order of serving."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from modelforge.config import Settings
from modelforge.main import build_app
from modelforge.models import MLModel, Prediction
from modelforge.predictions.history_writer import HistoryWriter
from modelforge.runtime import ModelForge
from servicekit.db import Database
from servicekit.testing.app import app_client

Headers = dict[str, str]


@pytest.fixture
def mf_settings(mf_settings: Settings) -> Settings:
    # Rows would wait a minute: only a flush (a read, a shutdown) writes them during a test.
    return mf_settings.model_copy(update={"history_flush_interval_ms": 60_000})


def _row(model: dict[str, Any], owner_id: uuid.UUID, n: int, **changes: Any) -> dict[str, Any]:
    started = datetime(2026, 1, 1, tzinfo=UTC)
    return {
        "id": uuid.uuid4(),
        "model_id": uuid.UUID(str(model["id"])),
        "owner_id": owner_id,
        "requester_id": owner_id,
        "input_data": {"n": n},
        "output_data": {"y": [n]},
        "inference_time_ms": 0.1,
        "cached": False,
        "request_id": f"r{n}",
        "client_ip": None,
        "created_at": started + timedelta(milliseconds=n),
    } | changes


async def _owner(forge: ModelForge, model: dict[str, Any]) -> uuid.UUID:
    async with forge.db.session() as session:
        owner = await session.scalar(
            select(MLModel.owner_id).where(MLModel.id == uuid.UUID(str(model["id"])))
        )
    assert owner is not None
    return owner


async def _count(db: Database, model_id: object) -> int:
    async with db.session() as session:
        total = await session.scalar(
            select(func.count())
            .select_from(Prediction)
            .where(Prediction.model_id == uuid.UUID(str(model_id)))
        )
    return int(total or 0)


async def test_reads_flush_and_history_keeps_the_order_of_serving(
    mf_client: httpx.AsyncClient,
    forge: ModelForge,
    models: Any,
    users: dict[str, Headers],
    regressor_onnx: bytes,
) -> None:
    model = await models.ready(users["alice"], regressor_onnx)
    for index in range(6):
        served = await models.predict(
            users["alice"], model["id"], {"X": [[index, 0, 0, 0]]}, request_id=f"r{index}"
        )
        assert served.status_code == 201, served.text
        assert served.json()["request_id"] == f"r{index}"
    assert forge.history_writer.queued == 6  # nothing was written on the request path
    assert await _count(forge.db, model["id"]) == 0

    page = await mf_client.get(f"/api/v1/models/{model['id']}/predictions", headers=users["alice"])
    assert page.status_code == 200
    assert [item["request_id"] for item in page.json()["items"]] == [
        f"r{index}" for index in reversed(range(6))
    ]
    served_ids = {item["id"] for item in page.json()["items"]}
    assert len(served_ids) == 6


async def test_graceful_shutdown_writes_every_queued_row(
    mf_settings: Settings, regressor_onnx: bytes
) -> None:
    async with app_client(build_app(mf_settings)) as client:
        owner = await client.post(
            "/api/v1/auth/register", json={"login": "owner", "password": "owner-password-1"}
        )
        headers = {"Authorization": f"Bearer {owner.json()['access_token']}"}
        created = await client.post(
            "/api/v1/models", json={"name": "m", "version": "1.0.0"}, headers=headers
        )
        model_id = created.json()["id"]
        upload = {"file": ("model.onnx", regressor_onnx, "application/octet-stream")}
        await client.post(f"/api/v1/models/{model_id}/upload", files=upload, headers=headers)
        validated = await client.post(f"/api/v1/models/{model_id}/validate", headers=headers)
        assert validated.status_code == 200, validated.text
        for index in range(20):
            response = await client.post(
                f"/api/v1/models/{model_id}/predict",
                json={"input_data": {"X": [[index] * 4]}},
                headers=headers,
            )
            assert response.status_code == 201
        forge: ModelForge = client._transport.app.state.modelforge  # type: ignore[attr-defined]
        assert forge.history_writer.queued == 20
    db = Database(str(mf_settings.database_url))
    try:
        assert await _count(db, model_id) == 20
    finally:
        await db.dispose()


async def test_under_load_a_full_queue_writes_inline_and_loses_nothing(
    forge: ModelForge, models: Any, users: dict[str, Headers], regressor_onnx: bytes
) -> None:
    model = await models.ready(users["alice"], regressor_onnx)
    owner = await _owner(forge, model)
    writer = HistoryWriter(forge.db, interval_seconds=0.002, max_batch=25, max_queue=10)
    rows = [_row(model, owner, n) for n in range(400)]
    high_water = 0

    async def submit(chunk: list[dict[str, Any]]) -> None:
        nonlocal high_water
        for row in chunk:
            await writer.record(row)
            high_water = max(high_water, writer.queued)

    await asyncio.gather(*(submit(rows[start::8]) for start in range(8)))
    await writer.close()
    assert high_water <= 10
    assert await _count(forge.db, model["id"]) == 400
    async with forge.db.session() as session:
        stored = (
            await session.scalars(
                select(Prediction.request_id)
                .where(Prediction.model_id == uuid.UUID(str(model["id"])))
                .order_by(Prediction.created_at)
            )
        ).all()
    assert stored == [f"r{n}" for n in range(400)]  # order of serving, not of writing


async def test_a_row_whose_model_is_gone_is_skipped_without_losing_its_batch(
    forge: ModelForge, models: Any, users: dict[str, Headers], regressor_onnx: bytes
) -> None:
    model = await models.ready(users["alice"], regressor_onnx)
    owner = await _owner(forge, model)
    writer = HistoryWriter(forge.db, interval_seconds=60)
    await writer.record(_row(model, owner, 1))
    await writer.record(_row(model, owner, 2, model_id=uuid.uuid4()))  # deleted meanwhile
    await writer.record(_row(model, owner, 3))
    await writer.flush()
    assert writer.queued == 0
    assert await _count(forge.db, model["id"]) == 2
    await writer.close()


async def test_close_ends_whenever_it_comes_after_a_flush(
    forge: ModelForge, models: Any, users: dict[str, Headers], regressor_onnx: bytes
) -> None:
    # A shutdown right after a history read could hang for good: the writer was stopped by a
    # task cancellation, which asyncio.wait_for (Python 3.11) swallows when it lands while the
    # writer is being woken. Every interleaving of two flushes and the close must end.
    model = await models.ready(users["alice"], regressor_onnx)
    owner = await _owner(forge, model)
    rows = 0
    for pause in range(12):
        writer = HistoryWriter(forge.db, interval_seconds=60)
        await writer.record(_row(model, owner, rows := rows + 1))
        first = asyncio.ensure_future(writer.flush())
        for _ in range(pause):
            await asyncio.sleep(0)
        await writer.record(_row(model, owner, rows := rows + 1))
        await writer.flush()
        closing = asyncio.ensure_future(writer.close())
        done, _ = await asyncio.wait({closing}, timeout=10)  # a hang guard, not a speed target
        assert closing in done, f"close() hung after {pause} pauses"
        await first
    assert await _count(forge.db, model["id"]) == rows
