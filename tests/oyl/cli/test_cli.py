"""``suite oyl ...``: migrate, create-tenant, ingest DIR (with its progress bar)."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from oyl.cli import cli
from oyl.config import Settings

V1 = "/api/v1"


@pytest.fixture
def cli_env(oyl_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI reads the same variables as the service."""
    monkeypatch.setenv("DATABASE_URL", str(oyl_settings.database_url))
    monkeypatch.setenv("REDIS_URL", str(oyl_settings.redis_url))
    monkeypatch.setenv("DATA_DIR", str(oyl_settings.data_dir))
    monkeypatch.setenv("SECRET_KEY", oyl_settings.signing_key().get_secret_value())
    monkeypatch.setenv("EMBEDDING_THREADS", "1")


async def run(*args: str) -> Any:
    return await asyncio.to_thread(CliRunner().invoke, cli, list(args))


async def test_migrate_and_create_tenant(cli_env: None, api: Any) -> None:
    migrated = await run("migrate")
    assert migrated.exit_code == 0, migrated.output
    assert "revision 0001" in migrated.output
    name = f"cli-{uuid.uuid4().hex[:6]}"
    created = await run(
        "create-tenant",
        name,
        "--owner-email",
        f"{name}@oyl.test",
        "--owner-password",
        "cli-password",
    )
    assert created.exit_code == 0, created.output
    headers = await api.login(f"{name}@oyl.test", "cli-password")
    me = (await api.client.get(f"{V1}/auth/me", headers=headers)).json()
    assert me["role"] == "owner" and me["memberships"][0]["tenant_name"] == name
    again = await run("create-tenant", name, "--owner-email", f"{name}@oyl.test")
    assert again.exit_code == 1 and "already exists" in again.output


async def test_ingest_a_directory(
    cli_env: None, api: Any, client: httpx.AsyncClient, tmp_path: Path
) -> None:
    tenant = await api.tenant("cli")
    tree = await api.tree(tenant)
    folder = tmp_path / "docs"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.md").write_text("# Alpha\n\nThe alpha team meets on Mondays.")
    (folder / "sub" / "b.txt").write_text("The beta team meets on Tuesdays.")
    (folder / "c.bin").write_bytes(b"\x00\x01\x02\x03")
    result = await run("ingest", str(folder), "--tenant", tenant.id, "--knowledge-base", tree.kb)
    assert result.exit_code == 1, result.output  # one file was refused
    assert "2 ingested, 0 already there, 1 failed" in result.output
    assert "c.bin: Unsupported file type" in result.output
    documents = (
        await client.get(f"{V1}/knowledge-bases/{tree.kb}/documents", headers=tenant.owner)
    ).json()
    assert sorted(d["name"] for d in documents["items"]) == ["a.md", "b.txt"]
    assert {d["status"] for d in documents["items"]} == {"ready"}
    hits = (
        await client.post(
            f"{V1}/retrieval/test",
            json={"query": "When does the beta team meet?", "knowledge_base_ids": [tree.kb]},
            headers=tenant.owner,
        )
    ).json()["hits"]
    assert hits[0]["document_name"] == "b.txt"
    (folder / "c.bin").unlink()
    rerun = await run("ingest", str(folder), "--tenant", tenant.id, "--knowledge-base", tree.kb)
    assert rerun.exit_code == 0 and "0 ingested, 2 already there, 0 failed" in rerun.output


async def test_create_admin(cli_env: None, api: Any) -> None:
    email = f"ops-{uuid.uuid4().hex[:6]}@oyl.test"
    result = await run("create-admin", "--email", email, "--password", "ops-password-1")
    assert result.exit_code == 0, result.output
    headers = await api.login(email, "ops-password-1")
    assert (await api.client.get(f"{V1}/tenants", headers=headers)).status_code == 200
    me = (await api.client.get(f"{V1}/auth/me", headers=headers)).json()
    assert me["is_platform_admin"] is True and me["tenant_id"] is None
