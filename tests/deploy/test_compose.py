"""Both compose files against the Compose Specification and against the code they run.

No Docker engine or compose plugin runs here; the files are validated with the specification's
JSON schema (vendored in schemas/), and every service, volume, file, build stage, module and
environment variable they name is checked to exist.
"""

from __future__ import annotations

import copy
import re
import tomllib
from importlib.util import find_spec
from pathlib import Path

import pytest

from . import compose
from .catalog import BY_NAME, DEPLOY, ROOT, SERVICES, dockerfile_env_names, settings_env_names
from .dockerfile import stages

FILES = {"dev": compose.DEV, "prod": compose.PROD}
SECRET_WORDS = ("PASSWORD", "SECRET", "SALT", "KEY")
# Optional secrets: the service works without them (local embeddings, no HTTP dataset import).
OPTIONAL_SECRETS = {"OPENAI_API_KEY", "GALILEO_ADMIN_API_KEY"}


def ours(name: str) -> str | None:
    """The suite service a compose service runs (galileo, modelforge-worker -> modelforge...)."""
    base = re.sub(r"-(worker|migrate)$", "", name)
    return base if base in BY_NAME else None


def pinned(package: str) -> str:
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        if line.lower().startswith(f"{package}=="):
            return line.split("==", 1)[1].strip()
    raise AssertionError(f"{package} is not pinned in constraints.txt")


@pytest.fixture(params=sorted(FILES), scope="module")
def compose_file(request: pytest.FixtureRequest) -> tuple[str, dict]:
    return request.param, compose.load(FILES[request.param])


def test_both_files_are_valid_compose_specification(compose_file: tuple[str, dict]) -> None:
    kind, document = compose_file
    errors = compose.schema_errors(document)
    assert not errors, f"{kind}: " + "\n".join(errors)


def test_the_schema_check_rejects_what_compose_rejects() -> None:
    document = compose.load(compose.DEV)
    wrong_key = copy.deepcopy(document)
    wrong_key["services"]["galileo"]["bogus_key"] = 1
    wrong_ports = copy.deepcopy(document)
    wrong_ports["services"]["redis"]["ports"] = "6379:6379"
    wrong_condition = copy.deepcopy(document)
    wrong_condition["services"]["phiacta"]["depends_on"]["postgres"]["condition"] = "healthy"
    for broken in (wrong_key, wrong_ports, wrong_condition):
        assert compose.schema_errors(broken)


def test_every_reference_resolves(compose_file: tuple[str, dict]) -> None:
    kind, document = compose_file
    services = document["services"]
    volumes = set(document.get("volumes") or {})
    for name, service in services.items():
        for dependency in compose.depends_on(service):
            assert dependency in services, f"{kind}: {name} depends on unknown {dependency}"
        for source, _target, _ro in compose.mounts(service):
            if not compose.is_bind(source):
                assert source in volumes, f"{kind}: {name} mounts undeclared volume {source}"
            elif not source.startswith("${"):
                assert (DEPLOY / source).exists(), f"{kind}: {name} mounts missing {source}"
        for entry in service.get("env_file", []):
            path = DEPLOY / (entry["path"] if isinstance(entry, dict) else entry)
            assert path.with_name(".env.example").exists(), f"{kind}: no example for {path}"
            if isinstance(entry, dict) and entry.get("required") is False:
                continue
            assert path.exists(), f"{kind}: {name} needs {path}"


def test_builds_use_existing_stages_args_and_extras(compose_file: tuple[str, dict]) -> None:
    kind, document = compose_file
    dockerfile_stages = stages()
    extras = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ])  # fmt: skip
    for name, service in document["services"].items():
        build = service.get("build")
        if build is None:
            continue
        context = (DEPLOY / build["context"]).resolve()
        assert context == ROOT, f"{kind}: {name} builds from {context}"
        assert (context / build["dockerfile"]).is_file()
        assert build["target"] in dockerfile_stages, f"{kind}: {name}: no stage {build['target']}"
        declared = {arg for stage in dockerfile_stages.values() for arg in stage.args}
        args = build.get("args", {})
        assert set(args) <= declared, f"{kind}: {name}: unknown build args {set(args) - declared}"
        suite = BY_NAME[ours(name)]
        assert args["SERVICE"] == suite.name
        assert args.get("PACKAGE", suite.package) == suite.package
        assert set(args.get("EXTRAS", args["SERVICE"]).split(",")) <= extras
        if "HEALTH_PATH" in args:
            assert args["HEALTH_PATH"] == suite.healthcheck


def test_services_set_only_variables_their_code_reads(compose_file: tuple[str, dict]) -> None:
    kind, document = compose_file
    image_variables = dockerfile_env_names()
    for name, service in document["services"].items():
        suite = ours(name)
        if suite is None:
            continue
        known = settings_env_names(BY_NAME[suite]) | image_variables
        unknown = set(compose.environment(service)) - known
        assert not unknown, f"{kind}: {name} sets variables {suite} never reads: {unknown}"
        for entry in service.get("env_file", []):
            assert entry["path"] == f"./env/{suite}/.env"


