"""The Helm chart deploy/helm/primus-lens, through the real helm CLI.

helm comes from scripts/ensure-helm.sh (built from its Go module into .tools/bin; `make test`
runs it as a set-up step, and the fixture in conftest.py runs it again, which is instant once
built). If it cannot be built every test here fails: a chart nobody rendered is not a tested
chart. Every render also goes through kubestrict (strict decoding into the Kubernetes API's Go
types), which catches misspelt fields and wrong types that the property checks do not look at.

Each variant is linted, rendered with `helm template`, parsed, and put through the same
checks as the plain manifests (k8s_checks.py), plus what only the chart has: the storage switch,
the toggles, the schema and its refusals, the names, NOTES.txt and the values table.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from typing import Any, Dict, List, Optional, Sequence

import pytest
import yaml

from k8s_checks import (CHART, ROOT, check_connection_budget, check_env_is_read_by_server, check_ingress, check_network_policies,
                        check_postgres_processor, check_probes, check_resources_and_security,
                        check_scrape_annotations, check_service_monitor, check_service_routes_to_processor,
                        check_shutdown_budget, check_sqlite_processor, env_map, exporter_default_host_and_port,
                        of_kind, one, parse_all, pod_labels, pod_spec, processor_container, read, selects,
                        server_config_vars)

Docs = List[Dict[str, Any]]
SQLITE_CI = os.path.join(CHART, "ci", "sqlite-values.yaml")
POSTGRES_CI = os.path.join(CHART, "ci", "postgres-values.yaml")
NAMESPACE = "ml-platform"
RELEASE = "lens"
TRAINING_LABELS = {"primus-lens/exporter": "true", "app.kubernetes.io/name": "training-job"}
PG_SECRET = ["--set", "storage=postgres", "--set", "postgres.existingSecret=lens-db"]
# helm's cache, config and data folders: a scratch place, never the user's own.
_HELM_HOME = os.path.join(tempfile.gettempdir(), "primus-lens-tests-helm")
HELM_HOMES = {"HELM_%s_HOME" % kind: os.path.join(_HELM_HOME, kind.lower()) for kind in ("CACHE", "CONFIG", "DATA")}


def run_helm(helm: str, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run([helm, *args], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            universal_newlines=True, timeout=120,
                            env=dict(os.environ, KUBECONFIG="/dev/null", **HELM_HOMES))
    if check:
        assert result.returncode == 0, "helm %s failed:\n%s%s" % (" ".join(args), result.stdout, result.stderr)
    return result


def render_text(helm: str, *args: str, chart: str = CHART) -> str:
    return run_helm(helm, "template", RELEASE, chart, "--namespace", NAMESPACE, *args).stdout


def render(helm: str, *args: str, chart: str = CHART) -> Docs:
    return parse_all(render_text(helm, *args, chart=chart))


def refusal(helm: str, *args: str) -> str:
    result = run_helm(helm, "template", RELEASE, CHART, "--namespace", NAMESPACE, *args, check=False)
    assert result.returncode != 0, "helm template %s rendered:\n%s" % (" ".join(args), result.stdout[:2000])
    return result.stderr


@pytest.fixture(scope="module")
def sqlite_default(helm: str) -> Docs:
    return render(helm)


@pytest.fixture(scope="module")
def sqlite_full(helm: str) -> Docs:
    return render(helm, "-f", SQLITE_CI)


@pytest.fixture(scope="module")
def postgres_full(helm: str) -> Docs:
    return render(helm, "-f", POSTGRES_CI)


def processor_checks(docs: Docs) -> None:
    deployment = one(docs, "Deployment")
    check_service_routes_to_processor(one(docs, "Service"), deployment)
    check_probes(deployment)
    check_shutdown_budget(deployment)
    check_env_is_read_by_server(deployment)
    check_resources_and_security(deployment)
    check_scrape_annotations(deployment)


# --- the tool ------------------------------------------------------------------------------------

def test_helm_is_the_pinned_version_and_a_second_set_up_builds_nothing(helm: str) -> None:
    pinned = re.search(r'HELM_VERSION="\$\{HELM_VERSION:-(v3\.[0-9.]+)\}"', read("scripts", "ensure-helm.sh")).group(1)
    assert run_helm(helm, "version", "--short").stdout.startswith(pinned)
    again = subprocess.run([os.path.join(ROOT, "scripts", "ensure-helm.sh")], cwd=ROOT, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, universal_newlines=True, timeout=60)
    assert again.returncode == 0 and "already at" in again.stdout and "building" not in again.stdout


@pytest.mark.parametrize("values", [None, SQLITE_CI, POSTGRES_CI], ids=["defaults", "sqlite-ci", "postgres-ci"])
def test_helm_lint_strict_passes(helm: str, values: Optional[str]) -> None:
    args = ["lint", "--strict", CHART, "--namespace", NAMESPACE]
    if values:
        args += ["-f", values]
    output = run_helm(helm, *args).stdout
    assert "1 chart(s) linted, 0 chart(s) failed" in output


RENDERS = {
    "defaults": [],
    "sqlite-ci": ["-f", SQLITE_CI],
    "postgres-ci": ["-f", POSTGRES_CI],
    "postgres-url-secret": ["--set", "storage=postgres", "--set", "postgres.url=postgres://u:p@db/lens",
                            "--set", "autoscaling.enabled=false", "--set", "spread.podAntiAffinity=required"],
    "release-names": ["-f", POSTGRES_CI, "--set", "fullnameOverride="],
    "sqlite-no-prestop": ["--set", "shutdown.preStopSleepSeconds=0", "--set", "sqlite.persistence.storageClass=-",
                          "--set", "backup.enabled=true", "--set-json", 'backup.args=["--keep","7"]'],
    "postgres-tls": PG_SECRET + ["--set", "server.tls.secretName=lens-tls", "--set", "server.ingestRateLimit=500",
                                 "--set", "metrics.serviceMonitor.enabled=true",
                                 "--set-json", 'metrics.serviceMonitor.tlsConfig={"serverName":"lens"}'],
}


@pytest.mark.parametrize("name", sorted(RENDERS))
def test_every_render_decodes_strictly_into_the_kubernetes_types(helm: str, kubestrict: Any, name: str) -> None:
    text = render_text(helm, *RENDERS[name])
    lines = kubestrict.check(text=text)
    assert len(lines) == len(parse_all(text))   # every document was checked, none passed unseen


def test_chart_states_the_oldest_kubernetes_it_renders_for(helm: str) -> None:
    # autoscaling/v2 is served from 1.23; the chart says so and helm enforces it.
    assert render(helm, "-f", POSTGRES_CI, "--kube-version", "1.23.0")
    assert "chart requires kubeVersion" in refusal(helm, "--kube-version", "1.22.0")


def test_packaged_chart_renders_the_same(helm: str, tmp_path: Any) -> None:
    """What `helm package` ships (after .helmignore) is the chart the tests render."""
    run_helm(helm, "package", CHART, "--destination", str(tmp_path))
    [archive] = [str(p) for p in tmp_path.iterdir() if p.name.endswith(".tgz")]
    version = yaml.safe_load(read("deploy", "helm", "primus-lens", "Chart.yaml"))["version"]
    assert os.path.basename(archive) == "primus-lens-%s.tgz" % version
    for values in (SQLITE_CI, POSTGRES_CI):
        assert render(helm, "-f", values, chart=archive) == render(helm, "-f", values)


# --- storage=sqlite ------------------------------------------------------------------------------

def test_sqlite_default_is_one_pod_on_a_claim_with_the_clusters_default_class(sqlite_default: Docs) -> None:
    processor_checks(sqlite_default)
    check_sqlite_processor(sqlite_default, storage_class=None)
    assert sorted(d["kind"] for d in sqlite_default) == ["Deployment", "PersistentVolumeClaim", "Service"]
    [pvc] = of_kind(sqlite_default, "PersistentVolumeClaim")
    assert pvc["metadata"]["annotations"]["helm.sh/resource-policy"] == "keep"   # uninstall keeps the data


def test_sqlite_storage_class_is_configurable(helm: str, sqlite_full: Docs) -> None:
    check_sqlite_processor(sqlite_full, storage_class="fast-ssd")
    check_sqlite_processor(render(helm, "--set", "sqlite.persistence.storageClass=-"), storage_class="")
    docs = render(helm, "--set", "sqlite.persistence.existingClaim=my-lens-data")
    assert not of_kind(docs, "PersistentVolumeClaim")
    [volume] = [v for v in pod_spec(one(docs, "Deployment"))["volumes"] if "persistentVolumeClaim" in v]
    assert volume["persistentVolumeClaim"]["claimName"] == "my-lens-data"


def test_sqlite_ignores_replica_and_autoscaling_values(helm: str) -> None:
    docs = render(helm, "--set", "replicaCount=5", "--set", "autoscaling.enabled=true")
    check_sqlite_processor(docs)   # still 1 replica, Recreate, no HPA or PDB


def test_sqlite_toggles_render_the_service_monitor_policy_and_ingress(sqlite_full: Docs) -> None:
    processor_checks(sqlite_full)
    service = one(sqlite_full, "Service")
    monitor = one(sqlite_full, "ServiceMonitor")
    check_service_monitor(monitor, service)
    assert monitor["metadata"]["labels"]["release"] == "kube-prometheus-stack"
    assert monitor["spec"]["namespaceSelector"] == {"matchNames": [NAMESPACE]}
    ingress = one(sqlite_full, "Ingress")
    check_ingress(ingress, service)
    assert ingress["spec"]["ingressClassName"] == "nginx" and ingress["spec"]["tls"][0]["secretName"]
    # No database policy without a database server.
    check_network_policies(of_kind(sqlite_full, "NetworkPolicy"), one(sqlite_full, "Deployment"),
                           TRAINING_LABELS, database_labels=None)


def test_sqlite_backup_cronjob_runs_beside_the_processor_on_its_volume(sqlite_full: Docs) -> None:
    deployment = one(sqlite_full, "Deployment")
    cron = one(sqlite_full, "CronJob")
    assert cron["apiVersion"] == "batch/v1" and cron["spec"]["concurrencyPolicy"] == "Forbid"
    spec = pod_spec(cron)
    [container] = spec["containers"]
    assert container["command"] == ["node", "dist/src/backup.js"]
    assert env_map(container)["LENS_DATABASE_URL"] == env_map(processor_container(deployment))["LENS_DATABASE_URL"]
    assert set(env_map(container)) <= server_config_vars()
    claims = {v["name"]: v["persistentVolumeClaim"]["claimName"] for v in spec["volumes"] if "persistentVolumeClaim" in v}
    data_claim = [v for v in pod_spec(deployment)["volumes"] if "persistentVolumeClaim" in v][0]["persistentVolumeClaim"]["claimName"]
    assert claims["data"] == data_claim
    # A ReadWriteOnce volume: the backup pod must land on the processor pod's node.
    [term] = spec["affinity"]["podAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
    assert term["topologyKey"] == "kubernetes.io/hostname"
    assert selects(term["labelSelector"]["matchLabels"], pod_labels(deployment))
    # ...and no Service, PodDisruptionBudget or policy mistakes the backup pod for a processor.
    assert not selects(one(sqlite_full, "Service")["spec"]["selector"], pod_labels(cron))
    assert not selects(deployment["spec"]["selector"]["matchLabels"], pod_labels(cron))
    # Its destination volume exists and carries the configured class.
    backup_claim = [p for p in of_kind(sqlite_full, "PersistentVolumeClaim") if p["metadata"]["name"] == claims["backup"]]
    assert len(backup_claim) == 1 and backup_claim[0]["spec"]["storageClassName"] == "standard"
    mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
    assert mounts["backup"] == "/backup"


def test_backup_command_is_configurable_and_off_by_default(helm: str, sqlite_default: Docs) -> None:
    assert not of_kind(sqlite_default, "CronJob")
    docs = render(helm, "--set", "backup.enabled=true", "--set", "backup.schedule=0 * * * *",
                  "--set-json", 'backup.command=["sh","-c"]', "--set-json", 'backup.args=["echo backup"]')
    cron = one(docs, "CronJob")
    [container] = pod_spec(cron)["containers"]
    assert (container["command"], container["args"]) == (["sh", "-c"], ["echo backup"])
    assert cron["spec"]["schedule"] == "0 * * * *"


# --- storage=postgres ----------------------------------------------------------------------------

def test_postgres_is_autoscaled_stateless_replicas_with_a_pdb(postgres_full: Docs) -> None:
    processor_checks(postgres_full)
    check_postgres_processor(postgres_full)
    deployment = one(postgres_full, "Deployment")
    # The autoscaler owns the count; a replicas field would fight it on every helm upgrade.
    assert "replicas" not in deployment["spec"]
    assert one(postgres_full, "HorizontalPodAutoscaler")["spec"]["minReplicas"] == 3
    assert one(postgres_full, "PodDisruptionBudget")["spec"]["minAvailable"] == 1
    ref = env_map(processor_container(deployment))["LENS_DATABASE_URL"]["valueFrom"]["secretKeyRef"]
    assert (ref["name"], ref["key"]) == ("primus-lens-database", "url")
    assert not of_kind(postgres_full, "Secret")   # existingSecret: the chart never sees the password


def test_postgres_without_autoscaling_runs_replica_count(helm: str) -> None:
    docs = render(helm, *PG_SECRET, "--set", "autoscaling.enabled=false", "--set", "replicaCount=4")
    check_postgres_processor(docs)
    assert one(docs, "Deployment")["spec"]["replicas"] == 4
    assert not of_kind(docs, "HorizontalPodAutoscaler")
    docs = render(helm, *PG_SECRET, "--set", "podDisruptionBudget.enabled=false")
    assert not of_kind(docs, "PodDisruptionBudget") and of_kind(docs, "HorizontalPodAutoscaler")


def test_postgres_spreading_can_be_a_hard_rule(helm: str) -> None:
    docs = render(helm, *PG_SECRET, "--set", "spread.whenUnsatisfiable=DoNotSchedule",
                  "--set", "spread.podAntiAffinity=required")
    check_postgres_processor(docs)
    spec = pod_spec(one(docs, "Deployment"))
    assert {c["whenUnsatisfiable"] for c in spec["topologySpreadConstraints"]} == {"DoNotSchedule"}
    assert spec["affinity"]["podAntiAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]


def test_postgres_url_in_values_goes_into_a_chart_secret_and_rolls_the_pods(helm: str) -> None:
    url = "postgres://lens:s3cret@db:5432/lens"
    docs = render(helm, "--set", "storage=postgres", "--set", "postgres.url=" + url)
    check_postgres_processor(docs)
    [secret] = of_kind(docs, "Secret")
    assert secret["stringData"] == {"url": url}
    deployment = one(docs, "Deployment")
    ref = env_map(processor_container(deployment))["LENS_DATABASE_URL"]["valueFrom"]["secretKeyRef"]
    assert (ref["name"], ref["key"]) == (secret["metadata"]["name"], "url")
    checksum = deployment["spec"]["template"]["metadata"]["annotations"]["checksum/database-secret"]
    other = render(helm, "--set", "storage=postgres", "--set", "postgres.url=" + url + "?sslmode=require")
    assert one(other, "Deployment")["spec"]["template"]["metadata"]["annotations"]["checksum/database-secret"] != checksum
    assert url not in json.dumps(deployment)


def test_postgres_network_policies_keep_the_database_private(postgres_full: Docs) -> None:
    check_network_policies(of_kind(postgres_full, "NetworkPolicy"), one(postgres_full, "Deployment"),
                           TRAINING_LABELS, database_labels={"app.kubernetes.io/name": "postgresql"})
    check_service_monitor(one(postgres_full, "ServiceMonitor"), one(postgres_full, "Service"))
    check_ingress(one(postgres_full, "Ingress"), one(postgres_full, "Service"))


def test_postgres_pool_settings_are_variables_the_server_reads(helm: str) -> None:
    docs = render(helm, *PG_SECRET, "--set", "postgres.poolMax=20", "--set", "postgres.statementTimeoutMs=0",
                  "--set", "postgres.connectTimeoutMs=5000", "--set", "server.bodyLimitBytes=33554432")
    env = env_map(processor_container(one(docs, "Deployment")))
    # 0 (no statement timeout) is a value, not "unset".
    assert {n: env[n]["value"] for n in env if n.startswith("LENS_PG_")} == {
        "LENS_PG_POOL_MAX": "20", "LENS_PG_STATEMENT_TIMEOUT_MS": "0", "LENS_PG_CONNECT_TIMEOUT_MS": "5000"}
    assert env["LENS_BODY_LIMIT_BYTES"]["value"] == "33554432"   # not 3.3554432e+07
    check_env_is_read_by_server(one(docs, "Deployment"))


def test_tls_secret_serves_https_with_https_probes_and_scrape(helm: str) -> None:
    docs = render(helm, *RENDERS["postgres-tls"])
    deployment = one(docs, "Deployment")
    container = processor_container(deployment)
    env = env_map(container)
    mount = {m["name"]: m for m in container["volumeMounts"]}["tls"]
    assert (mount["mountPath"], mount["readOnly"]) == ("/tls", True)
    volume = {v["name"]: v for v in pod_spec(deployment)["volumes"]}["tls"]
    assert volume["secret"]["secretName"] == "lens-tls"
    assert (env["LENS_TLS_CERT_FILE"]["value"], env["LENS_TLS_KEY_FILE"]["value"]) == ("/tls/tls.crt", "/tls/tls.key")
    assert env["LENS_INGEST_RATE_LIMIT"]["value"] == "500"
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert container[probe]["httpGet"]["scheme"] == "HTTPS", probe
    endpoints = one(docs, "ServiceMonitor")["spec"]["endpoints"]
    assert [e["path"] for e in endpoints] == ["/metrics", "/metrics/training"]
    for endpoint in endpoints:   # an https server answers neither scrape over plain http
        assert endpoint["scheme"] == "https" and endpoint["tlsConfig"] == {"serverName": "lens"}, endpoint["path"]
    check_env_is_read_by_server(deployment)


def test_default_renders_plain_http_and_the_servers_rate_limit(helm: str, sqlite_default: Docs) -> None:
    container = processor_container(one(sqlite_default, "Deployment"))
    env = env_map(container)
    assert not {"LENS_TLS_CERT_FILE", "LENS_TLS_KEY_FILE", "LENS_INGEST_RATE_LIMIT"} & set(env)
    assert all("scheme" not in container[p]["httpGet"] for p in ("startupProbe", "readinessProbe", "livenessProbe"))
    assert "tls" not in {v["name"] for v in pod_spec(one(sqlite_default, "Deployment"))["volumes"]}
    assert "/server/ingestRateLimit" in refusal(helm, "--set", "server.ingestRateLimit=-1")


def test_default_renders_set_no_pool_variables(helm: str) -> None:
    env = env_map(processor_container(one(render(helm, *PG_SECRET), "Deployment")))
    assert not [n for n in env if n.startswith("LENS_PG_")]   # null = the server's own defaults


def test_schema_bounds_are_the_ones_config_ts_enforces() -> None:
    """A value the schema admits must not make the server exit at boot with a ConfigError."""
    schema = json.loads(read("deploy", "helm", "primus-lens", "values.schema.json"))["properties"]
    bounds = {name: (int(lo.replace("_", "")), int(hi.replace("_", "")))
              for name, lo, hi in re.findall(r"readInt\(\s*env\s*,\s*'([A-Z_]+)'\s*,\s*[0-9_]+\s*,\s*([0-9_]+)\s*,\s*([0-9_* ]+?)\s*,",
                                             read("server", "src", "config.ts"))
              if "*" not in hi}
    pairs = {"LENS_PG_POOL_MAX": schema["postgres"]["properties"]["poolMax"],
             "LENS_PG_STATEMENT_TIMEOUT_MS": schema["postgres"]["properties"]["statementTimeoutMs"],
             "LENS_PG_CONNECT_TIMEOUT_MS": schema["postgres"]["properties"]["connectTimeoutMs"]}
    for name, prop in pairs.items():
        assert name in bounds, "config.ts no longer reads %s with readInt" % name
        assert (prop["minimum"], prop["maximum"]) == bounds[name], name
    body = schema["server"]["properties"]["bodyLimitBytes"]
    assert body["minimum"] == 1024 and body["maximum"] == 1024 ** 3   # readInt(…, 1_024, 1024 ** 3)


def test_full_scale_connections_fit_a_default_postgresql(helm: str, postgres_full: Docs) -> None:
    for docs in (postgres_full, render(helm, *PG_SECRET)):
        check_connection_budget(docs)


def test_chart_defaults_match_the_plain_postgres_manifest(helm: str) -> None:
    """Two ways to deploy the same thing: the timings, sizes and bounds must not drift apart."""
    from k8s_checks import load, prestop_sleep_seconds
    plain = load("telemetry-processor-postgres.yaml")
    chart = render(helm, *PG_SECRET)

    def summary(docs: Docs) -> Dict[str, Any]:
        deployment = one(docs, "Deployment")
        container = processor_container(deployment)
        hpa = one(docs, "HorizontalPodAutoscaler")["spec"]
        probes = {name: {k: v for k, v in container[name].items() if k != "httpGet"} for name in
                  ("startupProbe", "readinessProbe", "livenessProbe")}
        for name in probes:
            probes[name]["path"] = container[name]["httpGet"]["path"]
        return {
            "strategy": deployment["spec"]["strategy"],
            "grace": pod_spec(deployment)["terminationGracePeriodSeconds"],
            "preStop": prestop_sleep_seconds(container),
            "probes": probes,
            "resources": container["resources"],
            "securityContext": container["securityContext"],
            "hpa": (hpa["minReplicas"], hpa["maxReplicas"], hpa["metrics"], hpa["behavior"]),
            "pdb": one(docs, "PodDisruptionBudget")["spec"]["minAvailable"],
            "env": sorted(n for n in env_map(container) if not n.startswith("LENS_PG_")),
            "spread": sorted(c["topologyKey"] for c in pod_spec(deployment)["topologySpreadConstraints"]),
            "ports": [(p["name"], p["port"]) for p in one(docs, "Service")["spec"]["ports"]],
        }

    assert summary(chart) == summary(plain)


# --- what the chart refuses ----------------------------------------------------------------------

@pytest.mark.parametrize("args, message", [
    (["--set", "storage=mysql"], "value must be one of 'sqlite', 'postgres'"),
    (["--set", "storage=postgres"], "/postgres/existingSecret"),
    (["--set", "storage=postgres", "--set", "postgres.url=mysql://db/lens"], "does not match pattern"),
    (["--set", "storag=postgres"], "additional properties 'storag' not allowed"),
    (PG_SECRET + ["--set", "backup.enabled=true"], "/storage"),
    (["--set", "shutdown.terminationGracePeriodSeconds=29"], "terminationGracePeriodSeconds=29 is too short"),
    (["--set", "shutdown.preStopSleepSeconds=20"], "use at least 46"),
    (["--set", "probes.readiness.path=readyz"], "/probes/readiness/path"),
    (["--set", "server.logLevel=verbose"], "/server/logLevel"),
    (PG_SECRET + ["--set", "postgres.poolMax=0"], "/postgres/poolMax"),
    (PG_SECRET + ["--set", "postgres.connectTimeoutMs=50"], "/postgres/connectTimeoutMs"),
], ids=["unknown-storage", "postgres-without-url", "not-a-postgres-url", "typo", "backup-on-postgres",
        "short-grace", "long-prestop", "relative-probe-path", "bad-log-level", "empty-pool",
        "connect-timeout-below-server-minimum"])
def test_schema_and_checks_refuse_broken_values(helm: str, args: Sequence[str], message: str) -> None:
    assert message in refusal(helm, *args)


# --- names, notes, metadata, docs ----------------------------------------------------------------

def test_default_names_match_the_exporters_default_address(sqlite_default: Docs, postgres_full: Docs) -> None:
    host, port = exporter_default_host_and_port()
    for docs in (sqlite_default, postgres_full):
        service = one(docs, "Service")
        assert service["metadata"]["name"] == host
        assert port in {p["port"] for p in service["spec"]["ports"]}


def test_release_named_objects_still_point_at_each_other(helm: str) -> None:
    docs = render(helm, "-f", POSTGRES_CI, "--set", "fullnameOverride=")
    names = {d["metadata"]["name"] for d in docs if d["kind"] in ("Deployment", "Service", "HorizontalPodAutoscaler")}
    assert names == {"%s-primus-lens" % RELEASE}
    hpa = one(docs, "HorizontalPodAutoscaler")
    assert hpa["spec"]["scaleTargetRef"]["name"] == one(docs, "Deployment")["metadata"]["name"]
    check_ingress(one(docs, "Ingress"), one(docs, "Service"))
    check_postgres_processor(docs)


def render_notes(helm: str, tmp_path: Any, *args: str) -> str:
    """helm template skips NOTES.txt; render the same text through a probe template in a copy."""
    chart = str(tmp_path / "primus-lens")
    shutil.copytree(CHART, chart)
    with open(os.path.join(chart, "templates", "NOTES.txt"), encoding="utf-8") as handle:
        notes = handle.read()
    with open(os.path.join(chart, "templates", "zz-notes-probe.yaml"), "w", encoding="utf-8") as handle:
        handle.write('{{- define "probe.notes" }}%s{{ end }}\napiVersion: v1\nkind: ConfigMap\n'
                     'metadata:\n  name: notes-probe\ndata:\n  notes: {{ include "probe.notes" . | toJson }}\n' % notes)
    docs = render(helm, *args, "--show-only", "templates/zz-notes-probe.yaml", chart=chart)
    return one(docs, "ConfigMap")["data"]["notes"]


def test_notes_tell_where_training_pods_send(helm: str, tmp_path: Any) -> None:
    notes = render_notes(helm, tmp_path, "-f", POSTGRES_CI)
    assert "storage=postgres (3 to 10 replicas" in notes
    assert "http://primus-lens-telemetry-processor.%s.svc.cluster.local:8080/api/v1" % NAMESPACE in notes
    assert "no PRIMUS_LENS_API_BASE_URL needed" in notes
    assert "Secret primus-lens-database, key url" in notes
    assert '{"primus-lens/exporter":"true"}' in notes


def test_notes_ask_for_the_address_when_the_name_is_not_the_default(helm: str, tmp_path: Any) -> None:
    notes = render_notes(helm, tmp_path, "--set", "fullnameOverride=")
    assert "storage=sqlite (1 replica on PersistentVolumeClaim %s-primus-lens)" % RELEASE in notes
    assert "Set PRIMUS_LENS_API_BASE_URL" in notes and "port-forward" in notes


def test_chart_metadata_matches_the_server() -> None:
    chart = yaml.safe_load(read("deploy", "helm", "primus-lens", "Chart.yaml"))
    package = json.loads(read("server", "package.json"))
    assert chart["apiVersion"] == "v2" and chart["name"] == "primus-lens"
    assert chart["appVersion"] == package["version"]
    # The schema is strict JSON Schema and the values file obeys it (helm lint checks the latter).
    schema = json.loads(read("deploy", "helm", "primus-lens", "values.schema.json"))
    values = yaml.safe_load(read("deploy", "helm", "primus-lens", "values.yaml"))
    assert schema["additionalProperties"] is False
    assert set(values) <= set(schema["properties"])


# Values that are Kubernetes objects or free maps: documented as one row each.
ATOMIC = {"resources", "podSecurityContext", "securityContext", "podSelector", "clientPodLabels",
          "clientNamespaceSelector", "annotations", "labels", "affinity", "nodeSelector", "podLabels",
          "podAnnotations", "startup", "readiness", "liveness"}


def leaf_keys(values: Dict[str, Any], prefix: str = "") -> List[str]:
    keys: List[str] = []
    for key, value in values.items():
        path = prefix + key
        if isinstance(value, dict) and value and key not in ATOMIC:
            keys += leaf_keys(value, path + ".")
        else:
            keys.append(path)
    return keys


def test_chart_readme_documents_every_value() -> None:
    values = yaml.safe_load(read("deploy", "helm", "primus-lens", "values.yaml"))
    documented = set(re.findall(r"^\| `([A-Za-z0-9_.]+)` \|", read("deploy", "helm", "primus-lens", "README.md"), flags=re.M))
    expected = set(leaf_keys(values))
    assert expected - documented == set(), "values missing from the chart README's table"
    assert documented - expected == set(), "the chart README documents values that do not exist"
