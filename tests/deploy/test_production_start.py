"""Each service's production command starts, answers its probes, and refuses bad configuration.

The command is the production image's own CMD (read from deploy/Dockerfile: the preflight, then
`uvicorn <package>.main:app --workers ${WEB_CONCURRENCY}`), run with ENVIRONMENT=production and
WEB_CONCURRENCY=2 against a real PostgreSQL whose schema was created beforehand by
`alembic upgrade head` with the image's ALEMBIC_CONFIG, as the migration Job does. Oyl talks to a
real Chroma server (`chroma run`), ModelForge and Oyl to a real Redis. The five start together.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from .catalog import DEPLOY, SERVICES, Service, settings_env_names
from .dockerfile import exec_form, stages

BIN = Path(sys.executable).parent
START_TIMEOUT = 180.0
REFUSAL_TIMEOUT = 60.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def production_command(port: int) -> list[str]:
    """The image's CMD, on a free local port and with the preflight from this checkout."""
    command = exec_form(stages()["production"].last("CMD"))
    script = command[-1]
    assert "--host 0.0.0.0 --port 8000" in script and "python /app/preflight.py" in script
    script = script.replace("--host 0.0.0.0 --port 8000", f"--host 127.0.0.1 --port {port}")
    script = script.replace("python /app/preflight.py", f"python {DEPLOY / 'preflight.py'}")
    return [*command[:-1], script]


def base_environment(home: Path) -> dict[str, str]:
    """The test process's environment without any service setting, the venv first on PATH."""
    names = set().union(*(settings_env_names(service) for service in SERVICES))
    env = {key: value for key, value in os.environ.items() if key.upper() not in names}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env["SUITE_HOME"] = str(home)
    env["ENVIRONMENT"] = "production"
    env["WEB_CONCURRENCY"] = "2"
    return env


@dataclass
class Running:
    service: Service
    port: int
    process: subprocess.Popen[bytes]
    log: Path
    env: dict[str, str]

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]


