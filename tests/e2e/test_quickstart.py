"""docs/quickstart.md, followed literally: the product's contract with the ML engineer.

The page's environment variables and its training code are read from the page itself and run
unchanged, with real wandb in offline mode, the exporter as installed in .venv, and the real server
on a free port. Every line the page promises is checked, on the exporter's side and on the
server's, and so is the data behind them; so the page and the product cannot drift apart.
"""
from __future__ import annotations

import json
import math
import os
import re
import subprocess
from typing import Any, Dict, Iterator, List

import pytest

from harness import ROOT, Server, clean_env, lines_in_order, run_python

QUICKSTART = os.path.join(ROOT, "docs", "quickstart.md")
# The address the page uses; each test points it at its own server instead.
PAGE_API = "http://localhost:8080/api/v1"


def page_section(heading: str) -> str:
    """The text under a heading of docs/quickstart.md, up to the next heading of its level or above
    (a `#` line inside a fenced code block is a comment, not a heading)."""
    with open(QUICKSTART, encoding="utf-8") as handle:
        lines = handle.read().splitlines()
    level = len(heading.split(" ", 1)[0])
    start = lines.index(heading) + 1
    in_fence = False
    for index in range(start, len(lines)):
        if lines[index].startswith("```"):
            in_fence = not in_fence
        elif not in_fence and re.match(r"#{1,%d} " % level, lines[index]):
            return "\n".join(lines[start:index]) + "\n"
    return "\n".join(lines[start:]) + "\n"


def code_blocks(section: str, language: str = "") -> List[str]:
    return re.findall(r"^```%s\n(.*?)^```" % language, section, flags=re.M | re.S)


def page_env() -> Dict[str, str]:
    """Every `export NAME="value"` of the page's first step."""
    [block] = code_blocks(page_section("### 1. Set the environment"), "bash")
    return dict(re.findall(r'^export (\w+)="([^"]*)"$', block, flags=re.M))


[TRAINING_CODE] = code_blocks(page_section("### 2. Run the training code as it is"), "python")

# The lines of "What the job prints" that are fixed, in order (each is a line prefix; the run's
# name and the rest of the stats line vary). A test below checks that the page shows each of them.
PROMISED_OUTPUT = [
    "[Primus Lens WandB] Installing WandB hook...",
    "[Primus Lens WandB] API reporting enabled",
    "[Primus Lens API Reporter] Started (API: %s)",
    "[Primus Lens WandB] Intercepted wandb.init()",
    "[Primus Lens WandB] WandB run initialized: ",
    "[Primus Lens WandB] Framework detection data queued for reporting",
    "  Detected frameworks: ['primus']",
    "  Confidence: high",
    "[Primus Lens WandB] Cleaning up...",
    "[Primus Lens API Reporter] Stopped. Stats: {'detection_sent': 1, 'metrics_sent': 100, 'errors': 0",
]


def test_the_page_shows_every_line_checked_here() -> None:
    [block] = code_blocks(page_section("## What the job prints"))
    shown = block.splitlines()
    expected = [line % PAGE_API if "%s" in line else line for line in PROMISED_OUTPUT]
    assert lines_in_order(block, expected) == [], shown
    assert page_env() == {"WORKLOAD_UID": "my-workload-123", "POD_UID": "my-pod-456",
                          "PRIMUS_CONFIG": "/config/primus.yaml", "PRIMUS_VERSION": "1.2.3",
                          "PRIMUS_LENS_API_BASE_URL": PAGE_API}
    assert "wandb.init(" in TRAINING_CODE and "wandb.log(" in TRAINING_CODE and "primus_lens" not in TRAINING_CODE


def quickstart_env(server: Server, scratch: str) -> Dict[str, str]:
    # Step 1 of the page, with the API address pointed at this test's server.
    return clean_env(dict(page_env(), PRIMUS_LENS_API_BASE_URL="http://localhost:%d/api/v1" % server.port,
                          WANDB_MODE="offline"), scratch)


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
           installed_exporter: str) -> Iterator[Server]:
    """The quickstart on each backend: the embedded SQLite default, and PostgreSQL
    as the replicas run it. Same server process, same assertions."""
    extra: Dict[str, str] = {}
    if request.param == "postgres":
        cluster = request.getfixturevalue("pg_cluster")
        extra["LENS_DATABASE_URL"] = cluster.create_database("quickstart")
    instance = Server(str(tmp_path_factory.mktemp("server-" + request.param)), extra).start()
    try:
        yield instance
    finally:
        instance.stop()
    if request.param == "postgres":  # the points really went to PostgreSQL, not to a file
        assert cluster.sql("SELECT coalesce(sum(n), 0) FROM series_chunks", db="quickstart") != "0"
        assert not os.path.exists(instance.db_path)


@pytest.fixture(scope="module")
def quickstart_run(server: Server, tmp_path_factory: pytest.TempPathFactory) -> "subprocess.CompletedProcess[str]":
    scratch = str(tmp_path_factory.mktemp("quickstart"))
    script = "%s/train.py" % scratch
    with open(script, "w") as handle:
        handle.write(TRAINING_CODE)
    return run_python(script, quickstart_env(server, scratch), cwd=scratch)


def test_training_script_succeeds_unchanged(quickstart_run: "subprocess.CompletedProcess[str]") -> None:
    assert quickstart_run.returncode == 0, quickstart_run.stderr[-4000:]


