"""Real wandb (offline, in subprocesses, through the installed .pth) against a capture server.

For every path and step rule, the rows our server received must equal the rows wandb-core
stored in the run's own transaction log, with the same `_step`s, and nothing duplicated.
"""

from __future__ import annotations

import json
import math
from typing import Any, Dict, List, Tuple

import pytest

from . import scripts
from .harness import REQUIRED_VENV, available_venvs, base_env, run_script, wandb_history
from support.fake_server import FakeServer

ALL = available_venvs()
CURRENT = [v for v in ALL if v.startswith("w031")]
CREATE_NEW_OK = [v for v in ALL if not v.startswith("w016")]


def norm(rows: List[Tuple[int, Dict[str, float]]]) -> List[Tuple[int, Dict[str, Any]]]:
    return [(s, {k: ("nan" if isinstance(v, float) and math.isnan(v) else v) for k, v in r.items()}) for s, r in rows]


def run_ids(stdout: str) -> Dict[str, str]:
    ids: Dict[str, str] = {}
    for line in stdout.splitlines():
        if line.startswith("{"):
            ids.update(json.loads(line))
    return ids


def run_case(tmp_path: Any, venv: str, code: str, **env: str) -> Tuple[FakeServer, Any, Dict[str, str]]:
    with FakeServer() as server:
        done = run_script(venv, code, base_env(server.base_url, str(tmp_path), **env))
    assert done.returncode == 0, done.stderr[-3000:]
    return server, done, run_ids(done.stdout)


@pytest.mark.parametrize("venv", CURRENT)
def test_quickstart_example_output_and_rows(tmp_path: Any, venv: str) -> None:
    server, done, ids = run_case(
        tmp_path,
        venv,
        scripts.QUICKSTART,
        PRIMUS_CONFIG="/config/primus.yaml",
        PRIMUS_VERSION="1.2.3",
        WORKLOAD_UID="my-workload-123",
    )
    lines = [line for line in done.stderr.splitlines() if line.startswith(("[Primus Lens", "  "))]
    expected_order = [
        "[Primus Lens WandB] Installing WandB hook...",
        "[Primus Lens WandB] API reporting enabled",
        "[Primus Lens API Reporter] Started (API: %s)" % server.base_url,
        "[Primus Lens WandB] Intercepted wandb.init()",
        "[Primus Lens WandB] WandB run initialized: my-run",
        "[Primus Lens WandB] Framework detection data queued for reporting",
        "  Detected frameworks: ['primus']",
        "  Confidence: high",
        "[Primus Lens WandB] Cleaning up...",
    ]
    assert lines[: len(expected_order)] == expected_order, done.stderr
    stats = [line for line in lines if "Stopped. Stats:" in line]
    assert len(stats) == 1 and "'detection_sent': 1, 'metrics_sent': 100, 'errors': 0" in stats[0]
    assert server.rows(ids["run"]) == [(s, {"loss": 0.5, "accuracy": 0.9}) for s in range(100)]
    assert server.rows(ids["run"]) == wandb_history(venv, str(tmp_path))[ids["run"]]
    detection = server.of("/wandb/detection")
    assert len(detection) == 1 and detection[0]["workload_uid"] == "my-workload-123"
    assert detection[0]["hints"]["possible_frameworks"] == ["primus"]
    assert [(s["run_id"], s["state"], s["exit_code"]) for s in server.run_states()] == [(ids["run"], "finished", 0)]


@pytest.mark.parametrize("venv", ALL)
def test_log_paths_threads_with_block_and_repeated_init(tmp_path: Any, venv: str) -> None:
    server, _, ids = run_case(tmp_path, venv, scripts.PATHS)
    stored = wandb_history(venv, str(tmp_path))
    assert (
        server.rows(ids["run"])
        == stored[ids["run"]]
        == [(0, {"a": 1}), (1, {"b": 2}), (2, {"t": 0}), (3, {"t": 1}), (4, {"t": 2}), (5, {"t": 3}), (6, {"t": 4})]
    )
    assert server.rows(ids["with"]) == stored[ids["with"]] == [(0, {"w": 1}), (1, {"w": 2})]
    assert len(server.of("/wandb/detection")) == 2  # the repeated init did not report again
    assert sorted((s["run_id"], s["exit_code"]) for s in server.run_states()) == sorted(
        [(ids["run"], 0), (ids["with"], 0)]
    )


@pytest.mark.parametrize("venv", CREATE_NEW_OK)
def test_create_new_two_live_runs(tmp_path: Any, venv: str) -> None:
    server, _, ids = run_case(tmp_path, venv, scripts.CREATE_NEW)
    stored = wandb_history(venv, str(tmp_path))
    assert server.rows(ids["r1"]) == stored[ids["r1"]] == [(0, {"a": 1}), (1, {"a": 2})]
    assert server.rows(ids["r2"]) == stored[ids["r2"]] == [(0, {"b": 10}), (1, {"b": 20})]


