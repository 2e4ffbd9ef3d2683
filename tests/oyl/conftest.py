"""Oyl on a real PostgreSQL, Redis, Chroma (embedded, in a temporary data directory), the real
local embedder, and, for ingestion, a real Celery worker process. Only the LLM is scripted.

The stack is built once per session: every test creates tenants of its own, so tests never see
each other's data (which is itself what the isolation tests check).
"""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from celery import Celery

from oyl.config import Settings
from oyl.ingestion.queue import QUEUE, oyl_celery
from oyl.main import build_app
from servicekit.llm import Message, install_script, remove_script
from servicekit.testing.app import app_client
from servicekit.testing.jobs import CeleryWorkers, WorkerProcess, worker_pool

from .documents import pdf_bytes, text_image

Headers = dict[str, str]
ADMIN_EMAIL = "platform@oyl.test"
ADMIN_PASSWORD = "platform-admin-password"
FAST_MODEL = "scripted/oyl-fast"
REASONING_MODEL = "scripted/oyl-reasoning"
_BLOCK = re.compile(r"^\[(\d+)\] \((.*?)\)\n(.*?)(?=\n\n\[\d+\] |\n\nQuestion: )", re.S | re.M)


def grounded_reply(messages: list[Message]) -> str:
    """A deterministic stand-in for a model that follows the grounding rules: it answers with the
    first sentence of the first context block that shares a word with the question, cited."""
    prompt = messages[-1]["content"]
    question = prompt.rsplit("Question: ", 1)[-1].lower()
    words = {w for w in re.findall(r"[a-z0-9]{4,}", question)}
    reasoning = "<think>Looking for the block that answers.</think>" if "<think>" in prompt else ""
    for number, _, text in _BLOCK.findall(prompt):
        if words & set(re.findall(r"[a-z0-9]{4,}", text.lower())):
            sentence = re.split(r"(?<=[.!?])\s", text.strip(), maxsplit=1)[0]
            return f"{reasoning}{sentence} [{number}]"
    return f"{reasoning}I could not find this in the knowledge base."


