"""The deploy/ manifests say what the README and the exporter's defaults promise.

No cluster here, so the checks are structural: every document parses, has the expected kind
and name, and the pieces that must agree (selector and labels, Service port and container port,
probe paths, the PVC and its mount, the Dockerfile's port) do agree.
"""
from __future__ import annotations

import os
import re
from typing import Any, Dict, List

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
K8S = os.path.join(ROOT, "deploy", "k8s")
NAME = "primus-lens-telemetry-processor"
# Every variable the founding document's Kubernetes example sets, plus the downward-API names the
# wire format reads for identity.
TRAINING_ENV = ("WORKLOAD_UID", "POD_UID", "POD_NAME", "POD_NAMESPACE", "FRAMEWORK", "PRIMUS_CONFIG",
                "PRIMUS_LENS_API_BASE_URL")


def load(name: str) -> List[Dict[str, Any]]:
    with open(os.path.join(K8S, name), encoding="utf-8") as handle:
        return [doc for doc in yaml.safe_load_all(handle) if doc is not None]


def by_kind(docs: List[Dict[str, Any]], kind: str) -> Dict[str, Any]:
    matches = [d for d in docs if d.get("kind") == kind]
    assert len(matches) == 1, "expected one %s, found %d" % (kind, len(matches))
    return matches[0]


@pytest.fixture(scope="module")
def processor() -> List[Dict[str, Any]]:
    return load("telemetry-processor.yaml")


