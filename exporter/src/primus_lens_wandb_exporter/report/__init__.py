"""The reporter: queues rows and detection on the training thread, delivers them off it.

    from primus_lens_wandb_exporter.report import get_reporter
    reporter = get_reporter(config)   # one per process; a forked child gets a fresh one in place

Which reporter: by default `shipper.reporter.Reporter`, which hands batches to a helper process
(the shipper) so that sending never holds the training process's GIL; with
PRIMUS_LENS_WANDB_SENDER=thread, or without the API (local JSONL only), `sender.Sender` sends from
a thread of this process. Both share `base.ReporterBase`.

One job per file:
    base.py        what both reporters share: queue and thread set-up, identity, detection
                   requests, run ends, flush on the exit budget, shutdown, internal errors
    sender.py      Sender: batches to bodies to the outbox, rows to the local JSONL file
    worker.py      the bounded queue and its thread (drop-oldest, flush, stop); nothing about HTTP
    encode.py      the wire encoding: rows and run ends to JSON bodies, gzip
    outbox.py      a body to the server or the spool, spool replay, the counts; why a body failed
    retry.py       the retry policy: which answers are retried, backoff, Retry-After, 413 splits
    transport.py   the HTTP connection (keep-alive, headers, TLS); nothing about policy
    spool.py       the on-disk spool for bodies the server did not take
    local_save.py  PRIMUS_LENS_WANDB_SAVE_LOCAL: one JSONL file per node and rank
    deadline.py    the exit deadline: the exit budget, the shutdown window, the clock every
                   wait honours, the shipper's reply margins
    stats.py       the counters and the `Stopped. Stats` line
    lifecycle.py   exit handlers: atexit, multiprocessing children, opt-in SIGTERM
    shipper/       the hand-off to the shipper process, and the shipper process itself
"""

from __future__ import annotations

import os
import threading
from typing import Callable, Dict, Optional, Union

from primus_lens_wandb_exporter import output
from primus_lens_wandb_exporter.config import Config
from primus_lens_wandb_exporter.model import Identity
from primus_lens_wandb_exporter.report.sender import Sender
from primus_lens_wandb_exporter.report.shipper.reporter import Reporter

__all__ = ["AnyReporter", "Reporter", "Sender", "current_reporter", "get_reporter", "make_reporter"]

AnyReporter = Union[Reporter, Sender]

_state: Dict[str, Optional[AnyReporter]] = {"reporter": None}
_create_lock = threading.Lock()


def make_reporter(config: Config, identity_provider: Optional[Callable[[], Identity]] = None) -> AnyReporter:
    if config.sender == "process" and config.api_reporting:
        return Reporter(config, identity_provider)
    return Sender(config, identity_provider)


def get_reporter(config: Config, identity_provider: Optional[Callable[[], Identity]] = None) -> AnyReporter:
    """The process-global reporter, created (and announced) on first use; no thread yet."""
    reporter = _state["reporter"]
    if reporter is not None:
        return reporter
    with _create_lock:
        reporter = _state["reporter"]
        if reporter is None:
            reporter = _state["reporter"] = make_reporter(config, identity_provider)
            if config.api_reporting:
                output.info(output.REPORTER, "Started (API: %s)" % config.api_base_url)
        return reporter


def current_reporter() -> Optional[AnyReporter]:
    return _state["reporter"]


def _after_fork_in_child() -> None:
    # Runs in the child right after fork, before any user code: only replace state, never wait.
    global _create_lock
    _create_lock = threading.Lock()
    output.reset_after_fork()
    reporter = _state["reporter"]
    if reporter is not None:
        reporter.reset_after_fork()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
