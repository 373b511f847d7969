"""Real training libraries, each job in its own process, started the way an unmodified job starts.

These are the proofs that capture works for real jobs. A job script here never imports wandb or
the exporter before the library does, and one process never runs two libraries: either would
hide exactly the failures these tests exist to catch (transformers and Accelerate look wandb up
with `importlib.util.find_spec` before they import it). Every point the server received is
compared with the history wandb itself stored for the run, read back from its offline run file.
"""

from __future__ import annotations

import json
import os
import subprocess
from typing import Any, Dict, List, Tuple

import pytest

from .harness import base_env, require_venv, wandb_history
from .test_real_wandb import norm
from support.fake_server import FakeServer

VENV = "frameworks"
JOBS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "jobs")
JOB_TIMEOUT_S = 300


def start_job(tmp_path: Any, server: FakeServer, argv: List[str], **env: str) -> subprocess.CompletedProcess:
    environment = base_env(server.base_url, str(tmp_path), WANDB_PROJECT="p", **env)
    done = subprocess.run(
        argv, env=environment, cwd=str(tmp_path), capture_output=True, text=True, timeout=JOB_TIMEOUT_S
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    return done


def printed(stdout: str) -> List[Dict[str, Any]]:
    """What the job script printed about itself (its `JOB {...}` lines; libraries print too)."""
    return [json.loads(line[4:]) for line in stdout.splitlines() if line.startswith("JOB {")]


@pytest.mark.parametrize("job,min_points", [("hf_trainer", 100), ("accelerate_tracker", 100), ("lightning_logger", 80)])
def test_real_library_job_matches_wandb_point_for_point(tmp_path: Any, job: str, min_points: int) -> None:
    python = require_venv(VENV)
    with FakeServer() as server:
        done = start_job(tmp_path, server, [python, os.path.join(JOBS, job + ".py"), str(tmp_path / "out")])
    run_id = printed(done.stdout)[-1]["run"]
    stored = wandb_history(VENV, str(tmp_path))[run_id]
    received = server.rows(run_id)
    points = sum(len(row) for _, row in stored)
    assert points >= min_points, "the job logged less than it should: %d points" % points
    assert norm(received) == norm(stored)
    assert "Started (API:" in done.stderr and "'errors': 0" in done.stderr
    states = server.run_states()
    assert [s["state"] for s in states if s["run_id"] == run_id] == ["finished"]


def _by_rank(server: FakeServer) -> Dict[int, Dict[str, List[Tuple[int, str, float]]]]:
    """rank -> run id -> its points (step, name, value), from the metric bodies as sent."""
    found: Dict[int, Dict[str, List[Tuple[int, str, float]]]] = {}
    for body in server.of("/wandb/metrics"):
        runs = found.setdefault(body["rank"], {})
        runs.setdefault(body["run_id"], []).extend((m["step"], m["name"], m["value"]) for m in body["metrics"])
    return {rank: {run: points for run, points in runs.items() if points} for rank, runs in found.items()}


@pytest.mark.parametrize("logging_ranks", ["every", "rank0"])
@pytest.mark.parametrize("ranks_setting", ["default", "0"])
def test_torchrun_ranks_arrive_with_their_rank(tmp_path: Any, logging_ranks: str, ranks_setting: str) -> None:
    """`torchrun` starts a fresh interpreter per rank; the `.pth` must take effect in each."""
    torchrun = os.path.join(os.path.dirname(require_venv(VENV)), "torchrun")
    env = {} if ranks_setting == "default" else {"PRIMUS_LENS_WANDB_RANKS": ranks_setting}
    with FakeServer() as server:
        done = start_job(
            tmp_path,
            server,
            [torchrun, "--standalone", "--nproc_per_node=2", os.path.join(JOBS, "torchrun_ranks.py"), logging_ranks],
            **env,
        )
    runs = {line["rank"]: line["run"] for line in printed(done.stdout)}
    assert sorted(runs) == ([0, 1] if logging_ranks == "every" else [0])
    expected_ranks = sorted(runs) if ranks_setting == "default" else [0]
    stored = wandb_history(VENV, str(tmp_path))
    received = _by_rank(server)
    assert sorted(received) == expected_ranks, received.keys()
    for rank in expected_ranks:
        assert list(received[rank]) == [runs[rank]]
        rows = server.rows(runs[rank])
        assert norm(rows) == norm(stored[runs[rank]]) and len(rows) == 10


def test_accelerate_launch_two_processes(tmp_path: Any) -> None:
    """`accelerate launch` starts its own interpreters too; Accelerate's trackers log from the
    main process only. (`--multi_gpu` is its flag for several processes; `--cpu` would mean one,
    and the job's `Accelerator(cpu=True)` runs them on gloo.)"""
    launcher = os.path.join(os.path.dirname(require_venv(VENV)), "accelerate")
    with FakeServer() as server:
        done = start_job(
            tmp_path,
            server,
            [
                launcher,
                "launch",
                "--multi_gpu",
                "--num_processes",
                "2",
                "--num_machines",
                "1",
                "--mixed_precision",
                "no",
                "--dynamo_backend",
                "no",
                os.path.join(JOBS, "accelerate_tracker.py"),
            ],
        )
    run_id = printed(done.stdout)[-1]["run"]
    assert norm(server.rows(run_id)) == norm(wandb_history(VENV, str(tmp_path))[run_id])
    assert sorted(_by_rank(server)) == [0] and len(server.rows(run_id)) == 40
