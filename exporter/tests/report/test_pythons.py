"""The reporter on every supported Python found on this machine (3.8 is required), standard
library only: a faulty server healed by retries, and rows first submitted inside atexit."""

from __future__ import annotations

import glob
import os
import subprocess
from pathlib import Path
from typing import List

import pytest

from report.processes import JOBS, WORKLOAD, expected_keys, reporter_env
from support.fake_server import FakeServer

PYENV = os.path.expanduser("~/.pyenv/versions")


def interpreters() -> List[str]:
    found = []
    for minor in range(8, 14):
        candidates = sorted(glob.glob(os.path.join(PYENV, "3.%d.*" % minor, "bin", "python")))
        if candidates:
            found.append(candidates[-1])
    return found


PYTHONS = interpreters()


def test_python_38_is_available_for_these_tests() -> None:
    assert any("/3.8." in path for path in PYTHONS), "pyenv 3.8 is needed to prove 3.8 support"


@pytest.mark.parametrize("python", PYTHONS, ids=[p.split("/")[-3] for p in PYTHONS])
def test_retries_deliver_everything_on_each_python(python: str, server: FakeServer, tmp_path: Path) -> None:
    server.set_mode("status", fail_count=1, status=503)
    env = reporter_env(server, tmp_path / "spool")
    proc = subprocess.run(
        [python, str(JOBS / "log_rows.py"), "py", "60", "3", "0.005"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert server.keys() == expected_keys("py")
    assert server.duplicate_acks() == []


@pytest.mark.parametrize("python", PYTHONS, ids=[p.split("/")[-3] for p in PYTHONS])
def test_rows_first_submitted_at_exit_are_still_sent(python: str, server: FakeServer, tmp_path: Path) -> None:
    env = reporter_env(server, tmp_path / "spool")
    proc = subprocess.run(
        [python, str(JOBS / "late_rows_at_exit.py")], env=env, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert server.keys() == {(WORKLOAD, "late", -1, "x", step) for step in range(5)}
    assert server.run_states()[-1]["exit_code"] == 1
