"""The reporter: connects the generic worker to the wire format, the delivery policy, the spool
and the local JSONL file. The hook talks to it through submit_row / submit_detection /
run_finished; nothing here calls back into the hook.

Threads: submit_* run on the training thread and only append to the worker's deque. Everything
else (float() of snapshots, detection build(), JSON, gzip, HTTP, disk) runs on the worker thread,
or, at exit, on the thread that runs the exit handler, bounded by the exit deadline.
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
from primus_lens_wandb_exporter.report import encode, identity as default_identity
from primus_lens_wandb_exporter.report.delivery import Delivery, Outcome
from primus_lens_wandb_exporter.report.exit_clock import ExitClock
from primus_lens_wandb_exporter.report.local_save import LocalWriter
from primus_lens_wandb_exporter.report.spool import Spool, SpoolEntry
from primus_lens_wandb_exporter.report.stats import Stats, TailBudget
from primus_lens_wandb_exporter.report.transport import HttpTransport
from primus_lens_wandb_exporter.report.worker import BatchWorker

METRICS_PATH = "/wandb/metrics"
DETECTION_PATH = "/wandb/detection"
PATHS = {"metrics": METRICS_PATH, "detection": DETECTION_PATH}
# Part of the exit budget kept for writing what is still unsent to the spool (milliseconds of
# disk I/O in practice); sending stops this long before the deadline.
SPOOL_RESERVE_MAX_S = 0.5
REPLAY_FILES_PER_PASS = 32


@dataclass(frozen=True)
class _Detection:
    build: Callable[[], Dict[str, Any]]


Item = Union[Row, encode.RunEnd, _Detection]


def _weigh(item: Item) -> int:
    return len(item.items) if isinstance(item, Row) else 0


def exporter_version() -> str:
    package = sys.modules.get("primus_lens_wandb_exporter")
    return str(getattr(package, "__version__", "0+unknown"))


class Reporter:
    def __init__(self, config: Config, identity_provider: Optional[Callable[[], Identity]] = None) -> None:
        self.config = config
        self._identity_provider = identity_provider or default_identity.from_env
        self._worker: BatchWorker[Item] = BatchWorker(
            "PrimusLensReporter",
            export=self._export,
            weigh=_weigh,
            on_drop=self._on_drop,
            on_error=self._on_internal_error,
            max_weight=config.queue_size,
            batch_weight=config.batch_size,
            interval_s=config.flush_interval_s,
        )
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
        self._local = LocalWriter(self.config.output_path, self.identity) if self._saves_local() else None
        self._replay_pending = True  # a later process replays what an earlier one spooled

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
            self._worker.submit(row, len(row.items))
        except Exception as exc:
            self._on_internal_error(exc)

    def submit_detection(self, build: Callable[[], Dict[str, Any]]) -> None:
        try:
            if not self._closed:
                self._worker.submit(_Detection(build), 0)
                self._worker.flush(0.0)  # detection is rare and wanted now: wake the worker
        except Exception as exc:
            self._on_internal_error(exc)

    def run_finished(self, run: RunInfo, exit_code: Optional[int]) -> None:
        try:
            if not self._closed:
                self._worker.submit(encode.RunEnd(run, exit_code, time.time()), 0)
                self.flush_within_budget()
        except Exception as exc:
            self._on_internal_error(exc)

    def flush(self, timeout_s: float) -> bool:
        try:
            return self._worker.flush(timeout_s)
        except Exception as exc:
            self._on_internal_error(exc)
            return False

    def flush_within_budget(self) -> bool:
        """Flush, drawing on the exit budget (run finish, SIGTERM); leaves the spool reserve."""
        remaining = self._budget.remaining_s(self._worker.in_weight)
        started = time.monotonic()
        done = self.flush(max(0.0, remaining - self._spool_reserve_s()))
        self._budget.spend(time.monotonic() - started)
        return done

    def stats(self) -> Dict[str, int]:
        return self._stats.as_dict(self._worker.dropped_weight)

    # ---- exit -----------------------------------------------------------------------------------

    def shutdown(self, timeout_s: Optional[float] = None) -> None:
        """Send what is queued until the exit deadline, spool the rest, print the stats. Idempotent."""
        if self._closed:
            return
        self._closed = True
        try:
            self._shutdown(timeout_s)
        except Exception as exc:
            self._on_internal_error(exc)
        output.info(output.REPORTER, "Stopped. Stats: %s" % (self.stats(),))

    def _shutdown(self, timeout_s: Optional[float]) -> None:
        budget = self._budget.remaining_s(self._worker.in_weight) if timeout_s is None else max(0.0, timeout_s)
        deadline = time.monotonic() + budget
        send_deadline = deadline - min(budget, self._spool_reserve_s())
        self._exit.begin(send_deadline)
        if self._worker.thread_alive():
            if not self._worker.stop(send_deadline - time.monotonic()):
                self._transport.abort()  # a server that accepted and never answers
                self._worker.stop(max(0.0, deadline - time.monotonic()))
        else:
            self._worker.drain_inline()
        leftovers = self._worker.take_all()
        if leftovers:
            self._export(leftovers)  # the deadline has passed: this only spools
        self._transport.close()
        if self._local is not None:
            self._local.close()

    def _spool_reserve_s(self) -> float:
        # A share of the whole exit budget, so waiting at run finish cannot eat the part that
        # the exit handler needs to write unsent data to disk.
        return min(SPOOL_RESERVE_MAX_S, self.config.exit_timeout_s * 0.2)

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
        if self._replay_pending and not self._delivery.server_down:
            self._replay_spool()
        for item in chunk:
            if isinstance(item, _Detection):
                self._send_detection(item)
        base = encode.identity_fields(self.identity(), exporter_version())
        series = [item for item in chunk if not isinstance(item, _Detection)]
        for body in encode.metrics_bodies(series, base, self.config.batch_size, self._next_batch_id, self._on_bad_value):
            self._account("metrics", self._send(METRICS_PATH, body))

    def _send_detection(self, item: _Detection) -> None:
        try:
            body = item.build()
        except Exception as exc:
            output.error_once("detection-build", output.REPORTER, "Failed to build framework detection: %s" % exc)
            self._on_internal_error(exc)
            return
        self._account("detection", self._send(DETECTION_PATH, body))

    def _send(self, path: str, body: Dict[str, Any]) -> Outcome:
        if self._exit.expired():
            return Outcome(undelivered=[body])
        return self._delivery.send(path, body)

    def _account(self, kind: str, outcome: Outcome) -> None:
        stats = self._stats
        stats.retries += outcome.retries
        for body in outcome.delivered:
            if kind == "detection":
                stats.detection_sent += 1
            else:
                points, rows = encode.count_points_rows(body)
                stats.points_sent += points
                stats.metrics_sent += rows
        for body, response in outcome.rejected:
            stats.errors += 1
            stats.dropped += encode.count_points_rows(body)[0]
            output.error_once(
                "rejected-%s-%d" % (kind, response.status),
                output.REPORTER,
                "Server refused a %s batch: HTTP %d %s (not retried; later refusals are only counted in errors)"
                % (kind, response.status, response.reason),
            )
        for body in outcome.undelivered:
            self._spool_body(kind, body)
        if outcome.delivered and self._replay_pending is False and self._spool.has_files():
            self._replay_pending = True
        output.debug(
            output.REPORTER,
            "%s: %d delivered, %d refused, %d spooled" % (kind, len(outcome.delivered), len(outcome.rejected), len(outcome.undelivered)),
        )

    def _spool_body(self, kind: str, body: Dict[str, Any]) -> None:
        points, rows = encode.count_points_rows(body)
        if self._spool.write(kind, encode.to_gzip_json(body), points, rows):
            self._stats.spooled += points
            self._replay_pending = True
            output.error_once(
                "spooling",
                output.REPORTER,
                "API unreachable; keeping unsent data in %s until it is back" % self._spool.directory,
            )
        else:
            self._stats.dropped += points
            self._stats.errors += 1
            output.error_once("spool-write", output.REPORTER, "Cannot write to spool %s: data lost" % self._spool.directory)

    def _replay_spool(self) -> None:
        """Send spooled bodies oldest first; stop at the first one the server does not take."""
        self._spool.reclaim_abandoned()
        while not self._exit.expired():
            entries = self._spool.claim_oldest(REPLAY_FILES_PER_PASS)
            if not entries:
                self._replay_pending = False
                return
            for index, entry in enumerate(entries):
                if not self._replay_one(entry):
                    for rest in entries[index:]:
                        self._spool.release(rest)
                    return

    def _replay_one(self, entry: SpoolEntry) -> bool:
        payload = self._spool.read(entry)
        if payload is None:
            return True  # vanished or unreadable; nothing to send
        verdict, response, retries = self._delivery.send_raw(PATHS[entry.kind], payload)
        self._stats.retries += retries
        if verdict == "undelivered":
            return False
        self._spool.remove(entry)
        if verdict == "delivered":
            if entry.kind == "detection":
                self._stats.detection_sent += 1
            else:
                self._stats.points_sent += entry.points
                self._stats.metrics_sent += entry.rows
        else:
            self._stats.errors += 1
            self._stats.dropped += entry.points
        return True

    def _next_batch_id(self) -> str:
        self._batch_seq += 1
        return "%s-%d-%d" % (self._batch_prefix, os.getpid(), self._batch_seq)

    # ---- accounting callbacks -------------------------------------------------------------------

    def _on_drop(self, item: Item, weight: int) -> None:
        if weight == 0:
            self._worker.requeue(item)  # run ends and detections are tiny; only points are shed
            return
        output.error_once(
            "queue-full",
            output.REPORTER,
            "Queue full (PRIMUS_LENS_WANDB_QUEUE_SIZE=%d points): dropping the oldest; see 'dropped' in the stats"
            % self.config.queue_size,
        )

    def _on_evict(self, entry: SpoolEntry) -> None:
        self._stats.dropped += entry.points
        output.error_once("spool-full", output.REPORTER, "Spool %s is full: dropping its oldest data" % self._spool.directory)

    def _on_bad_value(self, name: str, exc: BaseException) -> None:
        self._stats.errors += 1
        output.debug_once("bad-value-" + name, output.REPORTER, "Cannot read %r as a number: %s" % (name, exc))

    def _on_internal_error(self, exc: BaseException) -> None:
        self._stats.errors += 1
        output.error_once("internal-" + type(exc).__name__, output.REPORTER, "Worker error: %r" % (exc,))