@pytest.fixture(scope="module")
def container(processor: List[Dict[str, Any]]) -> Dict[str, Any]:
    containers = by_kind(processor, "Deployment")["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1
    return containers[0]


def env_map(container: Dict[str, Any]) -> Dict[str, Dict[str, Any]]:
    return {entry["name"]: entry for entry in container.get("env", [])}


def test_every_manifest_parses_and_has_api_version_kind_and_name() -> None:
    files = sorted(f for f in os.listdir(K8S) if f.endswith((".yaml", ".yml")))
    assert "telemetry-processor.yaml" in files and "training-pod.yaml" in files
    for name in files:
        for doc in load(name):
            assert doc.get("apiVersion") and doc.get("kind"), name
            assert doc.get("metadata", {}).get("name"), name


def test_processor_has_pvc_deployment_and_service_with_the_founding_name(processor: List[Dict[str, Any]]) -> None:
    assert sorted(d["kind"] for d in processor) == ["Deployment", "PersistentVolumeClaim", "Service"]
    for doc in processor:
        assert doc["metadata"]["name"] == NAME


def test_service_exposes_8080_and_selects_the_deployment_pods(processor: List[Dict[str, Any]], container: Dict[str, Any]) -> None:
    service = by_kind(processor, "Service")
    deployment = by_kind(processor, "Deployment")
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= pod_labels.items()
    assert deployment["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
    [port] = service["spec"]["ports"]
    assert port["port"] == 8080
    named = {p["name"]: p["containerPort"] for p in container["ports"]}
    target = port["targetPort"]
    assert (named.get(target) if isinstance(target, str) else target) == 8080
    assert env_map(container)["PORT"]["value"] == "8080"


def test_probes_use_readyz_for_readiness_and_healthz_for_liveness(container: Dict[str, Any]) -> None:
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    ports = {p["name"] for p in container["ports"]} | {p["containerPort"] for p in container["ports"]}
    for probe in ("readinessProbe", "livenessProbe"):
        assert container[probe]["httpGet"]["port"] in ports


def test_sqlite_file_lives_on_the_claimed_volume(processor: List[Dict[str, Any]], container: Dict[str, Any]) -> None:
    pod_spec = by_kind(processor, "Deployment")["spec"]["template"]["spec"]
    claims = {v["name"]: v["persistentVolumeClaim"]["claimName"] for v in pod_spec["volumes"] if "persistentVolumeClaim" in v}
    assert NAME in claims.values()
    volume = next(name for name, claim in claims.items() if claim == NAME)
    mount = next(m["mountPath"] for m in container["volumeMounts"] if m["name"] == volume)
    database = env_map(container)["LENS_DATABASE_URL"]["value"]
    assert database.startswith(mount.rstrip("/") + "/") and database.endswith(".db")
    # One SQLite writer: a rolling update would run two pods on the same file.
    assert by_kind(processor, "Deployment")["spec"]["replicas"] == 1
    assert by_kind(processor, "Deployment")["spec"]["strategy"]["type"] == "Recreate"


def test_processor_requests_resources_and_runs_as_non_root(processor: List[Dict[str, Any]], container: Dict[str, Any]) -> None:
    requests = container["resources"]["requests"]
    assert requests.get("cpu") and requests.get("memory")
    pod_security = by_kind(processor, "Deployment")["spec"]["template"]["spec"]["securityContext"]
    assert pod_security["runAsNonRoot"] is True and pod_security["runAsUser"] != 0


def test_processor_env_names_are_ones_the_server_reads(container: Dict[str, Any]) -> None:
    known = {"PORT", "HOST", "LENS_DATABASE_URL", "LENS_API_TOKEN", "LENS_RETENTION_DAYS", "LENS_LOG_LEVEL",
             "LENS_BODY_LIMIT_BYTES"}
    config_ts = os.path.join(ROOT, "server", "src", "config.ts")
    if os.path.exists(config_ts):
        with open(config_ts, encoding="utf-8") as handle:
            source = handle.read()
        known = set(re.findall(r"\b(PORT|HOST|LENS_[A-Z_]+)\b", source))
    assert set(env_map(container)) <= known, "manifest sets variables server/src/config.ts does not read"


def test_training_pod_has_the_founding_environment() -> None:
    pod = by_kind(load("training-pod.yaml"), "Pod")
    [training] = pod["spec"]["containers"]
    env = env_map(training)
    assert set(TRAINING_ENV) <= set(env)
    assert env["POD_UID"]["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.uid"
    assert env["POD_NAME"]["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.name"
    assert env["POD_NAMESPACE"]["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.namespace"
    assert env["FRAMEWORK"]["value"] == "primus"
    assert env["PRIMUS_CONFIG"]["value"]
    assert "PRIMUS_VERSION" not in env  # the founding Kubernetes variant detects primus without it
    url = env["PRIMUS_LENS_API_BASE_URL"]["value"]
    assert re.match(r"^http://%s(\.[a-z0-9.-]+)?:8080/api/v1$" % NAME, url), url


def test_training_pod_env_names_are_ones_the_exporter_reads() -> None:
    config_py = os.path.join(ROOT, "exporter", "src", "primus_lens_wandb_exporter", "config.py")
    with open(config_py, encoding="utf-8") as handle:
        exporter_vars = set(re.findall(r"\b(PRIMUS_LENS_[A-Z_]+)\b", handle.read()))
    [training] = by_kind(load("training-pod.yaml"), "Pod")["spec"]["containers"]
    lens_vars = {name for name in env_map(training) if name.startswith("PRIMUS_LENS_")}
    assert lens_vars and lens_vars <= exporter_vars


def test_dockerfile_builds_with_node20_runs_non_root_and_exposes_8080() -> None:
    with open(os.path.join(ROOT, "deploy", "Dockerfile"), encoding="utf-8") as handle:
        dockerfile = handle.read()
    stages = re.findall(r"^FROM\s+(\S+)", dockerfile, flags=re.M)
    assert len(stages) >= 2 and all(s.startswith("node:20") for s in stages)
    assert re.search(r"^RUN npm ci\b", dockerfile, flags=re.M)
    assert re.search(r"^RUN npm run build\b", dockerfile, flags=re.M)
    assert re.search(r"^EXPOSE 8080$", dockerfile, flags=re.M)
    users = re.findall(r"^USER\s+(\S+)", dockerfile, flags=re.M)
    assert users and users[-1] not in ("root", "0")
    assert re.search(r"^VOLUME\b.*/data", dockerfile, flags=re.M)
    assert 'CMD ["node", "dist/src/main.js"]' in dockerfile
