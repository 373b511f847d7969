"""A run's `started_at` is when `wandb.init` ran, not when the exporter got round to building its
detection report (which a short run may only do at finish, after `finished_at`)."""
from __future__ import annotations

import json
import time
from typing import Any

from harness import Server, clean_env, run_python

JOB = """
import json, time, wandb
before = time.time()
run = wandb.init(project="p", name="short")
after = time.time()
for step in range(3):
    wandb.log({"loss": 1.0})
time.sleep(1.5)
wandb.finish()
print(json.dumps({"before": before, "after": after}))
"""


def test_started_at_is_the_runs_start_and_precedes_finished_at(tmp_path: Any, server: Server) -> None:
    script = tmp_path / "job.py"
    script.write_text(JOB)
    env = clean_env({"WANDB_MODE": "offline", "WANDB_SILENT": "true", "WORKLOAD_UID": "w-times", "POD_NAME": "pod-0",
                     "PRIMUS_LENS_API_BASE_URL": server.api,
                     # The worker builds the detection body at its next flush: make that the finish.
                     "PRIMUS_LENS_WANDB_FLUSH_INTERVAL": "30"}, str(tmp_path))
    done = run_python(str(script), env, str(tmp_path))
    assert done.returncode == 0, done.stderr
    times = json.loads(done.stdout.strip().splitlines()[-1])
    status, body = server.get("/workloads/w-times/runs")
    runs = body["runs"]
    assert status == 200 and len(runs) == 1, body
    run = runs[0]
    assert times["before"] - 1.0 <= run["started_at"] <= times["after"], (run, times)
    assert run["finished_at"] is not None and run["started_at"] < run["finished_at"]
    assert run["finished_at"] >= times["after"] + 1.4
    assert run["finished_at"] <= time.time()
