"""The request body cap: declared and streamed bodies, JSON and multipart, all routes or some."""

from __future__ import annotations

from collections.abc import AsyncIterator

from fastapi import APIRouter, UploadFile

from servicekit.app import create_app
from servicekit.body_limit import BodySizeLimit
from servicekit.testing.app import app_client

LIMIT = 1000


def _app(**limit: object):
    router = APIRouter()
    stored: list[int] = []

    @router.post("/notes")
    async def add_note(note: dict[str, str]) -> dict[str, int]:
        stored.append(len(note["text"]))
        return {"stored": len(stored)}

    @router.post("/files")
    async def upload(file: UploadFile) -> dict[str, int]:
        stored.append(len(await file.read()))
        return {"stored": len(stored)}

    app = create_app(title="t", version="1", routers=[router])
    app.add_middleware(BodySizeLimit, **{"max_bytes": LIMIT, **limit})
    app.state.stored = stored
    return app


async def _chunks(total: int) -> AsyncIterator[bytes]:
    yield b'{"text": "'
    for _ in range(total // 100):
        yield b"x" * 100
    yield b'"}'


async def test_a_declared_body_over_the_limit_is_refused_with_the_envelope() -> None:
    app = _app()
    async with app_client(app) as client:
        refused = await client.post("/notes", json={"text": "x" * 2 * LIMIT})
        small = await client.post("/notes", json={"text": "short"})
    assert refused.status_code == 413
    error = refused.json()["error"]
    assert error["code"] == "payload_too_large" and error["request_id"]
    assert error["details"] == {"max_bytes": LIMIT, "setting": "MAX_REQUEST_BYTES"}
    assert "MAX_REQUEST_BYTES" in error["message"]
    assert small.status_code == 200 and app.state.stored == [5]


async def test_a_streamed_body_is_counted_as_it_arrives() -> None:
    app = _app()
    async with app_client(app) as client:
        refused = await client.post(
            "/notes", content=_chunks(5 * LIMIT), headers={"Content-Type": "application/json"}
        )
        within = await client.post(
            "/notes", content=_chunks(LIMIT // 2), headers={"Content-Type": "application/json"}
        )
    assert refused.status_code == 413
    assert within.status_code == 200 and app.state.stored == [LIMIT // 2]


async def test_multipart_uploads_are_refused_before_the_endpoint_runs() -> None:
    app = _app(setting="MAX_UPLOAD_BYTES", allowance=500)
    async with app_client(app) as client:
        over = await client.post("/files", files={"file": ("a.bin", b"a" * 3 * LIMIT)})
        # The allowance covers the multipart framing around a file of exactly the limit.
        at_limit = await client.post("/files", files={"file": ("b.bin", b"b" * LIMIT)})
    assert over.status_code == 413 and "MAX_UPLOAD_BYTES" in over.json()["error"]["message"]
    assert at_limit.status_code == 200 and app.state.stored == [LIMIT]


async def test_a_path_pattern_limits_only_the_routes_it_matches() -> None:
    app = _app(paths=r"/files$")
    async with app_client(app) as client:
        note = await client.post("/notes", json={"text": "x" * 2 * LIMIT})
        upload = await client.post("/files", files={"file": ("a.bin", b"a" * 2 * LIMIT)})
    assert note.status_code == 200
    assert upload.status_code == 413
