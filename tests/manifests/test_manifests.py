"""The plain manifests in deploy/k8s say what the README and the exporter's defaults promise.

No cluster here, so the checks are structural: every document parses, has the expected kind
and name, and the pieces that must agree (selectors and labels, Service and container ports,
probe paths, the shutdown budget and the server's deadline, the PVC and its mount, the
NetworkPolicies and the pods they are about, the variables set and the code that reads them,
the training job's ranks and its size) do agree. The Helm chart gets the same checks in
test_helm_chart.py.
"""
from __future__ import annotations

import os
import re
from typing import Any, Dict, List

import pytest

from k8s_checks import (K8S, ROOT, check_connection_budget, check_env_is_read_by_server, check_ingress, check_network_policies,
                        check_postgres_processor, check_probes, check_resources_and_security,
                        check_scrape_annotations, check_service_monitor, check_service_routes_to_processor,
                        check_shutdown_budget, check_sqlite_processor, env_map, exporter_default_host_and_port,
                        exporter_vars, load, one, pod_labels, pod_spec, processor_container, read)

NAME = "primus-lens-telemetry-processor"
PROCESSORS = ("telemetry-processor.yaml", "telemetry-processor-postgres.yaml")
# Every variable the Kubernetes pod of docs/quickstart.md sets, plus the downward-API names the
# wire format reads for identity.
TRAINING_ENV = ("WORKLOAD_UID", "POD_UID", "POD_NAME", "POD_NAMESPACE", "FRAMEWORK", "PRIMUS_CONFIG",
                "PRIMUS_LENS_API_BASE_URL")
COMPLETION_INDEX = "metadata.annotations['batch.kubernetes.io/job-completion-index']"

Docs = List[Dict[str, Any]]


@pytest.fixture(scope="module")
def processor() -> Docs:
    return load("telemetry-processor.yaml")


@pytest.fixture(scope="module")
def postgres() -> Docs:
    return load("telemetry-processor-postgres.yaml")


@pytest.fixture(scope="module")
def training() -> Docs:
    return load("training-job.yaml")


def test_every_manifest_parses_and_has_api_version_kind_and_name() -> None:
    files = sorted(f for f in os.listdir(K8S) if f.endswith((".yaml", ".yml")))
    assert set(PROCESSORS) | {"training-job.yaml", "network-policy.yaml", "servicemonitor.yaml",
                              "ingress.yaml"} <= set(files)
    for name in files:
        for doc in load(name):
            assert doc.get("apiVersion") and doc.get("kind"), name
            assert doc.get("metadata", {}).get("name"), name


def test_every_manifest_decodes_strictly_into_the_kubernetes_types(kubestrict: Any) -> None:
    files = sorted(os.path.join("deploy", "k8s", f) for f in os.listdir(K8S) if f.endswith((".yaml", ".yml")))
    lines = kubestrict.check(files)
    assert len(lines) == sum(len(load(os.path.basename(f))) for f in files)


@pytest.mark.parametrize("text, message", [
    ("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\n"
     "spec: {strategy: {rollingUpdate: {maxUnavaliable: 0}}}\n", 'unknown field "spec.strategy.rollingUpdate.maxUnavaliable"'),
    ("apiVersion: v1\nkind: Service\nmetadata: {name: x, labels: {primus-lens/exporter: true}}\n", "of type string"),
    ("apiVersion: v1\nkind: Service\nmetadata: {name: x}\nspec: {ports: [{port: http}]}\n", "of type int32"),
    ("apiVersion: autoscaling/v2beta2\nkind: HorizontalPodAutoscaler\nmetadata: {name: x}\n", "unknown kind"),
    ("apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: x}\n"
     "spec: {resources: {requests: {storage: 20GB}}}\n", "quantities must match"),
], ids=["misspelt-field", "boolean-label", "named-service-port", "removed-api-version", "bad-quantity"])
def test_kubestrict_refuses_what_the_api_server_would(kubestrict: Any, text: str, message: str) -> None:
    # The negative control for the check above: the tool really looks at the fields.
    result = kubestrict.run(text=text)
    assert result.returncode == 1 and message in result.stdout, result.stdout


def test_processor_has_pvc_deployment_and_service_with_the_quickstarts_name(processor: Docs) -> None:
    assert sorted(d["kind"] for d in processor) == ["Deployment", "PersistentVolumeClaim", "Service"]
    for doc in processor:
        assert doc["metadata"]["name"] == NAME


def test_postgres_variant_has_deployment_service_pdb_and_hpa_with_the_same_names(postgres: Docs) -> None:
    # The same names as the SQLite variant: the exporter's default address reaches either one.
    assert sorted(d["kind"] for d in postgres) == ["Deployment", "HorizontalPodAutoscaler",
                                                  "PodDisruptionBudget", "Service"]
    for doc in postgres:
        assert doc["metadata"]["name"] == NAME
    assert exporter_default_host_and_port() == (NAME, 8080)