def test_exporter_prints_the_promised_lines_in_order(quickstart_run: "subprocess.CompletedProcess[str]", server: Server) -> None:
    expected = [line % ("http://localhost:%d/api/v1" % server.port) if "%s" in line else line for line in PROMISED_OUTPUT]
    missing = lines_in_order(quickstart_run.stderr, expected)
    assert missing == [], "not found in order: %r\n--- stderr ---\n%s" % (missing, quickstart_run.stderr[-4000:])
    # The stats line is what the page tells users to grep for.
    stats = [l for l in quickstart_run.stderr.splitlines() if "API Reporter" in l and "Stats" in l]
    assert len(stats) == 1, stats


def test_server_log_has_the_promised_lines(quickstart_run: "subprocess.CompletedProcess[str]", server: Server) -> None:
    needles = [
        "Processing WandB detection for workload my-workload-123",
        "✓ Detected framework from WandB: primus (confidence: 0.80)",
        "Processing WandB metrics: ",
    ]
    log = server.wait_for_log(needles)
    for needle in needles:
        assert needle in log, "%r not in the server log:\n%s" % (needle, log[-4000:])
    # "<n> metrics": a count, and the counts add up to every point sent (100 steps x 2 keys).
    counts = []
    for line in log.splitlines():
        if "Processing WandB metrics: " in line:
            tail = line.split("Processing WandB metrics: ", 1)[1]
            counts.append(int(tail.split(" metrics", 1)[0]))
    assert counts and sum(counts) >= 200


def test_framework_detection_query_returns_primus(quickstart_run: "subprocess.CompletedProcess[str]", server: Server) -> None:
    status, detection = server.get("/workloads/my-workload-123/framework-detection")
    assert status == 200, detection
    assert detection["workload_uid"] == "my-workload-123"
    assert detection["framework"] == "primus"
    assert detection["confidence"] >= 0.8


def test_query_api_returns_exactly_the_200_points_logged(quickstart_run: "subprocess.CompletedProcess[str]", server: Server) -> None:
    expected_values = {"loss": 0.5, "accuracy": 0.9}
    total = 0
    for name, value in expected_values.items():
        series: List[Dict[str, Any]] = server.series("my-workload-123", name)
        assert len(series) == 1, series  # one run, one rank
        points = series[0]["points"]
        assert [p[0] for p in points] == list(range(100)), name
        assert all(math.isclose(p[1], value) for p in points), name
        total += len(points)
    assert total == 200


def test_a_body_without_a_workload_gets_a_clear_400(server: Server) -> None:
    done = subprocess.run(
        ["curl", "-sS", "--max-time", "10", "-X", "POST", "http://localhost:%d/api/v1/wandb/detection" % server.port,
         "-H", "Content-Type: application/json", "-d", '{"test": "data"}', "-w", "\n%{http_code}"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, timeout=30,
    )
    assert done.returncode == 0, done.stderr
    body_text, _, code = done.stdout.rpartition("\n")
    assert code == "400", done.stdout
    body = json.loads(body_text)
    assert body["meta"]["code"] == 400
    errors = body["data"]["errors"]
    assert errors, body
    # "Clear" means it names what is required, so the user knows what to send.
    assert "workload_uid" in json.dumps(errors), body


def test_kubernetes_variant_framework_env_without_version_detects_primus(server: Server, tmp_path) -> None:
    """The page's pod: FRAMEWORK=primus and PRIMUS_CONFIG, POD_UID from the downward API, no PRIMUS_VERSION."""
    scratch = str(tmp_path)
    script = "%s/train.py" % scratch
    with open(script, "w") as handle:
        handle.write(TRAINING_CODE)
    env = clean_env({
        "WORKLOAD_UID": "workload-abc-123",
        "POD_UID": "0f5c4d1e-8a3b-4c2d-9e7f-1a2b3c4d5e6f",
        "POD_NAME": "training-pod",
        "POD_NAMESPACE": "default",
        "FRAMEWORK": "primus",
        "PRIMUS_CONFIG": "/workspace/config.yaml",
        "PRIMUS_LENS_API_BASE_URL": "http://localhost:%d/api/v1" % server.port,
        "WANDB_MODE": "offline",
    }, scratch)
    done = run_python(script, env, cwd=scratch)
    assert done.returncode == 0, done.stderr[-4000:]
    assert "  Detected frameworks: ['primus']" in done.stderr.splitlines(), done.stderr[-4000:]
    assert "Stopped. Stats: {'detection_sent': 1, 'metrics_sent': 100, 'errors': 0" in done.stderr
    status, detection = server.get("/workloads/workload-abc-123/framework-detection")
    assert status == 200, detection
    assert detection["framework"] == "primus"
    assert server.wait_for_log(["Processing WandB detection for workload workload-abc-123"]).count(
        "Processing WandB detection for workload workload-abc-123") >= 1


def test_exporter_prints_the_servers_verdict_on_the_servers_scale(quickstart_run: "subprocess.CompletedProcess[str]") -> None:
    """`Confidence: high` is the exporter's local guess; the server's number follows it, so the job's
    log and the dashboard show the same scale."""
    verdicts = [l for l in quickstart_run.stderr.splitlines() if "Server detected framework:" in l]
    assert verdicts == ["[Primus Lens API Reporter] Server detected framework: primus (confidence: 0.80, confirmed)"], \
        quickstart_run.stderr[-3000:]
