"""Checks shared by the plain manifests (deploy/k8s) and the Helm chart's renders.

Each function takes parsed Kubernetes objects and asserts that the pieces which must agree do
agree: selectors and pod labels, Service ports and container ports, probe paths, the shutdown
budget against the server's own deadline, and every variable set against what the code reads.
"""
from __future__ import annotations

import os
import re
from typing import Any, Dict, Iterable, List, Mapping, Optional, Set

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
K8S = os.path.join(ROOT, "deploy", "k8s")
CHART = os.path.join(ROOT, "deploy", "helm", "primus-lens")

Doc = Dict[str, Any]


def read(*parts: str) -> str:
    with open(os.path.join(ROOT, *parts), encoding="utf-8") as handle:
        return handle.read()


def parse_all(text: str) -> List[Doc]:
    return [doc for doc in yaml.safe_load_all(text) if doc is not None]


def load(name: str) -> List[Doc]:
    return parse_all(read("deploy", "k8s", name))


def of_kind(docs: Iterable[Doc], kind: str) -> List[Doc]:
    return [d for d in docs if d.get("kind") == kind]


def one(docs: Iterable[Doc], kind: str) -> Doc:
    matches = of_kind(docs, kind)
    assert len(matches) == 1, "expected one %s, found %d" % (kind, len(matches))
    return matches[0]


def env_map(container: Doc) -> Dict[str, Doc]:
    return {entry["name"]: entry for entry in container.get("env", [])}


def pod_spec(workload: Doc) -> Doc:
    spec = workload["spec"]
    if workload["kind"] == "CronJob":
        spec = spec["jobTemplate"]["spec"]
    return spec["template"]["spec"]


def pod_labels(workload: Doc) -> Dict[str, str]:
    spec = workload["spec"]
    if workload["kind"] == "CronJob":
        spec = spec["jobTemplate"]["spec"]
    return spec["template"]["metadata"].get("labels", {})


def selects(selector: Optional[Mapping[str, str]], labels: Mapping[str, str]) -> bool:
    """A matchLabels selector picks the labels (an empty selector picks everything)."""
    return selector is not None and set((selector or {}).items()) <= set(labels.items())


def processor_container(deployment: Doc) -> Doc:
    [container] = [c for c in pod_spec(deployment)["containers"] if c["name"] == "telemetry-processor"]
    return container


# --- what the code reads -------------------------------------------------------------------------

def server_config_vars() -> Set[str]:
    """The variables server/src/config.ts reads: env.NAME, env['NAME'], readX(env, 'NAME', …)."""
    source = read("server", "src", "config.ts")
    names = set(re.findall(r"env\.([A-Z][A-Z0-9_]+)", source))
    names |= set(re.findall(r"env\[['\"]([A-Z][A-Z0-9_]+)['\"]\]", source))
    names |= set(re.findall(r"\(\s*env\s*,\s*['\"]([A-Z][A-Z0-9_]+)['\"]", source))
    assert {"PORT", "LENS_DATABASE_URL"} <= names, "config.ts no longer reads PORT/LENS_DATABASE_URL this way"
    return names


def server_shutdown_deadline_seconds() -> float:
    """SHUTDOWN_DEADLINE_MS from server/src/main.ts: how long the drain after SIGTERM may take."""
    match = re.search(r"SHUTDOWN_DEADLINE_MS\s*=\s*([0-9_]+)", read("server", "src", "main.ts"))
    assert match, "server/src/main.ts has no SHUTDOWN_DEADLINE_MS"
    return int(match.group(1).replace("_", "")) / 1000.0


def exporter_vars() -> Set[str]:
    """Every upper-case name in quotes in the exporter's config and identity modules."""
    package = ("exporter", "src", "primus_lens_wandb_exporter")
    text = read(*package, "config.py") + read(*package, "collect", "identity.py")
    return set(re.findall(r"[\"']([A-Z][A-Z0-9_]+)[\"']", text))


def exporter_default_host_and_port() -> tuple:
    match = re.search(r'DEFAULT_API_BASE_URL\s*=\s*"http://([a-z0-9-]+):([0-9]+)/api/v1"',
                      read("exporter", "src", "primus_lens_wandb_exporter", "config.py"))
    assert match, "exporter config.py has no DEFAULT_API_BASE_URL of the expected form"
    return match.group(1), int(match.group(2))