def start(service: Service, env: dict[str, str], workdir: Path) -> Running:
    port = free_port()
    log = workdir / f"{service.name}.log"
    env = {**env, "SERVICE_PACKAGE": service.package, "HEALTH_PATH": service.healthcheck}
    with log.open("wb") as output:
        process = subprocess.Popen(
            production_command(port),
            env=env,
            cwd=workdir,  # no .env of the checkout is read
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return Running(service, port, process, log, env)


def stop(*processes: Running, grace: float = 20.0) -> None:
    """SIGTERM to all at once (uvicorn shuts down gracefully), SIGKILL what is left after grace."""
    alive = [running for running in processes if running.process.poll() is None]
    for running in alive:
        os.killpg(running.process.pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    for running in alive:
        try:
            running.process.wait(timeout=max(deadline - time.monotonic(), 0.1))
        except subprocess.TimeoutExpired:
            os.killpg(running.process.pid, signal.SIGKILL)
            running.process.wait()


def wait_until_ready(stack: dict[str, Running]) -> None:
    pending = dict(stack)
    deadline = time.monotonic() + START_TIMEOUT
    while pending:
        for name, running in list(pending.items()):
            if running.process.poll() is not None:
                raise AssertionError(
                    f"{name} exited {running.process.returncode}:\n{running.tail()}"
                )
            try:
                ok = all(
                    httpx.get(running.url(path), timeout=2).status_code == 200
                    for path in (running.service.liveness, running.service.readiness)
                )
            except httpx.TransportError:
                ok = False
            if ok:
                del pending[name]
        if pending and time.monotonic() > deadline:
            tails = "\n".join(f"--- {n}:\n{r.tail()}" for n, r in pending.items())
            raise AssertionError(f"not ready after {START_TIMEOUT}s: {sorted(pending)}\n{tails}")
        time.sleep(0.5)


@pytest.fixture(scope="module")
def chroma_port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    chroma = shutil.which("chroma", path=str(BIN))
    assert chroma is not None, "the chromadb package ships the `chroma` server"
    port = free_port()
    folder = tmp_path_factory.mktemp("chroma-server")
    with (folder / "server.log").open("wb") as output:
        process = subprocess.Popen(
            [chroma, "run", "--path", str(folder / "data"), "--port", str(port)],
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        yield port
    finally:
        process.terminate()
        process.wait(timeout=30)


def migrate(urls: dict[str, str], env: dict[str, str]) -> None:
    """`alembic upgrade head` for every database, as the image runs it (ALEMBIC_CONFIG)."""
    processes = {
        name: subprocess.Popen(
            [str(BIN / "alembic"), "upgrade", "head"],
            env={
                **env,
                "DATABASE_URL": url,
                "ALEMBIC_CONFIG": str(DEPLOY / "alembic" / f"{name}.ini"),
            },
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        for name, url in urls.items()
    }
    for name, process in processes.items():
        output, _ = process.communicate(timeout=180)
        assert process.returncode == 0, f"{name}: alembic upgrade head failed:\n{output.decode()}"


@pytest.fixture(scope="module")
def production_env(
    make_database: Callable[[str], str],
    redis_url: str,
    suite_home_dir: Path,
    chroma_port: int,
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, dict[str, str]]:
    """Every service's production environment, its database migrated beforehand."""
    files = tmp_path_factory.mktemp("production-files")
    urls = {service.name: make_database(f"prod_{service.name}") for service in SERVICES}
    base = base_environment(suite_home_dir)
    migrate(urls, base)
    specific = {
        "galileo": {"ML_SCORING_ENABLED": "false"},
        "modelforge": {
            "SECRET_KEY": "a-production-secret-of-more-than-32-characters",
            "REDIS_URL": redis_url,
            "MODEL_STORAGE_PATH": str(files / "models"),
            "CORS_ORIGINS": "https://modelforge.example.com",
        },
        "phiacta": {
            "API_KEY_SALT": "a-production-pepper-shared-by-every-replica",
            "CORS_ORIGINS": '["https://phiacta.example.com"]',
        },
        "curiouscore": {"SECRET_KEY": "a-production-secret-of-more-than-32-characters"},
        "oyl": {
            "SECRET_KEY": "a-production-secret-of-more-than-32-characters",
            "REDIS_URL": redis_url.replace("db=0", "db=1"),
            "CHROMA_HOST": "127.0.0.1",
            "CHROMA_PORT": str(chroma_port),
            "DATA_DIR": str(files / "oyl"),
        },
    }
    return {name: {**base, "DATABASE_URL": url, **specific[name]} for name, url in urls.items()}


@pytest.fixture(scope="module")
def stack(
    production_env: dict[str, dict[str, str]], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Running]]:
    workdir = tmp_path_factory.mktemp("production")
    running = {s.name: start(s, production_env[s.name], workdir) for s in SERVICES}
    try:
        wait_until_ready(running)
        yield running
    finally:
        stop(*running.values())


def worker_processes(master: int) -> int:
    """uvicorn's worker processes under ``master`` (multiprocessing spawn children)."""
    count = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            cmdline = (entry / "cmdline").read_bytes()
        except (OSError, IndexError, ValueError):
            continue
        if ppid == master and b"multiprocessing.spawn" in cmdline:
            count += 1
    return count


@pytest.mark.slow
@pytest.mark.parametrize("service", SERVICES, ids=lambda s: s.name)
def test_production_command_serves_its_probes(service: Service, stack: dict[str, Running]) -> None:
    running = stack[service.name]
    for path in {service.liveness, service.readiness, service.healthcheck}:
        response = httpx.get(running.url(path), timeout=10)
        assert response.status_code == 200, f"{path}: {response.text}"
    assert worker_processes(running.process.pid) == 2, "uvicorn runs --workers 2"
    # Production logs are JSON lines (the guides' structured logging).
    assert '{"' in running.log.read_text(errors="replace")


@pytest.mark.slow
@pytest.mark.parametrize("service", SERVICES, ids=lambda s: s.name)
def test_image_healthcheck_command_agrees(service: Service, stack: dict[str, Running]) -> None:
    running = stack[service.name]
    check = exec_form(stages()["production"].last("HEALTHCHECK"))
    assert "127.0.0.1:8000" in check[-1]
    env = {**running.env, "PATH": running.env["PATH"]}

    def healthcheck(port: int) -> int:
        code = check[-1].replace("127.0.0.1:8000", f"127.0.0.1:{port}")
        command = [sys.executable if check[0] == "python" else check[0], *check[1:-1], code]
        return subprocess.run(command, env=env, capture_output=True, timeout=30).returncode

    assert healthcheck(running.port) == 0
    assert healthcheck(free_port()) != 0, "a dead server fails the health check"


@pytest.fixture(scope="module")
def refusals(
    production_env: dict[str, dict[str, str]], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Running]:
    """Every service started without its required secret, all at once; each must exit."""
    workdir = tmp_path_factory.mktemp("refusals")
    started = {}
    for service in SERVICES:
        env = dict(production_env[service.name])
        del env[service.secret]
        started[service.name] = start(service, env, workdir)
    deadline = time.monotonic() + REFUSAL_TIMEOUT
    for running in started.values():
        try:
            running.process.wait(timeout=max(deadline - time.monotonic(), 1))
        except subprocess.TimeoutExpired:
            break  # reported by the test of that service
    stop(*started.values())
    return started


@pytest.mark.slow
@pytest.mark.parametrize("service", SERVICES, ids=lambda s: s.name)
def test_refuses_to_start_without_its_required_secret(
    service: Service, refusals: dict[str, Running]
) -> None:
    running = refusals[service.name]
    output = running.tail()
    assert running.process.returncode not in (None, 0, -signal.SIGTERM, -signal.SIGKILL), (
        f"still running without {service.secret}:\n{output}"
    )
    assert f"refusing to start: {service.secret}" in output, output
    assert "Traceback" not in output, "the reason, not a stack trace"
