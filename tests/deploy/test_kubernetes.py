"""deploy/k8s/<service>: parsed and checked against the services they run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from .catalog import (
    DEPLOY,
    ROOT,
    SERVICES,
    Service,
    dockerfile_env_names,
    settings_class,
    settings_env_names,
)

K8S = DEPLOY / "k8s"
PORT = 8000


def documents(service: Service) -> dict[tuple[str, str], dict[str, Any]]:
    """(kind, name) -> manifest, for every file of the service's folder."""
    found = {}
    for path in sorted((K8S / service.name).glob("*.yaml")):
        for document in yaml.safe_load_all(path.read_text()):
            if document and document.get("kind") != "Kustomization":
                key = (document["kind"], document["metadata"]["name"])
                assert key not in found, f"{key} defined twice"
                found[key] = document
    return found


def container(workload: dict[str, Any]) -> dict[str, Any]:
    (only,) = workload["spec"]["template"]["spec"]["containers"]
    return only


def env_sources(spec: dict[str, Any]) -> tuple[set[str], set[str]]:
    configs = {s["configMapRef"]["name"] for s in spec.get("envFrom", []) if "configMapRef" in s}
    secrets = {s["secretRef"]["name"] for s in spec.get("envFrom", []) if "secretRef" in s}
    return configs, secrets


def pinned_chroma() -> str:
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        if line.startswith("chromadb=="):
            return line.split("==")[1]
    raise AssertionError("chromadb is not pinned")


@pytest.fixture(params=SERVICES, ids=lambda s: s.name)
def service(request: pytest.FixtureRequest) -> Service:
    return request.param


def test_every_manifest_is_well_formed(service: Service) -> None:
    for (kind, name), document in documents(service).items():
        assert document["apiVersion"], (kind, name)
        assert name.startswith(service.name), f"{kind} {name} outside the service's names"
        assert document["metadata"]["labels"]["app.kubernetes.io/part-of"] == "ai-service-suite"


def test_deployment_three_replicas_resources_and_probes(service: Service) -> None:
    manifests = documents(service)
    deployment = manifests[("Deployment", f"{service.name}-api")]
    spec = deployment["spec"]
    assert spec["replicas"] == 3
    assert spec["selector"]["matchLabels"].items() <= spec["template"]["metadata"]["labels"].items()
    api = container(deployment)
    ports = {port["name"]: port["containerPort"] for port in api["ports"]}
    assert ports == {"http": PORT}
    for kind in ("requests", "limits"):
        assert {"cpu", "memory"} <= set(api["resources"][kind])
    assert api["livenessProbe"]["httpGet"] == {"path": service.liveness, "port": "http"}
    assert api["readinessProbe"]["httpGet"] == {"path": service.readiness, "port": "http"}
    assert api["securityContext"]["runAsNonRoot"] is True
    assert api["image"].endswith(f"/{service.name}:1.0.0")


def test_service_routes_to_the_deployment(service: Service) -> None:
    manifests = documents(service)
    deployment = manifests[("Deployment", f"{service.name}-api")]
    svc = manifests[("Service", f"{service.name}-api")]
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert svc["spec"]["selector"].items() <= labels.items()
    (port,) = svc["spec"]["ports"]
    assert port["targetPort"] == "http"


def test_migration_job_runs_alembic_with_the_service_secrets(service: Service) -> None:
    manifests = documents(service)
    job = manifests[("Job", f"{service.name}-migrate")]
    migrate = container(job)
    assert migrate["command"] == ["alembic", "upgrade", "head"]
    assert job["spec"]["template"]["spec"]["restartPolicy"] in {"Never", "OnFailure"}
    assert migrate["image"] == container(manifests[("Deployment", f"{service.name}-api")])["image"]
    assert (DEPLOY / "alembic" / f"{service.name}.ini").is_file()
    _configs, secrets = env_sources(migrate)
    assert secrets == {f"{service.name}-secrets"}