# --- the processor -------------------------------------------------------------------------------

def check_service_routes_to_processor(service: Doc, deployment: Doc) -> None:
    labels = pod_labels(deployment)
    assert selects(service["spec"]["selector"], labels), "Service does not select the processor pods"
    assert selects(deployment["spec"]["selector"]["matchLabels"], labels)
    container = processor_container(deployment)
    named = {p["name"]: p["containerPort"] for p in container["ports"]}
    for port in service["spec"]["ports"]:
        target = port["targetPort"]
        resolved = named.get(target) if isinstance(target, str) else target
        assert resolved in named.values(), "Service port %s targets no container port" % port
    port_env = env_map(container)["PORT"]["value"]
    assert int(port_env) in named.values(), "the server listens on PORT=%s, not a container port" % port_env


def check_probes(deployment: Doc, startup: bool = True) -> None:
    container = processor_container(deployment)
    ports = {p["name"] for p in container["ports"]} | {p["containerPort"] for p in container["ports"]}
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"   # the database answers
    # Liveness must not depend on the database: an outage would restart every replica.
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    probes = ["readinessProbe", "livenessProbe"]
    if startup:
        probes.append("startupProbe")
        assert container["startupProbe"]["httpGet"]["path"] == "/healthz"
        budget = container["startupProbe"]["periodSeconds"] * container["startupProbe"]["failureThreshold"]
        assert budget >= 30, "start-up (pool, migrations) gets only %ss" % budget
    for probe in probes:
        assert container[probe]["httpGet"]["port"] in ports, probe


def prestop_sleep_seconds(container: Doc) -> float:
    pre_stop = container.get("lifecycle", {}).get("preStop")
    if not pre_stop:
        return 0.0
    if "sleep" in pre_stop:
        return float(pre_stop["sleep"]["seconds"])
    command = pre_stop["exec"]["command"]
    assert command[0] == "sleep" and len(command) == 2, command
    return float(command[1])


def check_shutdown_budget(deployment: Doc) -> None:
    """preStop runs inside the grace period, then SIGTERM starts a drain of up to the deadline."""
    spec = pod_spec(deployment)
    grace = spec.get("terminationGracePeriodSeconds", 30)
    needed = prestop_sleep_seconds(processor_container(deployment)) + server_shutdown_deadline_seconds()
    assert grace > needed, "terminationGracePeriodSeconds=%s leaves no room for preStop + drain (%ss)" % (grace, needed)


def check_env_is_read_by_server(deployment: Doc) -> None:
    names = set(env_map(processor_container(deployment)))
    unknown = names - server_config_vars()
    assert not unknown, "sets variables server/src/config.ts does not read: %s" % sorted(unknown)


def check_resources_and_security(deployment: Doc) -> None:
    container = processor_container(deployment)
    requests = container["resources"]["requests"]
    assert requests.get("cpu") and requests.get("memory")
    assert container["resources"]["limits"].get("memory")
    security = pod_spec(deployment)["securityContext"]
    assert security["runAsNonRoot"] is True and security["runAsUser"] != 0
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    assert container["securityContext"]["readOnlyRootFilesystem"] is True


def check_scrape_annotations(deployment: Doc) -> None:
    annotations = deployment["spec"]["template"]["metadata"].get("annotations", {})
    assert annotations.get("prometheus.io/scrape") == "true"
    assert annotations.get("prometheus.io/path") == "/metrics"
    ports = [p["containerPort"] for p in processor_container(deployment)["ports"]]
    assert int(annotations["prometheus.io/port"]) in ports


