"""One client-side measurement, run in a fresh interpreter inside the venv under test.

usage: client_worker.py MODE SCALARS CALLS OUT_JSON
  MODE wandb   wandb.log(row) in WANDB_MODE=offline (the exporter is on unless
               PRIMUS_LENS_WANDB_HOOK=false); the .pth decides, as for a user
  MODE mlflow  mlflow.log_metrics(row, step=i, synchronous=False) against MLFLOW_TRACKING_URI
  MODE wandb_ab  wandb.log with the exporter installed, in blocks that alternate between the
               exporter's patch on and off (the original Run._log put back) in one process: the
               added cost without the process-to-process noise of comparing two interpreters
  MODE lens    the exporter's own ceiling, without wandb's ~100 µs per call in the way: its real
               wrapper, tracker and reporter around a stand-in Run whose _log only counts steps,
               paced at LENS_BENCH_RATE calls/s (0: as fast as it goes)

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
# Every real job spends at least this long between init and its first step (model and data set-up);
# the same pause for every configuration, so the exporter's helper process is not starting mid-loop.
SETUP_S = float(os.environ.get("LENS_BENCH_SETUP_S", "1.0"))


def shipper_rss_mb() -> object:
    """Resident memory of the exporter's shipper process, when there is one."""
    module = sys.modules.get("primus_lens_wandb_exporter.report")
    pid = getattr(module.current_reporter(), "shipper_pid", None) if module else None
    if not pid:
        return None
    with open("/proc/%d/status" % pid) as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return None


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
    time.sleep(SETUP_S)
    log_acc.outside_ns = log_acc.inside_ns = 0  # count the logging loop only
    sender_ns0 = hook_timer.thread_cpu_ns("PrimusLensReporter")
    loop0 = time.perf_counter()
    for row in rows:
        a = perf()
        wandb.log(row)
        durations.append(perf() - a)
    RESULT["loop_s"] = time.perf_counter() - loop0
    RESULT["hook_log_added_us"] = log_acc.added_ns() / 1e3 / CALLS if log_acc.wrappers else None
    if os.environ.get("LENS_BENCH_HOOK_CPU") and log_acc.wrappers:
        # Lets the reporter thread catch up first, so its CPU below covers this loop's rows.
        current = sys.modules["primus_lens_wandb_exporter.report"].current_reporter()
        current.flush(30.0)
        sender_ns1 = hook_timer.thread_cpu_ns("PrimusLensReporter")
        if sender_ns0 is not None and sender_ns1 is not None:
            RESULT["reporter_thread_cpu_us"] = (sender_ns1 - sender_ns0) / CALLS / 1000.0
        # Extra rows, after the timed loop: the wrapper's own CPU with wandb's call taken out.
        RESULT["hook_cpu_us"] = hook_timer.wrapper_cpu_us(log_acc, run, rows[: min(len(rows), 2000)])
    RESULT["shipper_rss_mb"] = shipper_rss_mb()
    t0 = time.perf_counter()
    run.finish()
    RESULT["finish_s"] = time.perf_counter() - t0
elif MODE == "mlflow":
    import mlflow

    mlflow.set_experiment("lens-bench")
    t0 = time.perf_counter()
    mlflow.start_run()
    RESULT["init_s"] = time.perf_counter() - t0
    time.sleep(SETUP_S)
    loop0 = time.perf_counter()
    for i, row in enumerate(rows):
        a = perf()
        mlflow.log_metrics(row, step=i, synchronous=False)
        durations.append(perf() - a)
    RESULT["loop_s"] = time.perf_counter() - loop0
    t0 = time.perf_counter()
    mlflow.end_run()  # waits for the async queue, as a user's script does at its end
    RESULT["finish_s"] = time.perf_counter() - t0
