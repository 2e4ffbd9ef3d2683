"""``CHROMA_HOST`` set: a real Chroma server (the ``chroma run`` of the client's own package),
shared by whoever ingests and the API. Ingestion runs in process here (the session's worker
writes to the embedded store), through the same pipeline the worker runs."""

from __future__ import annotations

import asyncio
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from oyl.config import Settings
from oyl.identity.roles import Role
from oyl.ingestion.pipeline import Ingestion
from oyl.main import build_app
from oyl.tenancy import Caller
from servicekit.auth import PrincipalKind
from servicekit.testing.app import app_client

V1 = "/api/v1"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    chroma = shutil.which("chroma", path=str(Path(sys.executable).parent))
    assert chroma is not None, "the chromadb package ships the `chroma` command"
    port = _free_port()
    log = tmp_path_factory.mktemp("chroma") / "server.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [chroma, "run", "--path", str(log.parent / "data"), "--port", str(port)],
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1).is_success:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"chroma did not start:\n{log.read_text()[-2000:]}")
            time.sleep(0.2)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=30)


async def test_ingest_and_answer_through_a_chroma_server(
    oyl_settings: Settings, chroma_server: int, api: Any
) -> None:
    tenant = await api.tenant("server")
    tree = await api.tree(tenant)
    settings = oyl_settings.model_copy(
        update={"chroma_host": "127.0.0.1", "chroma_port": chroma_server}
    )
    app = build_app(settings)
    async with app_client(app) as http:
        ready = await http.get("/ready")
        assert ready.status_code == 200 and ready.json()["checks"]["chroma"] == "ok"
        oyl = app.state.oyl
        caller = Caller(uuid.UUID(tenant.id), Role.owner, "test", PrincipalKind.api_key)
        text = b"The server room door code changes every Monday at 9 am."

        async def rest() -> Any:
            yield text[8:]

        document, _ = await oyl.documents.store(
            caller, uuid.UUID(tree.kb), "door.txt", text[:8], rest()
        )
        result = await asyncio.to_thread(
            Ingestion(oyl.ingest_resources(), lambda *_: None).run, document.id
        )
        assert result["chunks"] == 1
        assert oyl.vectors.count(uuid.UUID(tenant.id)) == 1
        answer = await http.post(
            f"{V1}/teammates/{tree.teammate}/query",
            json={"query": "When does the server room door code change?"},
            headers=tenant.owner,
        )
        body = answer.json()
        assert body["found"] and body["citations"][0]["document_name"] == "door.txt"
        deleted = await http.delete(f"{V1}/documents/{document.id}", headers=tenant.owner)
        assert deleted.status_code == 204
        assert oyl.vectors.count(uuid.UUID(tenant.id)) == 0
