"""The reporter: the hook's interface, threads, local JSONL, stats and the Stopped line.

Every test runs twice: sending in the shipper process (the default) and on a thread of this
process (PRIMUS_LENS_WANDB_SENDER=thread, also the fallback when the shipper cannot run)."""

from __future__ import annotations

import json
import math
import threading
import time
from pathlib import Path
from typing import Any, Dict, List

import pytest

from primus_lens_wandb_exporter import config
from primus_lens_wandb_exporter.model import Identity, Row, RunInfo
from primus_lens_wandb_exporter.report import AnyReporter, Reporter, Sender, make_reporter

from report.processes import SRC
from support.fake_server import FakeServer

RUN = RunInfo("r1", "proj", "name-1")
WAIT_S = 5.0
MODE = {"sender": "process"}


@pytest.fixture(autouse=True, params=["process", "thread"])
def sender_mode(request: Any) -> str:
    from primus_lens_wandb_exporter import output

    output._once_keys.clear()  # "said once" is per process: each test must see its own lines
    MODE["sender"] = request.param
    return str(request.param)


def make(server: FakeServer, tmp_path: Path, **env: str) -> AnyReporter:
    settings = dict(
        PRIMUS_LENS_WANDB_SENDER=MODE["sender"],
        PRIMUS_LENS_API_BASE_URL=server.base_url,
        PRIMUS_LENS_WANDB_SPOOL_DIR=str(tmp_path / "spool"),
        PRIMUS_LENS_WANDB_FLUSH_INTERVAL="0.05",
        PRIMUS_LENS_WANDB_EXIT_TIMEOUT="2",
    )
    settings.update(env)
    identity = Identity("w", "pu", "pod-0", "ns", 2, 0, 4, 1, "host", 7)
    cfg = config.load(settings)
    reporter = make_reporter(cfg, identity_provider=lambda: identity)
    # Without the API there is nothing to ship: local JSONL is written in-process either way.
    assert isinstance(reporter, Reporter if MODE["sender"] == "process" and cfg.api_reporting else Sender)
    return reporter


class ThreadSpy:
    """A value whose float() records which thread converted it."""

    def __init__(self, value: float, seen: List[str]) -> None:
        self.value, self.seen = value, seen

    def __float__(self) -> float:
        self.seen.append(threading.current_thread().name)
        return self.value


def test_values_and_detection_are_built_on_the_worker_thread(server: FakeServer, tmp_path: Path) -> None:
    reporter = make(server, tmp_path)
    seen: List[str] = []
    reporter.submit_detection(
        lambda: {"workload_uid": "w", "pod_name": "p", "built_on": threading.current_thread().name}
    )
    reporter.submit_row(Row(RUN, 0, 1.0, dict([("x", ThreadSpy(1.5, seen))])))
    assert reporter.flush(WAIT_S)
    reporter.shutdown()
    assert seen == ["PrimusLensReporter"]
    assert server.detections[0]["built_on"] == "PrimusLensReporter"
    assert server.stored[("w", "r1", 2, "x", 0)] == 1.5


def test_the_stopped_line_has_the_original_keys_then_ours(server: FakeServer, tmp_path: Path, capfd: Any) -> None:
    reporter = make(server, tmp_path)
    reporter.submit_detection(lambda: {"workload_uid": "w", "pod_name": "p"})
    for step in range(100):
        reporter.submit_row(Row(RUN, step, 1.0, dict([("loss", 0.5), ("accuracy", 0.9)])))
    reporter.run_finished(RUN, 0)
    reporter.shutdown()
    reporter.shutdown()  # idempotent: one line
    lines = [line for line in capfd.readouterr().err.splitlines() if "Stopped" in line]
    assert lines == [
        "[Primus Lens API Reporter] Stopped. Stats: {'detection_sent': 1, 'metrics_sent': 100, 'errors': 0, "
        "'points_sent': 200, 'retries': 0, 'dropped': 0, 'spooled': 0, 'replayed': 0, 'pending': 0}"
    ]
    (state,) = server.run_states()
    assert state == {
        "state": "finished",
        "exit_code": 0,
        "finished_at": pytest.approx(time.time(), abs=60),
        "run_id": "r1",
    }