@pytest.mark.parametrize("name", PROCESSORS)
def test_service_exposes_8080_and_selects_the_deployment_pods(name: str) -> None:
    docs = load(name)
    service = one(docs, "Service")
    check_service_routes_to_processor(service, one(docs, "Deployment"))
    [port] = service["spec"]["ports"]
    assert port["port"] == 8080 and port["name"] == "http"


@pytest.mark.parametrize("name", PROCESSORS)
def test_probes_use_readyz_for_readiness_and_healthz_for_liveness(name: str) -> None:
    check_probes(one(load(name), "Deployment"), startup=name != "telemetry-processor.yaml")


@pytest.mark.parametrize("name", PROCESSORS)
def test_grace_period_covers_prestop_and_the_servers_drain_deadline(name: str) -> None:
    check_shutdown_budget(one(load(name), "Deployment"))


def test_postgres_variant_drains_behind_a_prestop_sleep(postgres: Docs) -> None:
    from k8s_checks import prestop_sleep_seconds
    assert prestop_sleep_seconds(processor_container(one(postgres, "Deployment"))) >= 3


@pytest.mark.parametrize("name", PROCESSORS)
def test_processor_requests_resources_and_runs_as_non_root(name: str) -> None:
    check_resources_and_security(one(load(name), "Deployment"))


@pytest.mark.parametrize("name", PROCESSORS)
def test_processor_env_names_are_ones_the_server_reads(name: str) -> None:
    check_env_is_read_by_server(one(load(name), "Deployment"))


@pytest.mark.parametrize("name", PROCESSORS)
def test_pods_carry_prometheus_scrape_annotations(name: str) -> None:
    check_scrape_annotations(one(load(name), "Deployment"))


def test_sqlite_file_lives_on_the_claimed_volume(processor: Docs) -> None:
    # One SQLite writer: a rolling update would run two pods on the same file.
    check_sqlite_processor(processor, storage_class=None)


def test_postgres_variant_rolls_without_losing_capacity_and_spreads_over_nodes(postgres: Docs) -> None:
    check_postgres_processor(postgres)
    check_connection_budget(postgres)
    ref = env_map(processor_container(one(postgres, "Deployment")))["LENS_DATABASE_URL"]["valueFrom"]["secretKeyRef"]
    assert (ref["name"], ref["key"]) == ("primus-lens-database", "url")
    # The header tells the operator how to create exactly that Secret.
    with open(os.path.join(K8S, "telemetry-processor-postgres.yaml"), encoding="utf-8") as handle:
        header = handle.read().split("apiVersion:", 1)[0]
    assert "kubectl create secret generic primus-lens-database" in header and "--from-literal=url=" in header


@pytest.mark.parametrize("name", PROCESSORS)
def test_service_monitor_scrapes_either_variants_service(name: str) -> None:
    check_service_monitor(one(load("servicemonitor.yaml"), "ServiceMonitor"), one(load(name), "Service"))


@pytest.mark.parametrize("name", PROCESSORS)
def test_ingress_sends_the_dashboard_to_the_service(name: str) -> None:
    check_ingress(one(load("ingress.yaml"), "Ingress"), one(load(name), "Service"))


def test_network_policies_admit_training_pods_and_keep_the_database_private(postgres: Docs, training: Docs) -> None:
    policies = load("network-policy.yaml")
    training_labels = pod_labels(one(training, "Job"))
    check_network_policies(policies, one(postgres, "Deployment"), training_labels,
                           database_labels={"app.kubernetes.io/name": "postgresql"})
    # The processor policy fits the SQLite variant's pods too.
    from k8s_checks import processor_policy
    processor_policy(policies, one(load("telemetry-processor.yaml"), "Deployment"))


def test_training_job_is_indexed_with_one_rank_per_pod(training: Docs) -> None:
    job = one(training, "Job")
    spec = job["spec"]
    assert job["apiVersion"] == "batch/v1" and spec["completionMode"] == "Indexed"
    [container] = pod_spec(job)["containers"]
    env = env_map(container)
    world = int(env["WORLD_SIZE"]["value"])
    assert world == spec["completions"] == spec["parallelism"] > 1
    for name in ("RANK", "NODE_RANK"):
        assert env[name]["valueFrom"]["fieldRef"]["fieldPath"] == COMPLETION_INDEX, name
    assert env["LOCAL_RANK"]["value"] == "0"
    assert pod_spec(job)["restartPolicy"] == "Never"


def test_training_job_finds_rank_zero_through_its_headless_service(training: Docs) -> None:
    job = one(training, "Job")
    service = one(training, "Service")
    assert service["spec"]["clusterIP"] == "None"
    assert pod_spec(job)["subdomain"] == service["metadata"]["name"]
    # The Job controller labels its pods with batch.kubernetes.io/job-name.
    assert service["spec"]["selector"] == {"batch.kubernetes.io/job-name": job["metadata"]["name"]}
    env = env_map(pod_spec(job)["containers"][0])
    assert env["MASTER_ADDR"]["value"] == "%s-0.%s" % (job["metadata"]["name"], service["metadata"]["name"])
    assert int(env["MASTER_PORT"]["value"]) in {p["port"] for p in service["spec"]["ports"]}