def check_postgres_processor(docs: List[Doc]) -> None:
    """The stateless variant: N replicas that roll without losing capacity and spread out."""
    deployment = one(docs, "Deployment")
    assert not of_kind(docs, "PersistentVolumeClaim"), "the PostgreSQL variant keeps no local state"
    assert not [v for v in pod_spec(deployment).get("volumes", []) if "persistentVolumeClaim" in v]
    strategy = deployment["spec"]["strategy"]
    assert strategy["type"] == "RollingUpdate" and strategy["rollingUpdate"]["maxUnavailable"] == 0
    assert strategy["rollingUpdate"]["maxSurge"] not in (0, "0", "0%")   # else a rollout cannot start

    url = env_map(processor_container(deployment))["LENS_DATABASE_URL"]
    assert "value" not in url, "the PostgreSQL URL (with its password) must come from a Secret"
    ref = url["valueFrom"]["secretKeyRef"]
    assert ref["name"] and ref["key"] and not ref.get("optional", False)

    hpas = of_kind(docs, "HorizontalPodAutoscaler")
    if hpas:
        [hpa] = hpas
        assert hpa["apiVersion"] == "autoscaling/v2"
        target = hpa["spec"]["scaleTargetRef"]
        assert (target["kind"], target["name"]) == ("Deployment", deployment["metadata"]["name"])
        assert hpa["spec"]["minReplicas"] >= 2 and hpa["spec"]["maxReplicas"] >= hpa["spec"]["minReplicas"]
        [metric] = hpa["spec"]["metrics"]
        assert metric["type"] == "Resource" and metric["resource"]["name"] == "cpu"
        assert processor_container(deployment)["resources"]["requests"]["cpu"], "CPU utilisation needs a CPU request"
        minimum = hpa["spec"]["minReplicas"]
    else:
        minimum = deployment["spec"]["replicas"]
    assert minimum >= 2

    pdbs = of_kind(docs, "PodDisruptionBudget")
    for pdb in pdbs:
        assert pdb["apiVersion"] == "policy/v1"
        assert selects(pdb["spec"]["selector"]["matchLabels"], pod_labels(deployment))
        # minAvailable equal to the replica count would block every node drain.
        assert 1 <= pdb["spec"]["minAvailable"] < minimum

    labels = pod_labels(deployment)
    spec = pod_spec(deployment)
    spreads = spec.get("topologySpreadConstraints", [])
    anti = spec.get("affinity", {}).get("podAntiAffinity", {})
    terms = [t["podAffinityTerm"] for t in anti.get("preferredDuringSchedulingIgnoredDuringExecution", [])]
    terms += anti.get("requiredDuringSchedulingIgnoredDuringExecution", [])
    by_host = [s for s in spreads if s["topologyKey"] == "kubernetes.io/hostname"]
    by_host += [t for t in terms if t["topologyKey"] == "kubernetes.io/hostname"]
    assert by_host, "replicas are not spread over nodes"
    for rule in spreads + terms:
        assert selects(rule["labelSelector"]["matchLabels"], labels), "a spreading rule selects other pods"


def check_connection_budget(docs: List[Doc], max_connections: int = 100, reserved: int = 3) -> None:
    """At the autoscaler's maximum, every replica's pool fits PostgreSQL's max_connections
    (100 by default, superuser_reserved_connections 3)."""
    match = re.search(r"readInt\(\s*env\s*,\s*'LENS_PG_POOL_MAX'\s*,\s*([0-9_]+)", read("server", "src", "config.ts"))
    assert match, "config.ts no longer reads LENS_PG_POOL_MAX with a default"
    deployment = one(docs, "Deployment")
    hpas = of_kind(docs, "HorizontalPodAutoscaler")
    replicas = hpas[0]["spec"]["maxReplicas"] if hpas else deployment["spec"]["replicas"]
    # A rollout surges one more pod on top.
    replicas += int(deployment["spec"]["strategy"]["rollingUpdate"]["maxSurge"])
    pool = int(env_map(processor_container(deployment)).get("LENS_PG_POOL_MAX", {}).get("value", match.group(1).replace("_", "")))
    assert replicas * pool <= max_connections - reserved, "%d pods x %d connections" % (replicas, pool)


def check_sqlite_processor(docs: List[Doc], storage_class: Optional[str] = None) -> None:
    """One writer on one claimed volume; no HPA or PDB that would assume several replicas."""
    deployment = one(docs, "Deployment")
    assert deployment["spec"]["replicas"] == 1
    assert deployment["spec"]["strategy"]["type"] == "Recreate"
    assert not of_kind(docs, "HorizontalPodAutoscaler") and not of_kind(docs, "PodDisruptionBudget")
    container = processor_container(deployment)
    claims = {v["name"]: v["persistentVolumeClaim"]["claimName"]
              for v in pod_spec(deployment)["volumes"] if "persistentVolumeClaim" in v}
    [(volume, claim)] = claims.items()
    pvcs = [p for p in of_kind(docs, "PersistentVolumeClaim") if p["metadata"]["name"] == claim]
    assert len(pvcs) == 1, "the Deployment mounts claim %s, which is not in the manifests" % claim
    mount = next(m["mountPath"] for m in container["volumeMounts"] if m["name"] == volume)
    database = env_map(container)["LENS_DATABASE_URL"]["value"]
    assert database.startswith(mount.rstrip("/") + "/") and database.endswith(".db")
    assert pvcs[0]["spec"].get("storageClassName") == storage_class


