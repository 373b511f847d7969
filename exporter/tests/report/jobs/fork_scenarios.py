"""Fork and multiprocessing scenarios, run as a subprocess by test_fork.py.

    python fork_scenarios.py <scenario>      scenario: osfork | locked | mp_fork | mp_spawn
Each process logs 10 rows of 2 points under its own run id ("parent", "child", "mp-<i>").
The flush interval is long, so whatever the parent queued before a fork is still queued at fork
time: a child that kept it would send it again.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import threading
import time

from primus_lens_wandb_exporter import config, output
from primus_lens_wandb_exporter.model import Row, RunInfo
from primus_lens_wandb_exporter.report import get_reporter
from primus_lens_wandb_exporter.report.lifecycle import install_exit_handlers

CHILD_DEADLINE_S = 15.0


def start_reporter():  # type: ignore[no-untyped-def]
    reporter = get_reporter(config.load())
    install_exit_handlers(reporter, lambda: None)
    return reporter


def log_run(run_id: str) -> None:
    reporter = get_reporter(config.load())
    run = RunInfo(run_id, "fork-tests", run_id)
    for step in range(10):
        reporter.submit_row(Row(run, step, time.time(), dict([("a", float(step)), ("b", float(-step))])))


def wait_child(pid: int) -> int:
    deadline = time.monotonic() + CHILD_DEADLINE_S
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status) if hasattr(os, "waitstatus_to_exitcode") else status >> 8
        time.sleep(0.02)
    os.kill(pid, 9)
    raise SystemExit("child %d deadlocked" % pid)


def hold_locks(reporter, held: threading.Event, release: threading.Event) -> None:  # type: ignore[no-untyped-def]
    # Another thread owns the locks the child will need at the moment of fork: the say-once lock,
    # and the reporter's own (the block lock of the default Reporter, the HTTP lock of a Sender).
    own = reporter._block_lock if hasattr(reporter, "_block_lock") else reporter._transport._lock
    with output._once_lock, own:
        held.set()
        release.wait(5)


def scenario_fork(hold: bool) -> None:
    reporter = start_reporter()
    log_run("parent")
    release = threading.Event()
    if hold:
        held = threading.Event()
        threading.Thread(target=hold_locks, args=(reporter, held, release), daemon=True).start()
        if not held.wait(5):
            raise SystemExit("the locks were never held: this scenario would prove nothing")
    pid = os.fork()
    if pid == 0:
        log_run("child")
        output.error_once("child-says", output.REPORTER, "child needs the say-once lock")
        sys.exit(0)  # a plain fork child leaves through atexit
    release.set()
    code = wait_child(pid)
    log_run("parent-after")
    sys.stderr.write("CHILD EXIT %d\n" % code)


def mp_child(index: int) -> None:
    if multiprocessing.get_start_method() == "spawn":
        start_reporter()  # a spawned interpreter starts from scratch, as the .pth would make it
    log_run("mp-%d" % index)


def scenario_mp(method: str) -> None:
    start_reporter()
    log_run("parent")
    ctx = multiprocessing.get_context(method)
    procs = [ctx.Process(target=mp_child, args=(i,)) for i in range(3)]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(CHILD_DEADLINE_S)
        if proc.is_alive():
            proc.kill()
            raise SystemExit("multiprocessing child deadlocked")
        sys.stderr.write("CHILD EXIT %d\n" % proc.exitcode)


if __name__ == "__main__":
    name = sys.argv[1]
    if name in ("osfork", "locked"):
        scenario_fork(hold=name == "locked")
    else:
        scenario_mp({"mp_fork": "fork", "mp_spawn": "spawn"}[name])
