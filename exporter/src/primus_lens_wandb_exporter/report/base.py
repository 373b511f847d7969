"""What both reporters share: the queue and its thread, identity, detection, the end of a job.

The hook talks to one reporter per process (`report/__init__.py` makes it), one of two kinds:
`shipper.reporter.Reporter` (the default) hands batches to the shipper process, `sender.Sender`
sends from this process (PRIMUS_LENS_WANDB_SENDER=thread, the fallback, and inside the shipper
itself). Both are a `ReporterBase`, which owns what they do alike:

- the bounded queue and the thread that works it (worker.py), and what is said when it is full;
- the process's identity, rebuilt in a forked child along with everything else per process;
- detection requests (built on the worker thread: versions and GPU probes cost milliseconds);
- run ends, flushes drawing on the exit budget, and shutdown within the exit window
  (deadline.py), ending with the `Stopped. Stats` line;
- internal errors: counted, said once, never raised into the training loop.

A subclass says what the worker does with a batch (`_export`), how much an item weighs
(`_weigh`), how to wait for delivery (`_flush`) and how shutdown ends (`_shutdown`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Callable, Dict, Optional

from primus_lens_wandb_exporter import output
from primus_lens_wandb_exporter.collect.identity import build as identity_from_env
from primus_lens_wandb_exporter.config import Config
from primus_lens_wandb_exporter.model import Identity, RunEnd, RunInfo
from primus_lens_wandb_exporter.report.deadline import ExitWindow, TailBudget
from primus_lens_wandb_exporter.report.stats import Stats, stopped_lines
from primus_lens_wandb_exporter.report.worker import BatchWorker

WORKER_THREAD = "PrimusLensReporter"


@dataclass(frozen=True)
class DetectionRequest:
    """A detection report whose body `build()` makes on the worker thread."""

    build: Callable[[], Dict[str, Any]]


class QueueOverflow:
    """A BatchWorker's on_drop: weightless control items (run ends, detections) go back in the
    queue, points are shed, and the first shedding is said once. Runs on the training thread,
    so after that first time it takes no lock and does no I/O."""

    def __init__(self, queue_size: int) -> None:
        self._queue_size = queue_size
        self.worker: Optional[BatchWorker[Any]] = None  # set once the worker exists
        self.said = False

    def __call__(self, item: Any, weight: int) -> None:
        if weight == 0:
            if self.worker is not None:
                self.worker.requeue(item)
            return
        if self.said:
            return
        self.said = True
        output.error_once(
            "queue-full",
            output.REPORTER,
            "Queue full (PRIMUS_LENS_WANDB_QUEUE_SIZE=%d points): dropping the oldest; see 'dropped' in the stats"
            % self._queue_size,
        )


class ReporterBase:
    def __init__(
        self,
        config: Config,
        identity_provider: Optional[Callable[[], Identity]],
        batch_weight: int,
        interval_s: float,
        before_drain: Optional[Callable[[], None]] = None,
        holds: Optional[Callable[[], bool]] = None,
        announce: bool = True,
    ) -> None:
        self.config = config
        self._announce = announce  # this is the process's reporter: it prints the Stopped line
        self._identity_provider = identity_provider or identity_from_env
        self._overflow = QueueOverflow(config.queue_size)
        self._worker: BatchWorker[Any] = BatchWorker(
            WORKER_THREAD,
            export=self._export,
            weigh=self._weigh,
            on_drop=self._overflow,
            on_error=self._on_internal_error,
            max_weight=config.queue_size,
            batch_weight=batch_weight,
            interval_s=interval_s,
            before_drain=before_drain,
            holds=holds,
        )
        self._overflow.worker = self._worker
        self._fresh_process_state()

    def _fresh_process_state(self) -> None:
        """Everything that belongs to one process (called again in a forked child)."""
        self._stats = Stats()
        self._closed = False
        # A forked DataLoader/Pool worker that never logs must stay silent at exit: only a process
        # that handed us something prints the Stopped line.
        self._used = False
        self._identity: Optional[Identity] = None
        self._overflow.said = False
        self._budget = TailBudget(self.config.exit_timeout_s)

    def reset_after_fork(self) -> None:
        # No locks taken, nothing printed: another thread may have held either at fork time.
        self._worker.reset_after_fork()
        self._fresh_process_state()

    def identity(self) -> Identity:
        if self._identity is None:
            self._identity = self._identity_provider()
        return self._identity

    # ---- the hook's interface (training thread) -----------------------------------------------

    def submit_detection(self, build: Callable[[], Dict[str, Any]]) -> None:
        try:
            if not self._closed:
                self._used = True
                self._worker.submit(DetectionRequest(build), 0)
                self._worker.flush(0.0)  # detection is rare and wanted now: wake the worker
        except Exception as exc:
            self._on_internal_error(exc)

    def run_end(self, end: RunEnd) -> None:
        """Queues a run's end behind its rows, without waiting (the shipper: its parent asks for
        the flush)."""
        try:
            if not self._closed:
                self._used = True
                self._seal()
                self._worker.submit(end, 0)
        except Exception as exc:
            self._on_internal_error(exc)

    def run_finished(self, run: RunInfo, exit_code: Optional[int]) -> None:
        self.run_end(RunEnd(run, exit_code, time.time()))
        if not self._closed:
            self.flush_within_budget()

    def flush(self, timeout_s: float) -> bool:
        """Waits until everything submitted so far is delivered (or spooled); False at the timeout."""
        try:
            return self._flush(timeout_s)
        except Exception as exc:
            self._on_internal_error(exc)
            return False

    def flush_within_budget(self) -> bool:
        """Flush, drawing on the exit budget (run finish, SIGTERM); leaves the spool reserve."""
        return self._budget.flush_within(self.flush, self._worker.in_weight)

    def stats(self) -> Dict[str, int]:
        return self._stats.as_dict(self._worker.dropped_weight)

    @property
    def used(self) -> bool:
        """Something was handed to it, or it delivered an earlier job's spool: worth a Stats line."""
        return self._used or any(self.stats().values())

    # ---- exit -----------------------------------------------------------------------------------

    def shutdown(self, timeout_s: Optional[float] = None) -> None:
        """Deliver what is queued until the exit deadline (the rest goes to the spool), then print
        the stats when this is the process's reporter. Idempotent; never waits past the deadline.
        `timeout_s` replaces what is left of the exit budget (the shipper, told by its parent)."""
        if self._closed:
            return
        self._closed = True
        helper_used = False
        try:
            helper_used = self._shutdown(self._budget.window(timeout_s, self._worker.in_weight))
        except Exception as exc:
            self._on_internal_error(exc)
        if self._announce and (helper_used or self.used):
            for line in stopped_lines(self.stats()):
                output.info(output.REPORTER, line)

    # ---- what a subclass provides -------------------------------------------------------------

    @staticmethod
    def _weigh(item: Any) -> int:
        raise NotImplementedError

    def _export(self, chunk: Any) -> None:
        """On the worker thread: do what this reporter does with a batch."""
        raise NotImplementedError

    def _flush(self, timeout_s: float) -> bool:
        raise NotImplementedError

    def _shutdown(self, window: ExitWindow) -> bool:
        """Ends sending within `window`; True when a helper process had something to report."""
        raise NotImplementedError

    def _seal(self) -> None:
        """Puts what the reporter gathers outside the queue into it, so a run's end or a flush
        comes after every row submitted before it."""

    # ---- worker thread: what both say and count -----------------------------------------------

    def _build_detection(
        self, request: DetectionRequest, convert: Optional[Callable[[Dict[str, Any]], Dict[str, Any]]] = None
    ) -> Optional[Dict[str, Any]]:
        """The detection body (passed through `convert`), or None, counted and said once, when
        building it failed."""
        try:
            body = request.build()
            return body if convert is None else convert(body)
        except Exception as exc:
            self._stats.errors += 1
            output.error_once("detection-build", output.REPORTER, "Failed to build framework detection: %s" % exc)
            return None

    def _on_bad_value(self, name: str, exc: BaseException) -> None:
        """A snapshot float() cannot read: its point is skipped, counted, and said once."""
        self._stats.errors += 1
        output.debug_once("bad-value-" + name, output.REPORTER, "Cannot read %r as a number: %s" % (name, exc))

    def _on_internal_error(self, exc: BaseException) -> None:
        self._stats.errors += 1
        output.error_once("internal-" + type(exc).__name__, output.REPORTER, "Worker error: %r" % (exc,))
