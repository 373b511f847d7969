"""Fork and multiprocessing: each process sends its own data once, and nobody deadlocks."""

from __future__ import annotations

from pathlib import Path

import pytest

from report.processes import JOBS, WORKLOAD, reporter_env, run_script
from support.fake_server import FakeServer

TIMEOUT_S = 40  # every wait inside the script is bounded well below this


def keys_for(run_id: str):  # type: ignore[no-untyped-def]
    return {(WORKLOAD, run_id, -1, name, step) for step in range(10) for name in ("a", "b")}


@pytest.mark.parametrize("scenario", ["osfork", "locked"])
def test_a_forked_child_sends_only_its_own_rows(scenario: str, server: FakeServer, tmp_path: Path) -> None:
    env = reporter_env(server, tmp_path / "spool", PRIMUS_LENS_WANDB_FLUSH_INTERVAL="30")
    finished = run_script([str(JOBS / "fork_scenarios.py"), scenario], env, TIMEOUT_S)
    assert finished.returncode == 0, finished.stderr
    assert "CHILD EXIT 0" in finished.stderr
    assert server.keys() == keys_for("parent") | keys_for("child") | keys_for("parent-after")
    assert server.duplicate_acks() == []
    pids = {body["run_id"]: body["pid"] for body in server.bodies if body.get("metrics")}
    assert pids["child"] != pids["parent"] == pids["parent-after"]
    assert finished.stderr.count("Stopped. Stats:") == 2  # parent and child each report their own
    if scenario == "locked":
        assert "child needs the say-once lock" in finished.stderr


@pytest.mark.parametrize("method", ["mp_fork", "mp_spawn"])
def test_multiprocessing_children_flush_their_rows_without_duplicates(
    method: str, server: FakeServer, tmp_path: Path
) -> None:
    env = reporter_env(server, tmp_path / "spool", PRIMUS_LENS_WANDB_FLUSH_INTERVAL="30")
    finished = run_script([str(JOBS / "fork_scenarios.py"), method], env, TIMEOUT_S)
    assert finished.returncode == 0, finished.stderr
    assert finished.stderr.count("CHILD EXIT 0") == 3
    expected = keys_for("parent") | keys_for("mp-0") | keys_for("mp-1") | keys_for("mp-2")
    assert server.keys() == expected
    assert server.duplicate_acks() == []
