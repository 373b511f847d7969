"""The exporter against a server that requires tokens, end to end with real wandb jobs.

- a job with an ingest token for its namespace delivers everything;
- a job whose token may not write its namespace (403), or that the server does not know (401),
  keeps its data in the spool and says why once, not per batch; the next job with the right
  token delivers it;
- over the per-token rate limit the job is answered 429 + Retry-After, backs off, and its data
  still arrives in full;
- over HTTPS with a private CA (PRIMUS_LENS_CA_BUNDLE), the job and `check` succeed.
"""
from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
import urllib.request
from typing import Any, Dict, Iterator

import pytest

from harness import ROOT, Server, clean_env, http_json, run_python

JOB = """
import wandb
run = wandb.init(project="p", name="{name}")
for step in range({steps}):
    wandb.log({{"loss": 1.0 / (step + 1)}})
wandb.finish()
"""
BOOT = "boot-" + secrets.token_hex(12)
MAKE_CA = os.path.join(ROOT, "scripts", "make-test-ca.sh")


def make_token(server: Server, **body: Any) -> str:
    status, answer = http_json("POST", server.api + "/tokens", json.dumps(body).encode(), token=BOOT, ca_file=server.ca_file)
    assert status == 201, answer
    return str(answer["token"])


def run_job(tmp_path: Any, name: str, env: Dict[str, str], steps: int = 5) -> str:
    script = tmp_path / (name + ".py")
    script.write_text(JOB.format(name=name, steps=steps))
    done = run_python(str(script), env, str(tmp_path))
    assert done.returncode == 0, done.stderr
    return done.stderr


def job_env(tmp_path: Any, server: Server, workload: str, namespace: str, token: str, **extra: str) -> Dict[str, str]:
    env = {"WANDB_MODE": "offline", "WANDB_SILENT": "true", "WORKLOAD_UID": workload, "POD_NAME": workload + "-0",
           "POD_NAMESPACE": namespace, "PRIMUS_LENS_API_BASE_URL": server.api, "PRIMUS_LENS_API_TOKEN": token,
           "PRIMUS_LENS_WANDB_SPOOL_DIR": str(tmp_path / "spool"), "PRIMUS_LENS_WANDB_EXIT_TIMEOUT": "10",
           "PRIMUS_LENS_WANDB_RETRY_WINDOW": "1"}
    env.update(extra)
    return clean_env(env, str(tmp_path))


def points(server: Server, workload: str) -> int:
    return sum(len(s["points"]) for s in server.series(workload, "loss", token=BOOT))


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory, installed_exporter: str) -> Iterator[Server]:
    server = Server(str(tmp_path_factory.mktemp("guarded")), {"LENS_API_TOKEN": BOOT}).start()
    try:
        yield server
    finally:
        server.stop()
        # Whatever the jobs did, no token the test made reached the server's log.
        log = server.log_text()
        assert BOOT not in log and "plens_" not in log


def test_a_scoped_ingest_token_delivers_everything(tmp_path: Any, guarded: Server) -> None:
    token = make_token(guarded, name="trainer-team-a", scope="ingest", namespaces=["team-a"])
    stderr = run_job(tmp_path, "scoped", job_env(tmp_path, guarded, "w-scoped", "team-a", token), steps=20)
    assert "Delivery FAILED" not in stderr and "Not delivered" not in stderr, stderr
    reader = make_token(guarded, name="grafana-team-a", scope="read", namespaces=["team-a"])
    assert sum(len(s["points"]) for s in guarded.series("w-scoped", "loss", token=reader)) == 20
    status, row = guarded.get("/workloads/w-scoped", token=reader)
    assert status == 200 and row["namespace"] == "team-a"


