"""The sending process: uses the reporter exactly the way the hook does.

    python log_rows.py <run_id> <steps> <metrics_per_step> [<seconds between steps>]
Environment: the PRIMUS_LENS_* variables. Prints "FINISHING <monotonic>" when training is
done, before the run finishes, so the test can measure what the exporter adds to the end of the job.
"""

from __future__ import annotations

import math
import sys
import time

from primus_lens_wandb_exporter import config
from primus_lens_wandb_exporter.model import Row, RunInfo
from primus_lens_wandb_exporter.report import get_reporter
from primus_lens_wandb_exporter.report.lifecycle import install_exit_handlers


def main() -> None:
    run_id, steps, width = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    step_sleep_s = float(sys.argv[4]) if len(sys.argv) > 4 else 0.0
    settings = config.load()
    reporter = get_reporter(settings)
    run = RunInfo(run_id, "fault-tests", "run-" + run_id)
    reporter.submit_detection(
        lambda: {"source": "wandb", "workload_uid": "w-test", "pod_name": "pod-0", "run_id": run_id}
    )
    install_exit_handlers(reporter, lambda: None)
    for step in range(steps):
        items = [("m%d" % i, float(step * width + i)) for i in range(width)]
        if step == 3:
            items.append(("loss_nan", math.nan))
        reporter.submit_row(Row(run, step, time.time(), dict(items)))
        if step_sleep_s:
            time.sleep(step_sleep_s)  # a training step
    sys.stderr.write("FINISHING %.6f\n" % time.monotonic())
    sys.stderr.flush()
    reporter.run_finished(run, 0)


if __name__ == "__main__":
    main()