def test_submit_never_raises_into_the_training_loop(server: FakeServer, tmp_path: Path) -> None:
    reporter = make(server, tmp_path)
    reporter.submit_row(None)  # type: ignore[arg-type]
    reporter.submit_detection(lambda: 1 / 0)  # type: ignore[arg-type,return-value]
    reporter.submit_row(Row(RUN, 0, 1.0, dict([("x", 1.0)])))
    assert reporter.flush(WAIT_S)
    reporter.shutdown()
    assert reporter.stats()["errors"] == 2 and reporter.stats()["metrics_sent"] == 1


def test_rows_after_shutdown_are_counted_as_dropped(server: FakeServer, tmp_path: Path) -> None:
    reporter = make(server, tmp_path)
    reporter.shutdown()
    reporter.submit_row(Row(RUN, 0, 1.0, dict([("x", 1.0), ("y", 2.0)])))
    assert reporter.stats()["dropped"] == 2


def test_a_refused_batch_is_counted_and_said_once(server: FakeServer, tmp_path: Path, capfd: Any) -> None:
    server.set_mode("status", status=422)
    reporter = make(server, tmp_path, PRIMUS_LENS_WANDB_BATCH_SIZE="1")
    for step in range(3):
        reporter.submit_row(Row(RUN, step, 1.0, dict([("x", 1.0)])))
    reporter.shutdown()
    err = capfd.readouterr().err
    assert err.count("Server refused a metrics batch: HTTP 422") == 1
    stats = reporter.stats()
    assert stats["errors"] == 3 and stats["dropped"] == 3 and stats["retries"] == 0


def test_save_local_writes_strict_jsonl_per_node_and_rank_without_the_api(server: FakeServer, tmp_path: Path) -> None:
    reporter = make(
        server,
        tmp_path,
        PRIMUS_LENS_WANDB_API_REPORTING="false",
        PRIMUS_LENS_WANDB_SAVE_LOCAL="true",
        PRIMUS_LENS_WANDB_OUTPUT_PATH=str(tmp_path / "out"),
    )
    reporter.submit_row(Row(RUN, 0, 1.0, dict([("loss", math.nan), ("acc", 0.5)])))
    reporter.submit_row(Row(RUN, 1, 2.0, dict([("loss", 0.25)])))
    reporter.shutdown()
    path = tmp_path / "out" / "node_1" / "rank_0" / "wandb_metrics.jsonl"
    lines: List[Dict[str, Any]] = [json.loads(line) for line in path.read_text().splitlines()]
    assert [(line["step"], line["data"]) for line in lines] == [(0, {"loss": "NaN", "acc": 0.5}), (1, {"loss": 0.25})]
    assert lines[0]["run_id"] == "r1"
    assert server.requests == 0


def test_an_unreachable_server_at_exit_spools_within_the_deadline(tmp_path: Path) -> None:
    dead = FakeServer()
    dead.down()
    reporter = make(dead, tmp_path, PRIMUS_LENS_WANDB_EXIT_TIMEOUT="0.5")
    reporter.submit_row(Row(RUN, 0, 1.0, dict([("x", 1.0)])))
    reporter.shutdown()
    assert reporter.stats()["spooled"] == 1
    assert len(list((tmp_path / "spool").glob("*.metrics.1p.1r.json.gz"))) == 1


def test_these_tests_exercise_the_source_tree_not_an_installed_copy() -> None:
    import primus_lens_wandb_exporter.report as package

    assert str(package.__file__).startswith(str(SRC))


