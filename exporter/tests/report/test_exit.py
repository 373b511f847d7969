"""Ways a job ends: SIGTERM (opt-in) and a server that accepts but never answers."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from report.processes import JOBS, WORKLOAD, reporter_env, run_sender
from support.fake_server import FakeServer

SIG_KEYS = {(WORKLOAD, "sig", -1, "x", step) for step in range(20)}


def run_until_ready_then_term(env, previous: bool) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    proc = subprocess.Popen(
        [sys.executable, str(JOBS / "wait_for_sigterm.py"), "1" if previous else "0"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stderr is not None
        deadline = time.monotonic() + 20
        lines = []
        while time.monotonic() < deadline:
            line = proc.stderr.readline()
            lines.append(line)
            if line.startswith("READY") or not line:
                break
        proc.send_signal(signal.SIGTERM)
        rest = proc.communicate(timeout=20)[1]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    return proc.returncode, "".join(lines) + rest


def test_sigterm_flushes_and_exits_143_when_opted_in(server: FakeServer, tmp_path: Path) -> None:
    env = reporter_env(
        server, tmp_path / "spool", PRIMUS_LENS_WANDB_FLUSH_INTERVAL="30", PRIMUS_LENS_WANDB_HANDLE_SIGTERM="true"
    )
    code, stderr = run_until_ready_then_term(env, previous=False)
    assert code == 128 + signal.SIGTERM, stderr
    assert "BEFORE SHUTDOWN" in stderr and "Stopped. Stats:" in stderr
    assert server.keys() == SIG_KEYS


def test_sigterm_chains_to_the_previous_python_handler(server: FakeServer, tmp_path: Path) -> None:
    env = reporter_env(
        server, tmp_path / "spool", PRIMUS_LENS_WANDB_FLUSH_INTERVAL="30", PRIMUS_LENS_WANDB_HANDLE_SIGTERM="true"
    )
    code, stderr = run_until_ready_then_term(env, previous=True)
    assert code == 7 and "PREVIOUS HANDLER 15" in stderr, stderr
    assert server.keys() == SIG_KEYS  # flushed before the previous handler ran


def test_without_opt_in_sigterm_keeps_its_default_action(server: FakeServer, tmp_path: Path) -> None:
    env = reporter_env(server, tmp_path / "spool", PRIMUS_LENS_WANDB_FLUSH_INTERVAL="30")
    code, stderr = run_until_ready_then_term(env, previous=False)
    assert code == -signal.SIGTERM, stderr


@pytest.mark.parametrize("exit_timeout_s", [0.0, 2.0])
def test_exit_is_bounded_when_the_server_accepts_and_never_answers(
    exit_timeout_s: float, server: FakeServer, tmp_path: Path
) -> None:
    server.set_mode("hang")
    env = reporter_env(
        server,
        tmp_path / "spool",
        PRIMUS_LENS_WANDB_TIMEOUT="30",  # one request alone could take 30 s
        PRIMUS_LENS_WANDB_RETRY_WINDOW="600",
        PRIMUS_LENS_WANDB_EXIT_TIMEOUT=str(exit_timeout_s),
    )
    finished = run_sender(env, "hang", timeout_s=40)
    assert finished.returncode == 0, finished.stderr
    assert finished.added_s <= exit_timeout_s + 1.5, finished.added_s
    stats = finished.stats()
    assert stats["spooled"] == 181 and stats["dropped"] == 0, stats
