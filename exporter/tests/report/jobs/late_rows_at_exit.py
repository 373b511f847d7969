"""Rows that first appear inside the exit handler, when Python >= 3.12 refuses new threads:
the hook's before_shutdown finishing a run the user never finished."""

from __future__ import annotations

import time

from primus_lens_wandb_exporter import config
from primus_lens_wandb_exporter.model import Row, RunInfo
from primus_lens_wandb_exporter.report import get_reporter
from primus_lens_wandb_exporter.report.lifecycle import install_exit_handlers

reporter = get_reporter(config.load())
run = RunInfo("late", "atexit-tests", "late")


def before_shutdown() -> None:
    for step in range(5):
        reporter.submit_row(Row(run, step, time.time(), dict([("x", float(step))])))
    reporter.run_finished(run, 1)


install_exit_handlers(reporter, before_shutdown)