def test_a_token_for_another_namespace_keeps_the_data_and_says_why_once(tmp_path: Any, guarded: Server) -> None:
    token_a = make_token(guarded, name="trainer-a-only", scope="ingest", namespaces=["team-a"])
    stderr = run_job(tmp_path, "elsewhere", job_env(tmp_path, guarded, "w-403", "team-b", token_a))
    assert stderr.count("Not delivered: PRIMUS_LENS_API_TOKEN may not send data here (HTTP 403 at %s/wandb/" % guarded.api) == 1, stderr
    assert "Delivery FAILED: 5 points wait in the spool" in stderr
    assert os.listdir(str(tmp_path / "spool"))

    unknown = run_job(tmp_path, "unknown", job_env(tmp_path, guarded, "w-403", "team-b", "plens_" + secrets.token_urlsafe(32)))
    assert unknown.count("Not delivered: the server rejected PRIMUS_LENS_API_TOKEN (HTTP 401") == 1, unknown

    token_b = make_token(guarded, name="trainer-b", scope="ingest", namespaces=["team-b"])
    fixed = run_job(tmp_path, "fixed", job_env(tmp_path, guarded, "w-403", "team-b", token_b))
    assert "Delivery FAILED" not in fixed and re.search(r"'replayed': 10\b", fixed), fixed
    assert points(guarded, "w-403") == 15


def test_past_the_rate_limit_the_job_backs_off_and_everything_arrives(tmp_path: Any, installed_exporter: str) -> None:
    (tmp_path / "srv").mkdir()
    server = Server(str(tmp_path / "srv"), {"LENS_API_TOKEN": BOOT, "LENS_INGEST_RATE_LIMIT": "3"}).start()
    try:
        token = make_token(server, name="trainer-limited", scope="ingest", namespaces=["team-a"])
        env = job_env(tmp_path, server, "w-429", "team-a", token, PRIMUS_LENS_WANDB_BATCH_SIZE="10",
                      PRIMUS_LENS_WANDB_RETRY_WINDOW="60", PRIMUS_LENS_WANDB_EXIT_TIMEOUT="60")
        stderr = run_job(tmp_path, "limited", env, steps=300)
        assert "Delivery FAILED" not in stderr and "Not delivered" not in stderr, stderr
        stats = re.search(r"Stopped\. Stats: (\{.*\})", stderr)
        assert stats and int(eval(stats.group(1), {})["retries"]) > 0, stderr  # a dict our code printed
        assert points(server, "w-429") == 300
        with urllib.request.urlopen(server.base + "/metrics", timeout=10) as response:
            scrape = response.read().decode("utf-8")
        limited = re.search(r'lens_http_requests_total\{method="POST",route="/api/v1/wandb/metrics",status="429"\} (\d+)', scrape)
        assert limited and int(limited.group(1)) > 0, "the server never answered 429"
    finally:
        server.stop()


def test_https_with_a_private_ca(tmp_path: Any, installed_exporter: str) -> None:
    certs = tmp_path / "certs"
    subprocess.run([MAKE_CA, str(certs), "lens"], check=True, timeout=60)
    (tmp_path / "srv").mkdir()
    ca = str(certs / "lens-ca.crt")
    server = Server(str(tmp_path / "srv"), {"LENS_API_TOKEN": BOOT, "LENS_TLS_CERT_FILE": str(certs / "lens.crt"),
                                            "LENS_TLS_KEY_FILE": str(certs / "lens.key")}, ca_file=ca).start()
    try:
        assert server.api.startswith("https://")
        token = make_token(server, name="trainer-tls", scope="ingest", namespaces=["team-a"])
        env = job_env(tmp_path, server, "w-tls", "team-a", token, PRIMUS_LENS_CA_BUNDLE=ca)
        stderr = run_job(tmp_path, "tls", env)
        assert "Delivery FAILED" not in stderr, stderr
        assert points(server, "w-tls") == 5
        check = subprocess.run([sys.executable, "-m", "primus_lens_wandb_exporter", "check"], env=env, cwd=str(tmp_path),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, timeout=120)
        assert check.returncode == 0 and "API round-trip: OK" in check.stdout, check.stdout + check.stderr
        untrusted = dict(env)
        del untrusted["PRIMUS_LENS_CA_BUNDLE"]
        failed = subprocess.run([sys.executable, "-m", "primus_lens_wandb_exporter", "check"], env=untrusted, cwd=str(tmp_path),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, timeout=120)
        assert failed.returncode == 1 and "set PRIMUS_LENS_CA_BUNDLE" in failed.stdout, failed.stdout
    finally:
        server.stop()
