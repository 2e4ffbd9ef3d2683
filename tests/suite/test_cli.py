"""The `suite` command end to end, in subprocesses, against the embedded servers."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil


def _suite(*args: str, env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "suite", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _servers_under(home: Path) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter(["cmdline"]):
        cmdline = " ".join(proc.info["cmdline"] or [])
        if str(home) in cmdline and ("postgres" in cmdline or "redis-server" in cmdline):
            found.append(proc)
    return found


def _celery_workers(home: Path) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter(["cmdline", "environ"]):
        cmdline = " ".join(proc.info["cmdline"] or [])
        environ = proc.info["environ"] or {}
        if "celery" in cmdline and environ.get("SUITE_HOME") == str(home):
            found.append(proc)
    return found


def test_migrate_and_service_commands(demo_env: dict[str, str]) -> None:
    result = _suite("migrate", "demo", env=demo_env)
    assert result.returncode == 0, result.stderr
    assert "revision 0001" in result.stderr

    down = _suite("migrate", "demo", "--downgrade", "--revision", "base", env=demo_env)
    assert down.returncode == 0 and "revision base" in down.stderr

    hello = _suite("demo", "hello", "--name", "tester", env=demo_env)
    assert hello.returncode == 0 and "hello tester from demo" in hello.stdout

    unknown = _suite("migrate", "nosuch", env=demo_env)
    assert unknown.returncode == 2 and "unknown service 'nosuch'" in unknown.stderr
    assert not _servers_under(Path(demo_env["SUITE_HOME"]))


def test_doctor_reports_services_and_a_broken_database(demo_env: dict[str, str]) -> None:
    ok = _suite("doctor", env=demo_env)
    assert "service demo" in ok.stderr and "PostgreSQL" in ok.stderr

    broken = _suite("doctor", env={**demo_env, "DATABASE_URL": "postgresql://x@127.0.0.1:1/x"})
    assert broken.returncode == 1
    assert "Check DATABASE_URL" in broken.stderr


def test_up_serves_every_service_and_ctrl_c_stops_everything(demo_env: dict[str, str]) -> None:
    port = _free_port()
    home = Path(demo_env["SUITE_HOME"])
    proc = subprocess.Popen(
        [sys.executable, "-m", "suite", "up", "--port", str(port)],
        env=demo_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            assert proc.poll() is None, proc.stdout.read()
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "suite up did not come up"
            time.sleep(0.3)
        landing = httpx.get(base + "/")
        assert "Demo" in landing.text and 'href="/demo/docs"' in landing.text
        assert "/static/kit/vendor/pico/pico.min.css" in landing.text
        # Migrated and seeded before serving; mounted under its prefix with its own lifespan.
        assert httpx.get(f"{base}/demo/notes").json() == ["seeded"]
        assert httpx.get(f"{base}/demo/health").json() == {"status": "ok"}
        assert _servers_under(home), "embedded servers should be running"
        # Background work reaches the worker `suite up` started, through the embedded Redis.
        assert httpx.post(f"{base}/demo/notes/from-worker").status_code == 202
        deadline = time.monotonic() + 30
        while "from-worker" not in httpx.get(f"{base}/demo/notes").json():
            assert time.monotonic() < deadline, "the worker never ran the task"
            time.sleep(0.3)
        workers = _celery_workers(home)
        assert workers, "suite up should supervise a Celery worker"
    finally:
        proc.send_signal(signal.SIGINT)
        output, _ = proc.communicate(timeout=60)
    assert proc.returncode in (0, 130), output
    assert "Stopped." in output
    assert "✓ Demo: migrations" in output and "✓ Demo: seed data" in output
    deadline = time.monotonic() + 15
    while _servers_under(home) and time.monotonic() < deadline:
        time.sleep(0.3)
    assert not _servers_under(home), "embedded servers left running after Ctrl-C"
    assert not any(w.is_running() and w.status() != psutil.STATUS_ZOMBIE for w in workers)
