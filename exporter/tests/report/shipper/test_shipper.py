"""The shipper process: sending runs outside the training process, and what happens when the
shipper, or the training process, fails."""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path
from typing import Any, Iterator

import pytest

from primus_lens_wandb_exporter import config
from primus_lens_wandb_exporter.model import Identity, Row, RunInfo
from primus_lens_wandb_exporter.report import Reporter, make_reporter

from report.processes import JOBS, WORKLOAD, reporter_env, run_script
from support.fake_server import FakeServer

RUN = RunInfo("r-ship", "proj", "ship")
IDENTITY = Identity(WORKLOAD, "pu", "pod-0", "ns", None, None, None, None, "host", os.getpid())


def make(server: FakeServer, tmp_path: Path, **env: str) -> Reporter:
    settings = dict(
        PRIMUS_LENS_API_BASE_URL=server.base_url,
        PRIMUS_LENS_WANDB_SPOOL_DIR=str(tmp_path / "spool"),
        PRIMUS_LENS_WANDB_FLUSH_INTERVAL="0.05",
        PRIMUS_LENS_WANDB_EXIT_TIMEOUT="2",
    )
    settings.update(env)
    reporter = make_reporter(config.load(settings), identity_provider=lambda: IDENTITY)
    assert isinstance(reporter, Reporter)
    return reporter


def log(reporter: Reporter, steps: range) -> None:
    for step in steps:
        reporter.submit_row(Row(RUN, step, 1.0, {"loss": float(step), "acc": 0.5}))


def keys(steps: range) -> set:
    return {(WORKLOAD, RUN.id, -1, name, step) for step in steps for name in ("loss", "acc")}


@pytest.fixture(autouse=True)
def fresh_say_once() -> None:
    from primus_lens_wandb_exporter import output

    output._once_keys.clear()  # each test must see its own "said once" line


@pytest.fixture
def reporters() -> Iterator[list]:
    made: list = []
    yield made
    for reporter in made:
        reporter.shutdown(0.5)


def test_sending_happens_in_a_separate_shipper_process(server: FakeServer, tmp_path: Path, reporters: list) -> None:
    reporter = make(server, tmp_path)
    reporters.append(reporter)
    log(reporter, range(20))
    assert reporter.flush(10.0)
    pid = reporter.shipper_pid
    assert pid is not None and pid != os.getpid()
    with open("/proc/%d/cmdline" % pid, "rb") as fh:
        assert b"primus_lens_wandb_exporter.report.shipper" in fh.read()
    assert server.keys() == keys(range(20))
    # The wire still names the training process, not the shipper.
    assert {body["pid"] for body in server.bodies if body.get("metrics")} == {os.getpid()}
    reporter.shutdown()
    assert reporter.stats()["points_sent"] == 40 and reporter.stats()["metrics_sent"] == 20


def test_a_shipper_that_cannot_start_falls_back_to_sending_in_process(
    server: FakeServer, tmp_path: Path, capfd: Any, monkeypatch: Any
) -> None:
    monkeypatch.setattr(sys, "executable", str(tmp_path / "no-such-python"))
    reporter = make(server, tmp_path)
    log(reporter, range(10))
    assert reporter.flush(10.0)
    assert reporter.shipper_pid is None
    reporter.shutdown()
    assert server.keys() == keys(range(10))
    err = capfd.readouterr().err
    assert err.count("Shipper process unavailable (no usable Python executable") == 1
    assert "'points_sent': 20" in err


def test_a_shipper_killed_mid_run_costs_nothing_handed_after_it(server: FakeServer, tmp_path: Path, capfd: Any) -> None:
    reporter = make(server, tmp_path)
    log(reporter, range(10))
    assert reporter.flush(10.0)
    pid = reporter.shipper_pid
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    log(reporter, range(10, 30))
    reporter.shutdown()
    assert server.keys() == keys(range(30))
    assert server.duplicate_acks() == []
    err = capfd.readouterr().err
    assert err.count("Shipper process unavailable (the shipper exited") == 1


def test_a_hung_shipper_cannot_hold_the_exit_past_its_deadline(server: FakeServer, tmp_path: Path, capfd: Any) -> None:
    reporter = make(server, tmp_path, PRIMUS_LENS_WANDB_EXIT_TIMEOUT="1.5")
    log(reporter, range(5))
    assert reporter.flush(10.0)
    pid = reporter.shipper_pid
    assert pid is not None
    os.kill(pid, signal.SIGSTOP)  # alive, reading nothing, answering nothing
    log(reporter, range(5, 10))
    started = time.monotonic()
    reporter.shutdown()
    elapsed = time.monotonic() - started
    assert elapsed < 1.5 + 0.5, elapsed
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # killed and reaped
    assert server.keys() == keys(range(5))  # what was flushed before the hang was delivered
    assert "Shipper did not finish in time" in capfd.readouterr().err


def test_rows_handed_over_survive_a_killed_training_process(server: FakeServer, tmp_path: Path) -> None:
    env = reporter_env(server, tmp_path / "spool", PRIMUS_LENS_WANDB_FLUSH_INTERVAL="30")
    finished = run_script([str(JOBS / "crash_after_handoff.py"), "crashed", "50"], env, 30)
    assert finished.returncode == -signal.SIGKILL, finished.stderr
    assert "HANDED" in finished.stderr
    # The shipper saw end-of-file and delivered everything within the exit timeout (3 s here).
    deadline = time.monotonic() + 10
    expected = {(WORKLOAD, "crashed", -1, name, step) for step in range(50) for name in ("loss", "step_x")}
    while time.monotonic() < deadline and server.keys() != expected:
        time.sleep(0.1)
    assert server.keys() == expected
    assert server.duplicate_acks() == []