# --- the pieces next to it -----------------------------------------------------------------------

def check_service_monitor(monitor: Doc, service: Doc) -> None:
    assert monitor["apiVersion"] == "monitoring.coreos.com/v1"
    assert selects(monitor["spec"]["selector"]["matchLabels"], service["metadata"]["labels"]), \
        "the ServiceMonitor does not select the Service"
    port_names = {p["name"] for p in service["spec"]["ports"]}
    for endpoint in monitor["spec"]["endpoints"]:
        assert endpoint["port"] in port_names and endpoint["path"] in ("/metrics", "/metrics/training")
    paths = [e["path"] for e in monitor["spec"]["endpoints"]]
    assert paths == ["/metrics", "/metrics/training"], paths
    # The per-run series carry the training job's namespace label; without honorLabels Prometheus
    # would rename it exported_namespace and the alert rules would group by the processor's.
    [training] = [e for e in monitor["spec"]["endpoints"] if e["path"] == "/metrics/training"]
    assert training.get("honorLabels") is True


def check_ingress(ingress: Doc, service: Doc) -> None:
    ports = {p["name"] for p in service["spec"]["ports"]} | {p["port"] for p in service["spec"]["ports"]}
    paths = [p for rule in ingress["spec"]["rules"] for p in rule["http"]["paths"]]
    assert any(p["path"] == "/" for p in paths), "the dashboard lives at /"
    for path in paths:
        backend = path["backend"]["service"]
        assert backend["name"] == service["metadata"]["name"]
        assert backend["port"].get("name", backend["port"].get("number")) in ports


def processor_policy(policies: List[Doc], deployment: Doc) -> Doc:
    [policy] = [p for p in policies if selects(p["spec"]["podSelector"].get("matchLabels"), pod_labels(deployment))]
    return policy


def check_network_policies(policies: List[Doc], deployment: Doc, training_labels: Mapping[str, str],
                           database_labels: Optional[Mapping[str, str]], database_port: int = 5432) -> None:
    """Training pods reach the processor's port; only processor pods reach the database."""
    processor = processor_policy(policies, deployment)
    assert processor["spec"]["policyTypes"] == ["Ingress"]
    container_ports = {p["containerPort"] for p in processor_container(deployment)["ports"]}
    admitted = False
    for rule in processor["spec"]["ingress"]:
        ports = {p["port"] for p in rule["ports"]}
        assert ports <= container_ports, "policy opens %s, the pod listens on %s" % (ports, container_ports)
        for peer in rule["from"]:
            if "podSelector" in peer and selects(peer["podSelector"].get("matchLabels"), training_labels):
                assert peer.get("namespaceSelector") == {}, "training pods of every namespace may send"
                admitted = True
    assert admitted, "no rule admits the training pods (labels %s)" % dict(training_labels)

    if database_labels is None:
        assert processor is policies[0] and len(policies) == 1, "a database policy without a database"
        return
    [database] = [p for p in policies if p is not processor]
    assert database["spec"]["podSelector"]["matchLabels"] == dict(database_labels)
    assert not selects(database["spec"]["podSelector"]["matchLabels"], pod_labels(deployment))
    assert database["spec"]["policyTypes"] == ["Ingress"]
    peers = [peer for rule in database["spec"]["ingress"] for peer in rule["from"]]
    assert peers, "an empty from list would admit everyone"
    for peer in peers:
        # Same namespace, processor pods only: no namespaceSelector, no ipBlock.
        assert set(peer) == {"podSelector"}, peer
        assert selects(peer["podSelector"]["matchLabels"], pod_labels(deployment))
        assert not selects(peer["podSelector"]["matchLabels"], training_labels), "training pods reach the database"
    assert {p["port"] for rule in database["spec"]["ingress"] for p in rule["ports"]} == {database_port}
