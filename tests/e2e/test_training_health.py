"""Training health end to end: a real wandb offline script through the exporter whose loss turns
NaN at a known step and which then stops logging (hung, still alive, never finishing).

The server (a real process, SQLite) runs with short health windows (LENS_HEALTH_STALL_FLOOR_SECONDS
and friends, the documented knobs), so nothing here sleeps for a real stall window. The test
watches `GET /workloads/{uid}/health` answer `diverged` at that step, then `stalled`, then `lost`;
/metrics/training say the same; the webhook receives each change; and the alert rules, evaluated
by the real `promtool test rules` on the series recorded from those scrapes, fire.
"""
from __future__ import annotations

import http.server
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from typing import Any, Dict, Iterator, List, Tuple

import pytest
import yaml

from harness import ROOT, Server, clean_env

NAN_STEP = 37
LAST_STEP = 40
# wandb completes a history row when the next step begins (or at finish); the job hangs before
# either, so its last row never leaves the process and the last step the server sees is one earlier.
LAST_SEEN_STEP = LAST_STEP - 1
WORKLOAD = "health-e2e-%d" % os.getpid()
RULES = os.path.join(ROOT, "deploy", "prometheus", "lens-alerts.yaml")

TRAINING = '''import math, sys, time, wandb
run = wandb.init(project="health-e2e", config={"train_iters": 1000})
for step in range(%(last)d + 1):
    loss = float("nan") if step >= %(nan)d else 5.0 * math.exp(-step / 20.0) + 1.0
    wandb.log({"lm loss": loss, "learning-rate": 1e-4}, step=step)
    time.sleep(0.05)
print("HUNG", flush=True)
time.sleep(600)  # the job hangs here: no new step, no finish, until the test kills it
''' % {"last": LAST_STEP, "nan": NAN_STEP}


class Hook(http.server.BaseHTTPRequestHandler):
    received: List[Dict[str, Any]] = []

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        length = int(self.headers.get("content-length", "0"))
        Hook.received.append(json.loads(self.rfile.read(length).decode("utf-8")))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture()
def webhook() -> Iterator[str]:
    Hook.received = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield "http://127.0.0.1:%d/hook" % server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def scrape(server: Server) -> str:
    with urllib.request.urlopen(server.base + "/metrics/training", timeout=5) as response:
        return response.read().decode("utf-8")


def health_series(text: str) -> Dict[str, float]:
    """status -> value of lens_run_health for this test's run."""
    out: Dict[str, float] = {}
    for labels, value in re.findall(r"^lens_run_health\{([^}]*)\} (\S+)$", text, flags=re.M):
        pairs = dict(re.findall(r'(\w+)="([^"]*)"', labels))
        if pairs.get("workload") == WORKLOAD:
            out[pairs["status"]] = float(value)
    return out


def render(template: str, labels: Dict[str, str], value: str) -> str:
    text = re.sub(r"\{\{ \$labels\.(\w+) \}\}", lambda m: labels[m.group(1)], template)
    return text.replace("{{ $value }}", value)


