"""One client-side measurement, run in a fresh interpreter inside the venv under test.

usage: client_worker.py MODE SCALARS CALLS OUT_JSON
  MODE wandb   wandb.log(row) in WANDB_MODE=offline (the exporter is on unless
               PRIMUS_LENS_WANDB_HOOK=false); the .pth decides, as for a user
  MODE mlflow  mlflow.log_metrics(row, step=i, synchronous=False) against MLFLOW_TRACKING_URI

Each call is timed on the training thread; the rows are built before timing so both sides log
the same values. CPU time is read in an atexit handler registered before wandb/mlflow are
imported, so it runs last, after their own exit flushes and the exporter's.
"""
from __future__ import annotations

import atexit
import json
import os
import sys
import time

MODE, SCALARS, CALLS, OUT = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
RESULT = {"mode": MODE, "scalars": SCALARS, "calls": CALLS}
T_START = time.perf_counter()


def _write_result() -> None:
    times = os.times()
    RESULT["process_cpu_s"] = times.user + times.system
    RESULT["exit_s"] = time.perf_counter() - RESULT.pop("_end_of_script", time.perf_counter())
    with open(OUT, "w") as fh:
        json.dump(RESULT, fh)


atexit.register(_write_result)

rows = [{"train/m%d" % j: (i * 0.001 + j) for j in range(SCALARS)} for i in range(CALLS)]
durations = []
perf = time.perf_counter_ns

if MODE == "wandb":
    import wandb
    from wandb.sdk import wandb_run

    import hook_timer

    init_acc, log_acc = hook_timer.Acc(), hook_timer.Acc()
    hook_timer.instrument_all([(wandb, "init")], init_acc)
    hook_timer.instrument_all([(wandb_run.Run, "log"), (wandb_run.Run, "_log")], log_acc)
    t0 = time.perf_counter()
    run = wandb.init(project="lens-bench", name="bench", config={"scalars": SCALARS})
    RESULT["init_s"] = time.perf_counter() - t0
    RESULT["hook_wrappers"] = init_acc.wrappers + log_acc.wrappers
    RESULT["hook_init_added_ms"] = init_acc.added_ns() / 1e6 if init_acc.wrappers else None
    log_acc.outside_ns = log_acc.inside_ns = 0  # count the logging loop only
    loop0 = time.perf_counter()
    for row in rows:
        a = perf()
        wandb.log(row)
        durations.append(perf() - a)
    RESULT["loop_s"] = time.perf_counter() - loop0
    RESULT["hook_log_added_us"] = log_acc.added_ns() / 1e3 / CALLS if log_acc.wrappers else None
    t0 = time.perf_counter()
    run.finish()
    RESULT["finish_s"] = time.perf_counter() - t0
elif MODE == "mlflow":
    import mlflow

    mlflow.set_experiment("lens-bench")
    t0 = time.perf_counter()
    mlflow.start_run()
    RESULT["init_s"] = time.perf_counter() - t0
    loop0 = time.perf_counter()
    for i, row in enumerate(rows):
        a = perf()
        mlflow.log_metrics(row, step=i, synchronous=False)
        durations.append(perf() - a)
    RESULT["loop_s"] = time.perf_counter() - loop0
    t0 = time.perf_counter()
    mlflow.end_run()  # waits for the async queue, as a user's script does at its end
    RESULT["finish_s"] = time.perf_counter() - t0
else:
    raise SystemExit("unknown mode " + MODE)

durations.sort()
RESULT["per_call_us_median"] = durations[len(durations) // 2] / 1000.0
RESULT["per_call_us_mean"] = sum(durations) / len(durations) / 1000.0
RESULT["per_call_us_p99"] = durations[min(len(durations) - 1, int(len(durations) * 0.99))] / 1000.0
RESULT["_end_of_script"] = time.perf_counter()