@pytest.mark.parametrize("venv", ALL)
def test_step_rules_values_nan_and_nesting_match_wandb(tmp_path: Any, venv: str) -> None:
    server, _, ids = run_case(tmp_path, venv, scripts.STEPS)
    got = norm(server.rows(ids["run"]))
    assert got == [
        (0, {"a": 1}),
        (1, {"b": 2, "c": 3}),
        (5, {"d": 4, "e": 5, "g": "nan", "h": math.inf, "i": -math.inf}),
        (6, {"nested.x": 1.5, "nested.deep.y": 2, "slash/key": 3}),
        (7, {"np32": 0.25, "np64": 7, "npbool": 1, "arr0": 4.5}),
        (8, {"only": 1}),
        (20, {"k": 1}),
        (30, {"last": 9}),
    ]
    stored = norm(wandb_history(venv, str(tmp_path))[ids["run"]])
    assert [s for s, _ in got] == [s for s, _ in stored]
    for (step, ours), (_, theirs) in zip(got, stored):
        numeric = {k: v for k, v in theirs.items() if "." not in k and k not in ("text", "lst", "nested")}
        assert {k: v for k, v in ours.items() if "." not in k} == numeric, step


@pytest.mark.parametrize("venv", ALL)
def test_step_sync_adds_what_wandb_adds(tmp_path: Any, venv: str) -> None:
    """define_metric(..., step_metric=...) makes wandb store the step metric in rows that lack
    it; the server must hold the same rows, no more and no fewer points."""
    legacy = venv.startswith("w016")  # history rules in wandb's Python service
    server, _, ids = run_case(tmp_path, venv, scripts.STEP_SYNC_LEGACY if legacy else scripts.STEP_SYNC)
    got = norm(server.rows(ids["run"]))
    stored = norm(wandb_history(venv, str(tmp_path))[ids["run"]])
    if legacy:  # 0.16's run file keeps a nested dict as one JSON value, which the reader skips
        got = [(step, {k: v for k, v in row.items() if "." not in k}) for step, row in got]
    pairs = [(step, row) for step, row in stored if row], [(step, row) for step, row in got if row]
    assert pairs[0] == pairs[1]  # {}: a row of strings only, which carries no point
    first = (0, {"acc": 0.1}) if legacy else (0, {"acc": 0.1, "epoch": 0})
    assert got[0] == first and (3, {"acc": 0.2, "epoch": 1}) in got


@pytest.mark.parametrize("venv", [REQUIRED_VENV])
def test_fork_spawn_and_multiprocessing_children(tmp_path: Any, venv: str) -> None:
    server, _, ids = run_case(tmp_path, venv, scripts.FORK_SPAWN_MP)
    stored = wandb_history(venv, str(tmp_path))
    assert server.rows(ids["parent"]) == stored[ids["parent"]] == [(0, {"p": 1}), (3, {"q": 1, "p": 2})]
    for tag in ("forked", "spawn", "fork", "pool0", "pool1"):
        assert server.rows(ids[tag]) == stored[ids[tag]] == [(i, {tag: i}) for i in range(3)], tag
    points = server.points()
    assert len(points) == len({(r, n, s) for r, _, n, s, _ in points}), "a point was sent twice"


@pytest.mark.parametrize("venv", ALL)
def test_disabled_mode_stays_passive(tmp_path: Any, venv: str) -> None:
    server, done, _ = run_case(tmp_path, venv, scripts.DISABLED)
    assert server.of("/wandb/metrics") == [] and server.of("/wandb/detection") == []
    assert "Internal error" not in done.stderr


@pytest.mark.parametrize("venv", CURRENT)
def test_exit_without_finish_sends_pending_row_and_closes_run(tmp_path: Any, venv: str) -> None:
    server, _, ids = run_case(tmp_path, venv, scripts.NO_FINISH)
    assert server.rows(ids["run"]) == [(0, {"a": 1}), (4, {"b": 2})]
    assert [(s["run_id"], s["state"]) for s in server.run_states()] == [(ids["run"], "finished")]


@pytest.mark.parametrize("venv", [REQUIRED_VENV])
def test_idle_forked_workers_send_nothing_and_stay_quiet(tmp_path: Any, venv: str) -> None:
    server, done, ids = run_case(tmp_path, venv, scripts.IDLE_CHILDREN)
    assert server.rows(ids["run"]) == [(0, {"a": 1}), (1, {"a": 2})]
    assert done.stderr.count("[Primus Lens WandB] Cleaning up...") == 1, done.stderr
    assert done.stderr.count("[Primus Lens API Reporter] Stopped. Stats:") == 1, done.stderr
    assert {b["pid"] for b in server.of("/wandb/metrics")} == {server.of("/wandb/detection")[0]["pid"]}


@pytest.mark.parametrize("venv", [REQUIRED_VENV])
def test_spawned_child_logging_to_the_parents_run(tmp_path: Any, venv: str) -> None:
    server, _, ids = run_case(tmp_path, venv, scripts.SPAWN_ATTACH)
    assert (
        server.rows(ids["run"])
        == wandb_history(venv, str(tmp_path))[ids["run"]]
        == [(0, {"a": 1}), (10, {"c": 1}), (20, {"a": 2})]
    )
    assert len({b["pid"] for b in server.of("/wandb/metrics") if b["metrics"]}) == 2
    assert [s["run_id"] for s in server.run_states()] == [ids["run"]]  # the child never ends the run