def test_nan_then_hang_is_diverged_then_stalled_then_lost_everywhere(tmp_path: Any, webhook: str) -> None:
    server = Server(str(tmp_path / "server"), {
        "LENS_HEALTH_STALL_FLOOR_SECONDS": "3", "LENS_HEALTH_STALL_STARTUP_SECONDS": "3", "LENS_HEALTH_LOST_SECONDS": "8",
        "LENS_HEALTH_FLUSH_INTERVAL_MS": "100", "LENS_HEALTH_SWEEP_INTERVAL_SECONDS": "1", "LENS_HEALTH_WEBHOOK_URL": webhook,
    })
    os.makedirs(server.workdir, exist_ok=True)
    server.start()
    script = tmp_path / "train.py"
    script.write_text(TRAINING)
    env = clean_env({"WORKLOAD_UID": WORKLOAD, "POD_NAME": "trainer-0", "POD_NAMESPACE": "ml-team", "RANK": "0",
                     "PRIMUS_LENS_API_BASE_URL": server.api, "PRIMUS_LENS_WANDB_FLUSH_INTERVAL": "0.2",
                     "WANDB_MODE": "offline"}, str(tmp_path))
    job = subprocess.Popen([sys.executable, str(script)], cwd=str(tmp_path), env=env, stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True)
    timeline: List[Tuple[str, Dict[str, Any]]] = []
    scrapes: List[Dict[str, float]] = []
    last_page = ""
    try:
        deadline = time.monotonic() + 120
        lost_scrapes = 0
        while time.monotonic() < deadline and lost_scrapes < 8:
            status, answer = server.get("/workloads/%s/health" % WORKLOAD)
            if status == 200:
                timeline.append((answer["status"], answer))
                last_page = scrape(server)
                scrapes.append(health_series(last_page))
                lost_scrapes += answer["status"] == "lost"
            assert job.poll() is None, "the training script ended early:\n%s" % job.stdout.read()
            time.sleep(0.25)
    finally:
        job.send_signal(signal.SIGKILL)
        job.wait(timeout=30)
        output = job.stdout.read()
        server.stop()
    assert "HUNG" in output, output

    statuses = [s for s, _ in timeline]
    order = [s for i, s in enumerate(statuses) if i == 0 or statuses[i - 1] != s]
    assert order[-3:] == ["diverged", "stalled", "lost"], order
    diverged = next(a for s, a in timeline if s == "diverged")
    [run] = diverged["runs"]
    assert [(e["kind"], e["metric"], e["step"], e["value"]) for e in run["events"]] == [("non_finite", "lm loss", NAN_STEP, "NaN")]
    assert run["progress"]["total_steps"] == 1000 and run["progress"]["total_steps_source"] == "config.train_iters"
    last = timeline[-1][1]["runs"][0]
    assert [(e["kind"], e["step"]) for e in last["events"]] == [("non_finite", NAN_STEP), ("stall", LAST_SEEN_STEP), ("lost", LAST_SEEN_STEP)]
    assert last["progress"]["last_step"] == LAST_SEEN_STEP

    # /metrics/training said the same, one status at a time.
    seen = [max(s, key=lambda k: s[k]) for s in scrapes if s]
    assert {"diverged", "stalled", "lost"} <= set(seen)
    assert all(sum(s.values()) == 1 for s in scrapes if s)

    # The page itself passes promtool's linter.
    promtool = shutil.which("promtool")
    assert promtool is not None, "promtool missing: scripts/ensure-promtool.sh (make test runs it)"
    lint = subprocess.run([promtool, "check", "metrics"], input=last_page, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True, timeout=60)
    assert lint.returncode == 0, lint.stdout

    # The webhook heard of each change, with Slack's text field.
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and len(Hook.received) < 3:
        time.sleep(0.1)
    changes = [(c["previous"], c["status"]) for m in Hook.received for c in m["changes"]]
    assert changes[-3:] == [("healthy", "diverged"), ("diverged", "stalled"), ("stalled", "lost")], changes
    assert all(m["text"].startswith("Primus Lens: workload %s (namespace ml-team)" % WORKLOAD) for m in Hook.received)

    # The alert rules on the recorded series (one scrape per minute of rule time), by the real promtool.
    labels = {"workload": WORKLOAD, "run": run["run_id"], "rank": "0", "namespace": "ml-team"}
    label_text = ",".join('%s="%s"' % kv for kv in labels.items())
    series = [{"series": 'lens_run_health{%s,status="%s"}' % (label_text, status),
               "values": " ".join(str(int(s.get(status, 0))) for s in scrapes)} for status in ("diverged", "stalled", "lost")]
    rules = {r["alert"]: r for g in yaml.safe_load(open(RULES, encoding="utf-8"))["groups"] for r in g["rules"]}

    def fired_at(alert: str, status: str) -> Dict[str, Any]:
        values = [int(s.get(status, 0)) for s in scrapes]
        first = values.index(1)
        minutes = int(rules[alert]["for"].rstrip("m"))
        assert all(values[first:first + minutes + 1]), "%s held too briefly in the recording for its for: clause" % status
        expected = {"severity": rules[alert]["labels"]["severity"], "namespace": "ml-team", "workload": WORKLOAD}
        annotations = {k: render(v, expected, "1") for k, v in rules[alert]["annotations"].items()}
        return {"eval_time": "%dm" % (first + minutes), "alertname": alert,
                "exp_alerts": [{"exp_labels": expected, "exp_annotations": annotations}]}

    tests = {"rule_files": [RULES], "evaluation_interval": "1m", "tests": [{
        "interval": "1m", "input_series": series,
        "alert_rule_test": [fired_at("LensTrainingRunDiverged", "diverged"), fired_at("LensTrainingRunStalled", "stalled"),
                            fired_at("LensTrainingRunLost", "lost")]}]}
    path = tmp_path / "recorded.test.yaml"
    path.write_text(yaml.safe_dump(tests, sort_keys=False))
    result = subprocess.run([promtool, "test", "rules", str(path)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            universal_newlines=True, timeout=120)
    assert result.returncode == 0 and "SUCCESS" in result.stdout, result.stdout + "\n" + path.read_text()
