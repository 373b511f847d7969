"""Hands rows to the shipper, then dies without any exit handler (SIGKILL of itself).

    python crash_after_handoff.py <run_id> <steps>
Prints "HANDED <shipper pid>" once the rows are in the shipper's pipe.
"""

from __future__ import annotations

import os
import signal
import sys
import time

from primus_lens_wandb_exporter import config
from primus_lens_wandb_exporter.model import Row, RunInfo
from primus_lens_wandb_exporter.report import Reporter, get_reporter


def main() -> None:
    run_id, steps = sys.argv[1], int(sys.argv[2])
    reporter = get_reporter(config.load())
    assert isinstance(reporter, Reporter)
    run = RunInfo(run_id, "crash-tests", "run-" + run_id)
    for step in range(steps):
        reporter.submit_row(Row(run, step, time.time(), {"loss": 1.0 / (step + 1), "step_x": float(step)}))
    reporter._seal()  # the open block of rows into the queue...
    reporter._worker.flush(20.0)  # ...and down the pipe: handed over, not yet necessarily delivered
    sys.stderr.write("HANDED %s\n" % reporter.shipper_pid)
    sys.stderr.flush()
    os.kill(os.getpid(), signal.SIGKILL)  # OOM killer, node drain: no atexit, no finally


if __name__ == "__main__":
    main()