elif MODE == "wandb_ab":
    import wandb
    from wandb.sdk import wandb_run

    run = wandb.init(project="lens-bench", name="bench-ab", config={"scalars": SCALARS})
    time.sleep(SETUP_S)
    patched = wandb_run.Run.__dict__["_log"]
    original = getattr(patched, "__primus_lens_original__", None)
    if original is None:
        raise SystemExit("wandb_ab needs the exporter's patch on Run._log")
    blocks = int(os.environ.get("LENS_BENCH_AB_BLOCKS", "8"))
    per_block = max(1, CALLS // (2 * blocks))
    samples = {"on": [], "off": []}  # type: dict
    cpu_ns = {"on": 0, "off": 0}
    calls = {"on": 0, "off": 0}
    it = iter(rows)
    loop0 = time.perf_counter()
    for block in range(blocks):
        for state in (("on", "off") if block % 2 == 0 else ("off", "on")):  # ABBA: drift cancels
            wandb_run.Run._log = patched if state == "on" else original
            c0 = time.thread_time_ns()
            for _ in range(per_block):
                row = next(it)
                a = perf()
                wandb.log(row)
                samples[state].append(perf() - a)
            cpu_ns[state] += time.thread_time_ns() - c0
            calls[state] += per_block
    RESULT["loop_s"] = time.perf_counter() - loop0
    wandb_run.Run._log = patched
    for state in ("on", "off"):
        d = sorted(samples[state])
        RESULT["ab_" + state] = {"median_us": d[len(d) // 2] / 1000.0, "mean_us": sum(d) / len(d) / 1000.0,
                                 "p99_us": d[min(len(d) - 1, int(len(d) * 0.99))] / 1000.0,
                                 "main_thread_cpu_us": cpu_ns[state] / calls[state] / 1000.0}
    durations = samples["on"] + samples["off"]
    RESULT["shipper_rss_mb"] = shipper_rss_mb()
    t0 = time.perf_counter()
    run.finish()
    RESULT["finish_s"] = time.perf_counter() - t0
elif MODE == "lens":
    from primus_lens_wandb_exporter.config import load
    from primus_lens_wandb_exporter.hook import patch
    from primus_lens_wandb_exporter.hook.tracker import Tracker
    from primus_lens_wandb_exporter.report import get_reporter
    from primus_lens_wandb_exporter.report.lifecycle import install_exit_handlers

    class _Settings:
        run_id, project, run_name, mode = "lens-ceiling", "lens-bench", "ceiling", "offline"

    class StandInRun:
        def __init__(self) -> None:
            self._settings, self._starting_step, self._local_step = _Settings(), 0, 0

        def _log(self, data: dict, step: object = None, commit: object = None) -> None:
            self._local_step += 1

    config = load()
    reporter = get_reporter(config)
    tracker = Tracker(config, reporter)
    StandInRun._log = patch._wrap_private_log(StandInRun._log, tracker)  # what apply() installs on Run
    run = StandInRun()
    t0 = time.perf_counter()
    tracker.on_init(run)
    install_exit_handlers(reporter, tracker.before_shutdown)
    RESULT["init_s"] = time.perf_counter() - t0
    time.sleep(SETUP_S)
    rate = float(os.environ.get("LENS_BENCH_RATE", "0"))
    period_ns = int(1e9 / rate) if rate > 0 else 0
    log_call = run._log
    loop0 = time.perf_counter()
    start_ns = perf()
    for i, row in enumerate(rows):
        if period_ns:
            due = start_ns + i * period_ns
            while perf() < due:  # a training step's worth of work, spinning like a GPU sync
                pass
        a = perf()
        log_call(row)
        durations.append(perf() - a)
    RESULT["loop_s"] = time.perf_counter() - loop0
    RESULT["shipper_rss_mb"] = shipper_rss_mb()
    t0 = time.perf_counter()
    tracker.on_finish(run, 0)
    RESULT["finish_s"] = time.perf_counter() - t0
else:
    raise SystemExit("unknown mode " + MODE)

durations.sort()
RESULT["per_call_us_median"] = durations[len(durations) // 2] / 1000.0
RESULT["per_call_us_mean"] = sum(durations) / len(durations) / 1000.0
RESULT["per_call_us_p99"] = durations[min(len(durations) - 1, int(len(durations) * 0.99))] / 1000.0
RESULT["_end_of_script"] = time.perf_counter()
