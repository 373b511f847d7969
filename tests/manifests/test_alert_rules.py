"""The training-health alert rules, through the real promtool (Debian's prometheus package;
scripts/ensure-promtool.sh installs it, `make test` runs that as a set-up step).

`promtool check rules` on the rule file, `promtool test rules` on its unit tests, a broken copy that
promtool must refuse (so the check can fail), and the PrometheusRule variants (plain manifest and
Helm chart) holding exactly the same groups.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from typing import Any, Dict, List

import pytest
import yaml

from k8s_checks import ROOT, one, parse_all, read
from test_helm_chart import render_text

RULES = os.path.join(ROOT, "deploy", "prometheus", "lens-alerts.yaml")
RULE_TESTS = os.path.join(ROOT, "deploy", "prometheus", "lens-alerts.test.yaml")


@pytest.fixture(scope="session")
def promtool() -> str:
    script = os.path.join(ROOT, "scripts", "ensure-promtool.sh")
    result = subprocess.run([script], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, timeout=900)
    assert result.returncode == 0, "scripts/ensure-promtool.sh failed:\n" + result.stdout[-4000:]
    path = shutil.which("promtool")
    assert path is not None, "promtool missing after scripts/ensure-promtool.sh"
    return path


def run(promtool: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([promtool, *args], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True, timeout=120)


def groups_of(path: str) -> List[Dict[str, Any]]:
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle)["groups"]


def test_promtool_checks_the_rules(promtool: str) -> None:
    result = run(promtool, "check", "rules", RULES)
    assert result.returncode == 0, result.stdout
    assert "SUCCESS: 6 rules found" in result.stdout


def test_promtool_unit_tests_of_the_rules_pass(promtool: str) -> None:
    result = run(promtool, "test", "rules", RULE_TESTS)
    assert result.returncode == 0, result.stdout
    assert "SUCCESS" in result.stdout


def test_promtool_refuses_a_broken_rule(promtool: str) -> None:
    with open(RULES, encoding="utf-8") as handle:
        text = handle.read()
    broken = text.replace('(lens_run_health{status="stalled"}) == 1)', '(lens_run_health{status="stalled"} == 1', 1)
    assert broken != text
    with tempfile.TemporaryDirectory() as scratch:
        path = os.path.join(scratch, "broken.yaml")
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(broken)
        result = run(promtool, "check", "rules", path)
    assert result.returncode != 0 and "FAILED" in result.stdout, result.stdout


def test_rules_cover_each_issue_status_and_only_statuses_the_server_has() -> None:
    statuses_ts = read("server", "src", "health", "statuses.ts")
    server_statuses = set(re.search(r"HEALTH_STATUSES = \[([^\]]+)\]", statuses_ts).group(1).replace("'", "").replace(" ", "").split(","))
    used = set()
    for group in groups_of(RULES):
        for rule in group["rules"]:
            used |= set(re.findall(r'status="([a-z]+)"', rule["expr"]))
            assert rule["labels"]["severity"] in ("warning", "critical")
            assert rule["annotations"]["summary"] and rule["annotations"]["description"]
    assert {"stalled", "diverged", "slow", "lost"} <= used
    assert used <= server_statuses, used - server_statuses
    # Every metric the rules read is one /metrics/training serves.
    prom_ts = read("server", "src", "health", "prometheus.ts")
    for group in groups_of(RULES):
        for rule in group["rules"]:
            for metric in re.findall(r"\b(lens_[a-z_]+)", rule["expr"]):
                assert re.search(r"\b%s\b" % metric, prom_ts), metric


def test_prometheus_rule_manifest_holds_the_same_groups(kubestrict: Any) -> None:
    doc = one(parse_all(read("deploy", "k8s", "prometheusrule.yaml")), "PrometheusRule")
    assert doc["apiVersion"] == "monitoring.coreos.com/v1"
    assert doc["spec"]["groups"] == groups_of(RULES)
    kubestrict.check(files=[os.path.join("deploy", "k8s", "prometheusrule.yaml")])


def test_helm_chart_renders_the_same_groups_as_a_prometheus_rule(helm: str, kubestrict: Any) -> None:
    text = render_text(helm, "--set", "metrics.prometheusRule.enabled=true", "--set", "metrics.prometheusRule.labels.release=kps")
    rule = one(parse_all(text), "PrometheusRule")
    assert rule["spec"]["groups"] == groups_of(RULES)
    assert rule["metadata"]["labels"]["release"] == "kps"
    kubestrict.check(text=text)
    assert not [d for d in parse_all(render_text(helm)) if d.get("kind") == "PrometheusRule"], "off by default"


def test_helm_service_monitor_can_send_a_read_token_to_the_training_scrape(helm: str) -> None:
    docs = parse_all(render_text(helm, "--set", "metrics.serviceMonitor.enabled=true",
                                 "--set", "metrics.serviceMonitor.trainingTokenSecret.name=lens-prometheus-token"))
    endpoints = one(docs, "ServiceMonitor")["spec"]["endpoints"]
    [training] = [e for e in endpoints if e["path"] == "/metrics/training"]
    assert training["authorization"] == {"type": "Bearer", "credentials": {"name": "lens-prometheus-token", "key": "token"}}
    docs = parse_all(render_text(helm, "--set", "metrics.serviceMonitor.enabled=true"))
    [training] = [e for e in one(docs, "ServiceMonitor")["spec"]["endpoints"] if e["path"] == "/metrics/training"]
    assert "authorization" not in training  # an open server: no Secret to send
    docs = parse_all(render_text(helm, "--set", "metrics.serviceMonitor.enabled=true", "--set", "metrics.serviceMonitor.training=false"))
    assert [e["path"] for e in one(docs, "ServiceMonitor")["spec"]["endpoints"]] == ["/metrics"]