def test_numpy_snapshots_arrive_as_numbers_in_either_sender(server: FakeServer, tmp_path: Path) -> None:
    """Plain rows are marshalled on the training thread; marshal would take a numpy array as raw
    bytes, so only exact Python numbers may take that path."""
    import numpy as np

    reporter = make(server, tmp_path)
    reporter.submit_row(Row(RUN, 0, 1.0, {"f32": np.float32(0.25), "arr": np.array(1.5), "i64": np.int64(7), "x": 1.0}))
    reporter.submit_row(Row(RUN, 1, 2.0, {"x": 2.0, "flag": True}))
    reporter.shutdown()
    values = {(p["step"], p["name"]): p["value"] for body in server.bodies for p in body.get("metrics", [])}
    assert values == {
        (0, "f32"): 0.25,
        (0, "arr"): 1.5,
        (0, "i64"): 7.0,
        (0, "x"): 1.0,
        (1, "x"): 2.0,
        (1, "flag"): 1.0,
    }


def wait_for(predicate: Any, timeout_s: float = WAIT_S) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and not predicate():
        time.sleep(0.02)
    return bool(predicate())


def test_a_few_rows_leave_within_the_flush_interval_without_a_flush(server: FakeServer, tmp_path: Path) -> None:
    reporter = make(server, tmp_path)  # flush interval 0.05 s; the rows fill no block or batch
    for step in range(3):
        values = {"loss": step * 0.5}
        reporter.submit_plain(RUN, step, 1.0, values)
        values["loss"] = -1.0  # the caller owns its dict again once submit_plain returned
    assert wait_for(lambda: len(server.keys()) == 3)
    assert {key[4]: server.stored[key] for key in server.keys()} == {0: 0.0, 1: 0.5, 2: 1.0}
    reporter.shutdown()


def test_interleaved_runs_and_snapshot_rows_arrive_whole_and_each_run_ends_after_its_rows(
    server: FakeServer, tmp_path: Path
) -> None:
    other = RunInfo("r2", "proj", "name-2")
    reporter = make(server, tmp_path)
    seen: List[str] = []
    for step in range(30):
        reporter.submit_plain(RUN, step, 1.0, {"a": float(step), "b": 1.0})
        if step % 7 == 3:  # a tensor-like snapshot between plain rows of the same run
            reporter.submit_row(Row(other, step, 1.0, {"t": ThreadSpy(float(step), seen)}))
        else:
            reporter.submit_plain(other, step, 1.0, {"a": -float(step)})
    reporter.run_finished(RUN, 0)
    reporter.run_finished(other, 1)
    reporter.shutdown()
    expected = {("w", "r1", 2, name, step) for step in range(30) for name in ("a", "b")}
    expected |= {("w", "r2", 2, "t" if step % 7 == 3 else "a", step) for step in range(30)}
    assert server.keys() == expected
    assert server.duplicate_acks() == []
    assert server.stored[("w", "r2", 2, "t", 10)] == 10.0 and server.stored[("w", "r2", 2, "a", 11)] == -11.0
    for run_id in ("r1", "r2"):
        order = [
            ("end" if body.get("run_state") else "rows")
            for body in server.bodies
            if body.get("run_id") == run_id and (body.get("run_state") or body.get("metrics"))
        ]
        assert order[-1] == "end" and order.count("end") == 1, (run_id, order)


def test_a_full_queue_drops_the_oldest_rows_and_keeps_the_newest(server: FakeServer, tmp_path: Path) -> None:
    reporter = make(server, tmp_path, PRIMUS_LENS_WANDB_QUEUE_SIZE="40")
    gate = threading.Event()
    export = reporter._worker._export

    def held(chunk: Any) -> None:  # a hand-off (or send) that cannot keep up
        gate.wait(WAIT_S)
        export(chunk)

    reporter._worker._export = held
    for step in range(100):
        reporter.submit_plain(RUN, step, 1.0, {"x": float(step)})
    gate.set()
    reporter.shutdown()
    delivered = {key[4] for key in server.keys()}
    stats = reporter.stats()
    assert set(range(70, 100)) <= delivered  # the newest rows, which an operator looks at
    assert stats["dropped"] > 0 and stats["dropped"] + len(delivered) == 100
