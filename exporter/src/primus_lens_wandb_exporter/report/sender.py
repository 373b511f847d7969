"""The sender: connects the generic worker to the wire format, the delivery policy, the spool
and the local JSONL file.

It runs in the shipper process (shipper.py) by default, or inside the training process when
PRIMUS_LENS_WANDB_SENDER=thread or the shipper cannot run. Either way submit_* only append to the
worker's deque; everything else (float() of snapshots, detection build(), JSON, gzip, HTTP,
disk) runs on the worker thread, or, at exit, on the thread that runs the exit handler, bounded
by the exit deadline. Printing the final stats is the caller's job.
"""
from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Union

from primus_lens_wandb_exporter import output
from primus_lens_wandb_exporter.config import Config
from primus_lens_wandb_exporter.model import Identity, Row, RunInfo
from primus_lens_wandb_exporter.report import encode, identity as default_identity, policy
from primus_lens_wandb_exporter.report.delivery import Delivery
from primus_lens_wandb_exporter.report.exit_clock import ExitClock
from primus_lens_wandb_exporter.report.local_save import LocalWriter
from primus_lens_wandb_exporter.report.outbox import Outbox
from primus_lens_wandb_exporter.report.spool import Spool, SpoolEntry
from primus_lens_wandb_exporter.report.stats import QueueOverflow, Stats, TailBudget, spool_reserve_s, stopped_lines
from primus_lens_wandb_exporter.report.transport import HttpTransport
from primus_lens_wandb_exporter.report.worker import BatchWorker


@dataclass(frozen=True)
class _Detection:
    build: Callable[[], Dict[str, Any]]


Item = Union[Row, encode.RunEnd, _Detection]


def _weigh(item: Item) -> int:
    return len(item.items) if isinstance(item, Row) else 0


def exporter_version() -> str:
    package = sys.modules.get("primus_lens_wandb_exporter")
    return str(getattr(package, "__version__", "0+unknown"))