def test_commands_run_the_services_modules(compose_file: tuple[str, dict]) -> None:
    kind, document = compose_file
    for name, service in document["services"].items():
        suite = ours(name)
        words = compose.command_words(service)
        if suite is None or not words:
            continue
        package = BY_NAME[suite].package
        if words[0] == "uvicorn":
            assert words[1] == f"{package}.main:app"
            assert find_spec(f"{package}.main") is not None
        elif words[0] == "celery":
            assert words[1:4] == ["-A", f"{package}.worker", "worker"]
            assert BY_NAME[suite].worker and find_spec(f"{package}.worker") is not None
        else:
            assert words == ["alembic", "upgrade", "head"], f"{kind}: {name} runs {words}"


def test_development_stack_as_the_guides_describe() -> None:
    services = compose.load(compose.DEV)["services"]
    assert services["postgres"]["image"] == "pgvector/pgvector:pg16"
    assert services["redis"]["image"].startswith("redis:7")
    assert services["chroma"]["image"] == f"chromadb/chroma:{pinned('chromadb')}"
    assert services["pgadmin"]["profiles"] == ["debug"]
    for backing in ("postgres", "redis"):
        assert "healthcheck" in services[backing]
    host_ports = [port.split(":")[0] for s in services.values() for port in s.get("ports", [])]
    assert len(host_ports) == len(set(host_ports)), "two services publish the same host port"
    for suite in SERVICES:
        service = services[suite.name]
        assert service["build"]["target"] == "development"
        assert service["environment"]["ENVIRONMENT"] == "development"
        assert ("../src", "/app/src", False) in compose.mounts(service), "source is mounted"
        assert "--reload" in compose.command_words(service)
        assert service["ports"] and service["ports"][0].endswith(":8000")
        assert compose.depends_on(service)["postgres"] == "service_healthy"
        assert suite.healthcheck in " ".join(service["healthcheck"]["test"])
        if suite.worker:
            worker = services[f"{suite.name}-worker"]
            assert compose.depends_on(worker) == {suite.name: "service_healthy"}
            assert worker["environment"] == service["environment"]


def test_flower_watches_the_brokers_the_workers_use() -> None:
    for path in FILES.values():
        services = compose.load(path)["services"]
        brokers = {
            compose.environment(services[f"{s.name}-worker"])["REDIS_URL"].rsplit("@", 1)[-1]
            for s in SERVICES
            if s.worker
        }
        watched = {
            word.split("=", 1)[1].rsplit("@", 1)[-1]
            for name, service in services.items()
            if name.startswith("flower")
            for word in compose.command_words(service)
            if word.startswith("--broker=")
        }
        assert watched, f"{path.name}: no Flower"
        assert watched <= brokers, f"{path.name}: Flower watches {watched - brokers}"


def test_production_stack_is_hardened() -> None:
    text = compose.PROD.read_text()
    document = compose.load(compose.PROD)
    services = document["services"]
    # Secrets come from the environment, and compose refuses to start without them.
    for variable, operator in compose.interpolations(text):
        secret = any(word in variable for word in SECRET_WORDS)
        if secret and variable not in OPTIONAL_SECRETS:
            assert operator == ":?", f"${{{variable}}} must be required (:?)"
        assert operator, f"${{{variable}}} needs a default (:-) or a message (:?)"
    for name, service in services.items():
        for source, _target, read_only in compose.mounts(service):
            if compose.is_bind(source):
                assert not source.startswith(".."), f"{name} mounts source code from {source}"
                assert read_only, f"{name}: bind mount {source} must be read-only"
        if name.endswith("-migrate"):
            assert service["restart"] == "on-failure"
            assert compose.depends_on(service) == {"postgres": "service_healthy"}
            continue
        assert service["restart"] == "always", name
        limits = service["deploy"]["resources"]["limits"]
        assert limits["cpus"] and limits["memory"], name
        suite = ours(name)
        if suite is None:
            continue
        assert compose.environment(service)["ENVIRONMENT"] == "production"
        assert service["build"]["target"] in {"production", "worker"}
        assert compose.depends_on(service)[f"{suite}-migrate"] == "service_completed_successfully"
        secret = BY_NAME[suite].secret
        assert secret in compose.environment(service), f"{name} lacks {secret}"
    for suite in SERVICES:
        migrate = services[f"{suite.name}-migrate"]
        assert migrate["image"] == services[suite.name]["image"]
        assert "DATABASE_URL" in compose.environment(migrate)


def test_production_database_urls_name_the_databases_postgres_creates() -> None:
    init = (DEPLOY / "postgres" / "init-databases.sh").read_text()
    created = set(re.search(r"for database in ([^;]+);", init)[1].split())
    for path in FILES.values():
        services = compose.load(path)["services"]
        for name, service in services.items():
            url = compose.environment(service).get("DATABASE_URL")
            if url and ours(name):
                database = url.rsplit("/", 1)[1]
                assert database == BY_NAME[ours(name)].compose_database
                assert database in created


def test_relative_paths_are_relative_to_the_compose_files() -> None:
    # Compose resolves relative paths against the file's own directory (deploy/).
    assert Path(compose.DEV).parent == DEPLOY == Path(compose.PROD).parent
