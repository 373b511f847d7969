"""Waits to be killed: python wait_for_sigterm.py <with_previous_handler: 0|1>"""

from __future__ import annotations

import signal
import sys
import time

from primus_lens_wandb_exporter import config
from primus_lens_wandb_exporter.model import Row, RunInfo
from primus_lens_wandb_exporter.report import get_reporter
from primus_lens_wandb_exporter.report.lifecycle import install_exit_handlers


def previous_handler(signum: int, frame: object) -> None:
    sys.stderr.write("PREVIOUS HANDLER %d\n" % signum)
    sys.exit(7)


if sys.argv[1] == "1":
    signal.signal(signal.SIGTERM, previous_handler)
reporter = get_reporter(config.load())
install_exit_handlers(reporter, lambda: sys.stderr.write("BEFORE SHUTDOWN\n"))
run = RunInfo("sig", "sig-tests", "sig")
for step in range(20):
    reporter.submit_row(Row(run, step, time.time(), dict([("x", float(step))])))
sys.stderr.write("READY\n")
sys.stderr.flush()
time.sleep(20)  # the test kills us long before
sys.stderr.write("NOT KILLED\n")
