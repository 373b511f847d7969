"""A real wandb (offline) training script with no exporter code in it: the .pth does the rest.

    python wandb_training.py <run_id> <steps> <metrics_per_step> [<seconds between steps>]
Logs the same keys as log_rows.py (m0..m<n-1> per step, loss_nan=NaN at step 3) without giving a
step, so the exporter must use wandb's own _step. Prints "FINISHING <monotonic>" before finish.
"""

from __future__ import annotations

import math
import sys
import time

import wandb


def main() -> None:
    run_id, steps, width = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    step_sleep_s = float(sys.argv[4]) if len(sys.argv) > 4 else 0.0
    run = wandb.init(project="fault-tests", id=run_id, name="run-" + run_id)
    for step in range(steps):
        row = {"m%d" % i: float(step * width + i) for i in range(width)}
        if step == 3:
            row["loss_nan"] = math.nan
        run.log(row)
        if step_sleep_s:
            time.sleep(step_sleep_s)
    sys.stderr.write("FINISHING %.6f\n" % time.monotonic())
    sys.stderr.flush()
    wandb.finish()


if __name__ == "__main__":
    main()