def test_training_job_takes_its_identity_from_the_downward_api(training: Docs) -> None:
    [container] = pod_spec(one(training, "Job"))["containers"]
    env = env_map(container)
    assert set(TRAINING_ENV) <= set(env)
    # Nothing typed in by hand: the workload is the Job (its uid label on every pod).
    assert "value" not in env["WORKLOAD_UID"]
    assert env["WORKLOAD_UID"]["valueFrom"]["fieldRef"]["fieldPath"] == \
        "metadata.labels['batch.kubernetes.io/controller-uid']"
    assert env["POD_UID"]["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.uid"
    assert env["POD_NAME"]["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.name"
    assert env["POD_NAMESPACE"]["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.namespace"
    assert env["FRAMEWORK"]["value"] == "primus"
    assert env["PRIMUS_CONFIG"]["value"]
    assert "PRIMUS_VERSION" not in env  # the quickstart's Kubernetes pod detects primus without it
    url = env["PRIMUS_LENS_API_BASE_URL"]["value"]
    assert re.match(r"^http://%s(\.[a-z0-9.-]+)?:8080/api/v1$" % NAME, url), url


def test_training_job_carries_an_ingest_token_never_the_admin_one(training: Docs, processor: Docs) -> None:
    """The processor's bootstrap token is admin: a training pod, whose spec many people can read,
    gets an ingest token for its namespace from a Secret of its own."""
    [container] = pod_spec(one(training, "Job"))["containers"]
    job_secret = env_map(container)["PRIMUS_LENS_API_TOKEN"]["valueFrom"]["secretKeyRef"]
    admin_secret = env_map(processor_container(one(processor, "Deployment")))["LENS_API_TOKEN"]["valueFrom"]["secretKeyRef"]
    assert job_secret["name"] == "primus-lens-ingest-token" and job_secret["name"] != admin_secret["name"]
    assert "--scope ingest --namespace" in read("deploy", "k8s", "training-job.yaml")


def test_training_job_env_names_are_ones_the_exporter_reads(training: Docs) -> None:
    [container] = pod_spec(one(training, "Job"))["containers"]
    names = set(env_map(container))
    read_by_exporter = exporter_vars()
    lens_vars = {name for name in names if name.startswith("PRIMUS_LENS_")}
    assert lens_vars and lens_vars <= read_by_exporter
    identity = {"WORKLOAD_UID", "POD_UID", "POD_NAME", "POD_NAMESPACE", "RANK", "LOCAL_RANK", "WORLD_SIZE", "NODE_RANK"}
    assert identity <= names and identity <= read_by_exporter


def test_dockerfile_runs_the_pinned_node_non_root_and_exposes_8080() -> None:
    with open(os.path.join(ROOT, "deploy", "Dockerfile"), encoding="utf-8") as handle:
        dockerfile = handle.read()
    with open(os.path.join(ROOT, ".node-version"), encoding="utf-8") as handle:
        pinned = handle.read().strip()
    stages = re.findall(r"^FROM\s+(\S+)", dockerfile, flags=re.M)
    # The image runs the very Node release the tests run on (make installs .node-version).
    assert len(stages) >= 2 and all(s.startswith(f"node:{pinned}-") for s in stages), (stages, pinned)
    assert re.search(r"^RUN npm ci\b", dockerfile, flags=re.M)
    assert re.search(r"^RUN npm run build\b", dockerfile, flags=re.M)
    assert re.search(r"^EXPOSE 8080$", dockerfile, flags=re.M)
    users = re.findall(r"^USER\s+(\S+)", dockerfile, flags=re.M)
    assert users and users[-1] not in ("root", "0")
    assert re.search(r"^VOLUME\b.*/data", dockerfile, flags=re.M)
    assert 'CMD ["node", "dist/src/main.js"]' in dockerfile
    # The preStop hook of the manifests runs `sleep` in this image: the slim Debian base has it.
    assert stages[-1].startswith(f"node:{pinned}-bookworm")


def test_deploy_readme_lists_every_file_and_links_only_existing_ones() -> None:
    with open(os.path.join(ROOT, "deploy", "README.md"), encoding="utf-8") as handle:
        text = handle.read()
    linked = set(re.findall(r"^\| \[[^\]]+\]\(([^)]+)\) \|", text, flags=re.M))
    deploy = os.path.join(ROOT, "deploy")
    for target in linked:
        assert os.path.exists(os.path.join(deploy, target)), target
    on_disk = {f for f in os.listdir(deploy) if os.path.isfile(os.path.join(deploy, f)) and f != "README.md"}
    on_disk |= {"k8s/" + f for f in os.listdir(K8S)}
    on_disk |= {"grafana/" + f for f in os.listdir(os.path.join(deploy, "grafana")) if f != "README.md"}
    on_disk |= {"prometheus/" + f for f in os.listdir(os.path.join(deploy, "prometheus"))}
    assert on_disk - linked == set(), "deploy/README.md's table misses these files"
    assert "helm/primus-lens" in linked
