"""Running a sending process against the fake server: its environment, the process, its result.

The processes are the scripts in jobs/ (a bare reporter driven as the hook drives it, or a real
wandb offline training script); each imports exporter/src, which PYTHONPATH puts first.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Set

from support.fake_server import FakeServer, Key
from support.wandb_env import OFFLINE_WANDB_ENV

JOBS = Path(__file__).resolve().parent / "jobs"
SRC = Path(__file__).resolve().parents[2] / "src"
WORKLOAD = "w-test"


@dataclass
class Finished:
    returncode: int
    added_s: float  # from "training done" to process exit: what the exporter added
    stderr: str

    def stats(self) -> Dict[str, int]:
        match = re.search(r"Stopped\. Stats: (\{.*\})", self.stderr)
        assert match, self.stderr
        return eval(match.group(1), {})  # a dict of ints, printed by our own code


def reporter_env(server: FakeServer, spool_dir: Path, **overrides: str) -> Dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PRIMUS_LENS_")}
    env.update(
        PYTHONPATH=str(SRC),
        WORKLOAD_UID=WORKLOAD,
        PRIMUS_LENS_API_BASE_URL=server.base_url,
        PRIMUS_LENS_WANDB_SPOOL_DIR=str(spool_dir),
        PRIMUS_LENS_WANDB_FLUSH_INTERVAL="0.1",
        PRIMUS_LENS_WANDB_BATCH_SIZE="40",
        PRIMUS_LENS_WANDB_TIMEOUT="0.5",
        PRIMUS_LENS_WANDB_EXIT_TIMEOUT="3",
        PRIMUS_LENS_WANDB_RETRY_WINDOW="6",
    )
    env.pop("RANK", None)
    env.update(overrides)
    return env


def run_script(
    args: List[str], env: Dict[str, str], timeout_s: float = 60, on_line: Optional[Callable[[str], None]] = None
) -> Finished:
    """Run a Python script to its end (killed past timeout_s); on_line sees each stderr line as it comes."""
    proc = subprocess.Popen(
        [sys.executable] + args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    lines: List[str] = []

    def pump() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            lines.append(line)
            if on_line is not None:
                on_line(line)

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    try:
        proc.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        reader.join(5)
        raise AssertionError("sending process hung past %ss:\n%s" % (timeout_s, "".join(lines))) from None
    ended = time.monotonic()
    reader.join(5)
    stderr = "".join(lines)
    match = re.search(r"FINISHING (\d+\.\d+)", stderr)
    added = ended - float(match.group(1)) if match else float("nan")
    return Finished(proc.returncode, added, stderr)


def run_sender(
    env: Dict[str, str],
    run_id: str,
    steps: int = 60,
    width: int = 3,
    step_s: float = 0.0,
    timeout_s: float = 60,
    on_line: Optional[Callable[[str], None]] = None,
) -> Finished:
    return run_script([str(JOBS / "log_rows.py"), run_id, str(steps), str(width), str(step_s)], env, timeout_s, on_line)


# The fault matrix runs real wandb; the bare-reporter driver (jobs/log_rows.py) is kept for the
# later replaying process and for debugging a fault without wandb in the way.
DRIVERS = ["wandb"]


def run_training(
    driver: str,
    env: Dict[str, str],
    run_id: str,
    steps: int = 60,
    width: int = 3,
    step_s: float = 0.0,
    timeout_s: float = 90,
    on_line: Optional[Callable[[str], None]] = None,
) -> Finished:
    """`reporter`: jobs/log_rows.py drives the reporter as the hook does. `wandb`: a real wandb offline
    script with no exporter code, activated by the installed .pth (importing exporter/src, which
    PYTHONPATH puts first)."""
    if driver == "reporter":
        return run_sender(env, run_id, steps, width, step_s, timeout_s, on_line)
    wandb_dir = Path(env["PRIMUS_LENS_WANDB_SPOOL_DIR"]).parent / ("wandb-" + run_id)
    wandb_dir.mkdir(parents=True, exist_ok=True)
    full_env = dict(env, WANDB_DIR=str(wandb_dir), **OFFLINE_WANDB_ENV)
    args = [str(JOBS / "wandb_training.py"), run_id, str(steps), str(width), str(step_s)]
    finished = run_script(args, full_env, timeout_s, on_line)
    assert "Intercepted wandb.init()" in finished.stderr, (
        "the exporter's .pth is not active for %s (install the wheel: make build-python):\n%s"
        % (sys.executable, finished.stderr)
    )
    return finished


def expected_keys(run_id: str, steps: int = 60, width: int = 3) -> Set[Key]:
    keys = {(WORKLOAD, run_id, -1, "m%d" % i, step) for step in range(steps) for i in range(width)}
    keys.add((WORKLOAD, run_id, -1, "loss_nan", 3))
    return keys


def spool_files(spool_dir: Path) -> List[str]:
    return sorted(p.name for p in spool_dir.glob("*")) if spool_dir.exists() else []


def later(seconds: float, action: Callable[[], Any]) -> None:
    timer = threading.Timer(seconds, action)
    timer.daemon = True
    timer.start()