def test_workloads_read_existing_config_and_secret(service: Service) -> None:
    manifests = documents(service)
    for (kind, name), document in manifests.items():
        if kind not in {"Deployment", "Job"} or name.endswith("chroma"):
            continue
        configs, secrets = env_sources(container(document))
        for config in configs:
            assert ("ConfigMap", config) in manifests, f"{name} reads missing ConfigMap {config}"
        for secret in secrets:
            assert ("Secret", secret) in manifests, f"{name} reads missing Secret {secret}"
        for volume in document["spec"]["template"]["spec"].get("volumes", []):
            claim = volume["persistentVolumeClaim"]["claimName"]
            assert ("PersistentVolumeClaim", claim) in manifests


def test_config_and_secret_hold_only_variables_the_service_reads(service: Service) -> None:
    manifests = documents(service)
    config = manifests[("ConfigMap", f"{service.name}-config")]["data"]
    secret = manifests[("Secret", f"{service.name}-secrets")]["stringData"]
    known = settings_env_names(service) | dockerfile_env_names()
    assert set(config) <= known, set(config) - known
    assert set(secret) <= known, set(secret) - known
    assert not set(config) & set(secret), "a variable in both ConfigMap and Secret"
    assert config["ENVIRONMENT"] == "production"
    assert service.secret in secret
    assert "DATABASE_URL" in secret


def test_config_and_secret_make_a_valid_production_configuration(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    manifests = documents(service)
    values = {
        **manifests[("ConfigMap", f"{service.name}-config")]["data"],
        **manifests[("Secret", f"{service.name}-secrets")]["stringData"],
    }
    for name in settings_env_names(service):
        monkeypatch.delenv(name, raising=False)
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    settings = settings_class(service)(_env_file=None)
    assert settings.is_production
    # Without its required secret, the same configuration is refused.
    monkeypatch.delenv(service.secret)
    if service.secret != "DATABASE_URL":
        with pytest.raises(ValueError, match=service.secret):
            settings_class(service)(_env_file=None)


def test_workers_run_celery_on_the_service_worker_module(service: Service) -> None:
    manifests = documents(service)
    worker = manifests.get(("Deployment", f"{service.name}-worker"))
    assert (worker is not None) == service.worker
    if worker is None:
        return
    command = container(worker)["command"]
    assert f"exec celery -A {service.package}.worker worker" in command[-1]
    assert "python /app/preflight.py" in command[-1]
    api = container(manifests[("Deployment", f"{service.name}-api")])
    assert env_sources(container(worker)) == env_sources(api)
    assert container(worker).get("volumeMounts") == api.get("volumeMounts")


def test_kustomization_applies_everything_but_the_secret_template(service: Service) -> None:
    folder = K8S / service.name
    resources = yaml.safe_load((folder / "kustomization.yaml").read_text())["resources"]
    files = {path.name for path in folder.glob("*.yaml")} - {"kustomization.yaml"}
    assert set(resources) == files - {"secret.template.yaml"}
    for resource in resources:
        assert (folder / resource).is_file()


def test_oyl_has_a_chroma_server_of_the_client_version() -> None:
    manifests = documents(next(s for s in SERVICES if s.name == "oyl"))
    chroma = manifests[("StatefulSet", "oyl-chroma")]
    assert container(chroma)["image"] == f"chromadb/chroma:{pinned_chroma()}"
    config = manifests[("ConfigMap", "oyl-config")]["data"]
    assert ("Service", config["CHROMA_HOST"]) in manifests


def test_readme_explains_pgbouncer_and_connection_arithmetic() -> None:
    text = (K8S / "README.md").read_text()
    assert "PgBouncer" in text and "max_connections" in text
    assert "replicas x WEB_CONCURRENCY x (pool size + max overflow)" in text


def test_manifests_are_where_the_readme_says() -> None:
    assert sorted(p.name for p in K8S.iterdir() if p.is_dir()) == sorted(s.name for s in SERVICES)
    assert all(Path(K8S / s.name / "migration-job.yaml").is_file() for s in SERVICES)
