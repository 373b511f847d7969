"""The reporter: queues rows and detection on the training thread, delivers them off it.

    from primus_lens_wandb_exporter.report import get_reporter
    reporter = get_reporter(config)   # one per process; a forked child gets a fresh one in place

Layout (one job per file): worker.py (bounded queue + thread, knows nothing about HTTP),
transport.py (the HTTP connection), policy.py (retry rules as pure functions), delivery.py
(applies them within one deadline), encode.py (wire-format bodies), spool.py (disk),
local_save.py (JSONL), sender.py (joins them), lifecycle.py (atexit, fork, SIGTERM).

Where the sender runs (PRIMUS_LENS_WANDB_SENDER): by default in a helper process, shipper.py,
fed by reporter.py through link.py and frames.py, so its Python never holds the training
process's GIL; with `thread`, the Sender itself is the reporter, on a thread of this process.
"""
from __future__ import annotations

import os
import threading
from typing import Callable, Optional, Union

from primus_lens_wandb_exporter import output
from primus_lens_wandb_exporter.config import Config
from primus_lens_wandb_exporter.model import Identity
from primus_lens_wandb_exporter.report.reporter import Reporter
from primus_lens_wandb_exporter.report.sender import Sender

__all__ = ["Reporter", "Sender", "AnyReporter", "get_reporter", "current_reporter"]

AnyReporter = Union[Reporter, Sender]

_state = {"reporter": None}  # type: dict
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
        if _state["reporter"] is None:
            _state["reporter"] = make_reporter(config, identity_provider)
            if config.api_reporting:
                output.info(output.REPORTER, "Started (API: %s)" % config.api_base_url)
        return _state["reporter"]


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