class Sender:
    def __init__(
        self, config: Config, identity_provider: Optional[Callable[[], Identity]] = None, announce: bool = True
    ) -> None:
        self.config = config
        self._announce = announce
        self._identity_provider = identity_provider or default_identity.from_env
        self._overflow = QueueOverflow(config.queue_size)
        self._worker: BatchWorker[Item] = BatchWorker(
            "PrimusLensReporter",
            export=self._export,
            weigh=_weigh,
            on_drop=self._overflow,
            on_error=self._on_internal_error,
            max_weight=config.queue_size,
            batch_weight=config.batch_size,
            interval_s=config.flush_interval_s,
        )
        self._overflow.worker = self._worker
        self._spool = Spool(config.spool_dir, config.spool_max_mb * 1024 * 1024, self._on_evict)
        self._fresh_process_state()

    def _fresh_process_state(self) -> None:
        """Everything that belongs to one process (called again in a forked child)."""
        self._stats = Stats()
        self._closed = False
        self._identity: Optional[Identity] = None
        self._batch_prefix = os.urandom(6).hex()
        self._batch_seq = 0
        self._exit = ExitClock()
        self._budget = TailBudget(self.config.exit_timeout_s)
        self._transport = HttpTransport(
            self.config.api_base_url, self.config.api_token, "primus-lens-wandb-exporter/" + exporter_version()
        )
        self._delivery = Delivery(
            self._transport,
            self.config.timeout_s,
            self.config.retry_window_s,
            self._exit,
            self._worker.under_pressure,
        )
        config = self.config
        self._outbox = Outbox(self._delivery, self._spool, self._exit, self._stats,
                              lambda response, path: policy.why_undelivered(
                                  response.status, response.reason, config.api_base_url, path, bool(config.api_token)))
        self._local = LocalWriter(self.config.output_path, self.identity) if self._saves_local() else None
        self._overflow.said = False
        # A forked DataLoader/Pool worker that never logs must stay silent at exit: only a process
        # that handed us something prints the Stopped line.
        self._used = False

    def reset_after_fork(self) -> None:
        # No locks taken, nothing printed: another thread may have held either at fork time.
        self._worker.reset_after_fork()
        self._fresh_process_state()

    def _saves_local(self) -> bool:
        return self.config.save_local and bool(self.config.output_path)

    def identity(self) -> Identity:
        if self._identity is None:
            self._identity = self._identity_provider()
        return self._identity

    # ---- the hook's interface (training thread) -----------------------------------------------

    def submit_row(self, row: Row) -> None:
        try:
            if self._closed:
                self._stats.dropped += len(row.items)
                return
            self._used = True
            self._worker.submit(row, len(row.items))
        except Exception as exc:
            self._on_internal_error(exc)

    def submit_plain(self, run: RunInfo, step: int, timestamp: float, values: Dict[str, Any]) -> None:
        """A row of exact Python numbers that the caller may change after this returns."""
        self.submit_row(Row(run, step, timestamp, dict(values)))

    def submit_detection(self, build: Callable[[], Dict[str, Any]]) -> None:
        try:
            if not self._closed:
                self._used = True
                self._worker.submit(_Detection(build), 0)
                self._worker.flush(0.0)  # detection is rare and wanted now: wake the worker
        except Exception as exc:
            self._on_internal_error(exc)

    def run_finished(self, run: RunInfo, exit_code: Optional[int]) -> None:
        self.run_end(encode.RunEnd(run, exit_code, time.time()))
        self.flush_within_budget()

    def run_end(self, end: encode.RunEnd) -> None:
        """Queues a run's end without waiting (the shipper: its parent asks for the flush)."""
        try:
            if not self._closed:
                self._used = True
                self._worker.submit(end, 0)
        except Exception as exc:
            self._on_internal_error(exc)

    @property
    def used(self) -> bool:
        """Something was handed to it, or it delivered an earlier job's spool: worth a Stats line."""
        return self._used or any(self.stats().values())

    def flush(self, timeout_s: float) -> bool:
        try:
            return self._worker.flush(timeout_s)
        except Exception as exc:
            self._on_internal_error(exc)
            return False

    def flush_within_budget(self) -> bool:
        """Flush, drawing on the exit budget (run finish, SIGTERM); leaves the spool reserve."""
        return self._budget.flush_within(self.flush, self._worker.in_weight)

    def stats(self) -> Dict[str, int]:
        return self._stats.as_dict(self._worker.dropped_weight)

    # ---- exit -----------------------------------------------------------------------------------

    def shutdown(self, timeout_s: Optional[float] = None) -> None:
        """Send what is queued until the exit deadline, spool the rest, print the stats when
        this sender is the process's reporter (`announce`). Idempotent."""
        if self._closed:
            return
        self._closed = True
        try:
            self._shutdown(timeout_s)
        except Exception as exc:
            self._on_internal_error(exc)
        if self._announce and self.used:
            for line in stopped_lines(self.stats()):
                output.info(output.REPORTER, line)

    def _shutdown(self, timeout_s: Optional[float]) -> None:
        budget = self._budget.remaining_s(self._worker.in_weight) if timeout_s is None else max(0.0, timeout_s)
        deadline = time.monotonic() + budget
        send_deadline = deadline - min(budget, spool_reserve_s(self.config.exit_timeout_s))
        self._exit.begin(send_deadline)
        if self._worker.thread_alive():
            if not self._worker.stop(send_deadline - time.monotonic()):
                self._transport.abort()  # a server that accepted and never answers
                self._worker.stop(max(0.0, deadline - time.monotonic()))
        else:
            self._worker.drain_inline()
        leftovers = self._worker.take_all()
        if leftovers:
            self._export(leftovers)  # the deadline has passed: the outbox only spools now
        self._transport.close()
        if self._local is not None:
            self._local.close()

    # ---- worker thread --------------------------------------------------------------------------

    def _export(self, chunk: List[Item]) -> None:
        rows = [item for item in chunk if isinstance(item, Row)]
        if self._local is not None and rows:
            try:
                self._local.write(rows)
            except Exception as exc:
                output.error_once("local-save", output.REPORTER, "Failed to save metrics locally: %s" % exc)
                self._on_internal_error(exc)
        if not self.config.api_reporting:
            return
        for item in chunk:
            if isinstance(item, _Detection):
                self._send_detection(item)
        base = encode.identity_fields(self.identity(), exporter_version())
        series = [item for item in chunk if not isinstance(item, _Detection)]
        for body in encode.metrics_bodies(series, base, self.config.batch_size, self._next_batch_id, self.on_bad_value):
            self._outbox.send("metrics", body)

    def _send_detection(self, item: _Detection) -> None:
        try:
            body = item.build()
        except Exception as exc:
            output.error_once("detection-build", output.REPORTER, "Failed to build framework detection: %s" % exc)
            self._on_internal_error(exc)
            return
        self._outbox.send("detection", body)

    def _next_batch_id(self) -> str:
        self._batch_seq += 1
        return "%s-%d-%d" % (self._batch_prefix, os.getpid(), self._batch_seq)

    # ---- accounting callbacks -------------------------------------------------------------------

    def _on_evict(self, entry: SpoolEntry) -> None:
        self._stats.dropped += entry.points
        output.error_once("spool-full", output.REPORTER, "Spool %s is full: dropping its oldest data" % self._spool.directory)

    def on_bad_value(self, name: str, exc: BaseException) -> None:
        self._stats.errors += 1
        output.debug_once("bad-value-" + name, output.REPORTER, "Cannot read %r as a number: %s" % (name, exc))

    def _on_internal_error(self, exc: BaseException) -> None:
        self._stats.errors += 1
        output.error_once("internal-" + type(exc).__name__, output.REPORTER, "Worker error: %r" % (exc,))