def make_settings(database_url: str, redis_url: str, data_dir: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "_env_file": None,
        "database_url": database_url,
        "redis_url": redis_url,
        "data_dir": data_dir,
        "secret_key": "oyl-test-secret-key-0123456789abcdef",
        "platform_admin_email": ADMIN_EMAIL,
        "platform_admin_password": ADMIN_PASSWORD,
        "fast_model": FAST_MODEL,
        "reasoning_model": REASONING_MODEL,
        "rate_limit_requests_per_minute": 100_000,
        "rate_limit_burst": 10_000,
        "retrieval_min_score": 0.2,
        "embedding_threads": 1,
        "llm_max_retries": 0,
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture(scope="session")
def oyl_settings(
    make_database: Callable[[str], str],
    redis_url: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Settings:
    return make_settings(make_database("oyl"), redis_url, tmp_path_factory.mktemp("oyl-data"))


@pytest.fixture(scope="session", autouse=True)
def scripted_models() -> Iterator[None]:
    install_script(FAST_MODEL, grounded_reply)
    install_script(REASONING_MODEL, grounded_reply)
    yield
    remove_script(FAST_MODEL)
    remove_script(REASONING_MODEL)


@pytest.fixture(scope="session")
async def client(oyl_settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with app_client(build_app(oyl_settings)) as http:
        yield http


@pytest.fixture(scope="session")
def celery(oyl_settings: Settings) -> Celery:
    return oyl_celery(oyl_settings.redis_url)


@pytest.fixture(scope="session")
def worker(
    oyl_settings: Settings,
    celery: Celery,
    client: httpx.AsyncClient,  # the app migrates the database first
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[WorkerProcess]:
    """One real ``oyl.worker`` process, with the environment a deployment gives it."""
    env = {
        "DATABASE_URL": str(oyl_settings.database_url),
        "REDIS_URL": str(oyl_settings.redis_url),
        "DATA_DIR": str(oyl_settings.data_dir),
        "EMBEDDING_THREADS": "1",
        "ENVIRONMENT": "development",
    }
    with worker_pool(tmp_path_factory.mktemp("oyl-workers")) as pool:
        yield start_worker(pool, celery, env)


def start_worker(pool: CeleryWorkers, celery: Celery, env: dict[str, str]) -> WorkerProcess:
    return pool.start(celery, "oyl.worker:app", queues=[QUEUE], env=env, ready_timeout=60)


@dataclass
class Tenant:
    id: str
    name: str
    owner: Headers
    users: dict[str, Headers] = field(default_factory=dict)


@dataclass
class Tree:
    workspace: str
    kb: str
    teammate: str
    assistant: str


class OylApi:
    """Helpers that drive the API as a client would."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client
        self._admin: Headers | None = None

    async def login(self, email: str, password: str, tenant_id: str | None = None) -> Headers:
        body: dict[str, Any] = {"email": email, "password": password}
        if tenant_id:
            body["tenant_id"] = tenant_id
        response = await self.client.post("/api/v1/auth/login", json=body)
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['access_token']}"}

    async def admin(self) -> Headers:
        if self._admin is None:
            self._admin = await self.login(ADMIN_EMAIL, ADMIN_PASSWORD)
        return self._admin

    async def tenant(self, prefix: str = "tenant") -> Tenant:
        name = f"{prefix}-{uuid.uuid4().hex[:8]}"
        email = f"owner-{name}@oyl.test"
        response = await self.client.post(
            "/api/v1/tenants",
            json={"name": name, "owner_email": email, "owner_password": "owner-password"},
            headers=await self.admin(),
        )
        assert response.status_code == 201, response.text
        tenant_id = response.json()["id"]
        return Tenant(tenant_id, name, await self.login(email, "owner-password", tenant_id))

    async def member(self, tenant: Tenant, role: str) -> Headers:
        email = f"{role}-{uuid.uuid4().hex[:8]}@oyl.test"
        response = await self.client.post(
            "/api/v1/members",
            json={"email": email, "role": role, "password": "member-password"},
            headers=tenant.owner,
        )
        assert response.status_code == 201, response.text
        headers = await self.login(email, "member-password", tenant.id)
        tenant.users[role] = headers
        return headers

    async def post(self, path: str, headers: Headers, **body: Any) -> dict[str, Any]:
        response = await self.client.post(path, json=body, headers=headers)
        assert response.status_code == 201, response.text
        return response.json()

    async def tree(self, tenant: Tenant, *, instruction: str | None = None) -> Tree:
        h = tenant.owner
        workspace = (await self.post("/api/v1/workspaces", h, name="Support"))["id"]
        kb = (await self.post(f"/api/v1/workspaces/{workspace}/knowledge-bases", h, name="Docs"))[
            "id"
        ]
        teammate = (await self.post(f"/api/v1/workspaces/{workspace}/teammates", h, name="Helper"))[
            "id"
        ]
        assistant = (
            await self.post(
                f"/api/v1/teammates/{teammate}/assistants",
                h,
                name="Librarian",
                knowledge_base_ids=[kb],
                instruction=instruction,
            )
        )["id"]
        return Tree(workspace, kb, teammate, assistant)

    async def upload(
        self, headers: Headers, kb: str, name: str, content: bytes, mime: str = "text/plain"
    ) -> httpx.Response:
        return await self.client.post(
            f"/api/v1/knowledge-bases/{kb}/documents",
            files={"file": (name, content, mime)},
            headers=headers,
        )

    async def ingested(
        self, headers: Headers, kb: str, name: str, content: bytes, within: float = 120.0
    ) -> dict[str, Any]:
        response = await self.upload(headers, kb, name, content)
        assert response.status_code in (200, 201), response.text
        return await self.wait_ready(headers, response.json()["id"], within=within)

    async def wait_ready(
        self, headers: Headers, document_id: str, *, within: float = 120.0
    ) -> dict[str, Any]:
        document: dict[str, Any] = {}
        try:
            async with asyncio.timeout(within):
                while True:
                    document = (
                        await self.client.get(f"/api/v1/documents/{document_id}", headers=headers)
                    ).json()
                    if document["status"] in ("ready", "failed"):
                        return document
                    await asyncio.sleep(0.2)
        except TimeoutError:
            raise AssertionError(f"document not ingested in {within} s: {document}") from None


@pytest.fixture(scope="session")
def api(client: httpx.AsyncClient) -> OylApi:
    return OylApi(client)


@pytest.fixture(scope="session")
def make_pdf() -> Callable[[list[str | None]], bytes]:
    return pdf_bytes


@pytest.fixture(scope="session")
def make_image() -> Callable[..., bytes]:
    return text_image
