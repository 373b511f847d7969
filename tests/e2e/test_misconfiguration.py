"""The two mistakes every new installation makes, against the real server and a real job.

A token the server requires but the job lacks (401), and a base URL without `/api/v1` (404): the
server is there, the data is fine, only the job's settings are wrong. Nothing may be lost: the
job keeps its data in the spool and says once what to change; once the setting is fixed, the
next job on the node delivers it. And a job whose server is not there says why.
"""
from __future__ import annotations

import os
import re
from typing import Any, Dict

from harness import Server, clean_env, free_port, run_python

JOB = """
import wandb
run = wandb.init(project="p", name="{name}")
for step in range(5):
    wandb.log({{"loss": 1.0 / (step + 1)}})
wandb.finish()
"""


def job_env(scratch: str, base_url: str, workload: str, spool: str, **extra: str) -> Dict[str, str]:
    env = {"WANDB_MODE": "offline", "WANDB_SILENT": "true", "WORKLOAD_UID": workload, "POD_NAME": "pod-0",
           "PRIMUS_LENS_API_BASE_URL": base_url, "PRIMUS_LENS_WANDB_SPOOL_DIR": spool,
           "PRIMUS_LENS_WANDB_EXIT_TIMEOUT": "5", "PRIMUS_LENS_WANDB_RETRY_WINDOW": "1"}
    env.update(extra)
    return clean_env(env, scratch)


def run_job(tmp_path: Any, name: str, env: Dict[str, str]) -> str:
    script = tmp_path / (name + ".py")
    script.write_text(JOB.format(name=name))
    done = run_python(str(script), env, str(tmp_path))
    assert done.returncode == 0, done.stderr
    return done.stderr


def losses(server: Server, workload: str, token: str = "") -> int:
    import json
    import urllib.parse
    import urllib.request

    url = "%s/workloads/%s/metrics/series?%s" % (server.api, workload, urllib.parse.urlencode({"name": "loss"}))
    request = urllib.request.Request(url, headers={"Authorization": "Bearer " + token} if token else {})
    with urllib.request.urlopen(request, timeout=10) as response:
        body = json.loads(response.read().decode())
    data = body.get("data", body)
    return sum(len(series["points"]) for series in data["series"])


def assert_failed_delivery_is_obvious(stderr: str) -> None:
    stats = [line for line in stderr.splitlines() if "Stopped. Stats:" in line]
    assert len(stats) == 1 and "'errors': 0," not in stats[0] and "'pending': 5" in stats[0], stderr
    assert "Delivery FAILED: 5 points wait in the spool" in stderr


def test_a_missing_token_keeps_the_data_and_names_the_variable(tmp_path: Any) -> None:
    (tmp_path / "srv").mkdir()
    server = Server(str(tmp_path / "srv"), {"LENS_API_TOKEN": "s3cret"}).start()
    try:
        spool = str(tmp_path / "spool")
        stderr = run_job(tmp_path, "no-token", job_env(str(tmp_path), server.api, "w-401", spool))
        assert "the server requires a token (HTTP 401 at %s/wandb/" % server.api in stderr
        assert "set PRIMUS_LENS_API_TOKEN" in stderr and "LENS_API_TOKEN is" not in stderr
        assert stderr.count("Not delivered: the server requires a token") == 1  # said once, not per batch
        assert_failed_delivery_is_obvious(stderr)
        assert os.listdir(spool), "nothing kept in the spool"

        wrong = run_job(tmp_path, "wrong-token", job_env(str(tmp_path), server.api, "w-401", spool,
                                                         PRIMUS_LENS_API_TOKEN="nope"))
        assert "the server rejected PRIMUS_LENS_API_TOKEN (HTTP 401" in wrong

        fixed = run_job(tmp_path, "fixed", job_env(str(tmp_path), server.api, "w-401", spool,
                                                   PRIMUS_LENS_API_TOKEN="s3cret"))
        assert "Delivery FAILED" not in fixed and re.search(r"'replayed': 10\b", fixed), fixed
        assert losses(server, "w-401", "s3cret") == 15  # the two failed jobs' 10 points and its own 5
    finally:
        server.stop()


def test_a_base_url_without_api_v1_keeps_the_data_and_says_so(tmp_path: Any) -> None:
    (tmp_path / "srv").mkdir()
    server = Server(str(tmp_path / "srv")).start()
    try:
        spool = str(tmp_path / "spool")
        stderr = run_job(tmp_path, "no-prefix", job_env(str(tmp_path), server.base, "w-404", spool))
        assert ("HTTP 404 Not Found at %s/wandb/" % server.base) in stderr, stderr
        assert "PRIMUS_LENS_API_BASE_URL probably lacks /api/v1" in stderr
        assert_failed_delivery_is_obvious(stderr)

        fixed = run_job(tmp_path, "fixed", job_env(str(tmp_path), server.api, "w-404", spool))
        assert re.search(r"'replayed': 5\b", fixed), fixed
        assert losses(server, "w-404") == 10
    finally:
        server.stop()


def test_an_unreachable_server_is_explained_in_the_job_output(tmp_path: Any) -> None:
    port = free_port()  # nothing listens there
    stderr = run_job(tmp_path, "down", job_env(str(tmp_path), "http://127.0.0.1:%d/api/v1" % port, "w-down",
                                               str(tmp_path / "spool")))
    assert "API unreachable (connection refused: nothing listens at 127.0.0.1:%d)" % port in stderr, stderr
    assert_failed_delivery_is_obvious(stderr)
