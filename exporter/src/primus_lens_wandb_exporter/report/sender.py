"""The sender: batches of rows to wire-format bodies (encode.py), bodies to the server or the spool
(outbox.py), rows to the local JSONL file (local_save.py).

It runs in the shipper process (shipper/process.py) by default, or inside the training process
when PRIMUS_LENS_WANDB_SENDER=thread or the shipper cannot run. Either way submit_* only append to
the worker's deque; everything else (float() of snapshots, detection build(), JSON, gzip, HTTP,
disk) runs on the worker thread, or, at exit, on the thread that runs the exit handler, bounded
by the exit deadline.
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any, Callable, Dict, List, Optional, Union

from primus_lens_wandb_exporter import output
from primus_lens_wandb_exporter.collect.identity import wire_fields
from primus_lens_wandb_exporter.config import Config
from primus_lens_wandb_exporter.model import Identity, Row, RunEnd, RunInfo
from primus_lens_wandb_exporter.report import encode
from primus_lens_wandb_exporter.report.base import DetectionRequest, ReporterBase
from primus_lens_wandb_exporter.report.deadline import ExitClock, ExitWindow
from primus_lens_wandb_exporter.report.local_save import LocalWriter
from primus_lens_wandb_exporter.report.outbox import Outbox
from primus_lens_wandb_exporter.report.retry import Delivery
from primus_lens_wandb_exporter.report.spool import Spool, SpoolEntry
from primus_lens_wandb_exporter.report.transport import HttpTransport

Item = Union[Row, RunEnd, DetectionRequest]


def exporter_version() -> str:
    package = sys.modules.get("primus_lens_wandb_exporter")
    return str(getattr(package, "__version__", "0+unknown"))


class Sender(ReporterBase):
    def __init__(
        self, config: Config, identity_provider: Optional[Callable[[], Identity]] = None, announce: bool = True
    ) -> None:
        self._spool = Spool(config.spool_dir, config.spool_max_mb * 1024 * 1024, self._on_evict)
        super().__init__(
            config,
            identity_provider,
            batch_weight=config.batch_size,
            interval_s=config.flush_interval_s,
            announce=announce,
        )

    def _fresh_process_state(self) -> None:
        super()._fresh_process_state()
        config = self.config
        self._batch_prefix = os.urandom(6).hex()
        self._batch_seq = 0
        self._exit = ExitClock()
        self._transport = HttpTransport(
            config.api_base_url, config.api_token, "primus-lens-wandb-exporter/" + exporter_version()
        )
        self._delivery = Delivery(
            self._transport, config.timeout_s, config.retry_window_s, self._exit, self._worker.under_pressure
        )
        self._outbox = Outbox(
            self._delivery, self._spool, self._exit, self._stats, config.api_base_url, bool(config.api_token)
        )
        saves_local = config.save_local and bool(config.output_path)
        self._local = LocalWriter(config.output_path, self.identity) if saves_local else None

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

    @staticmethod
    def _weigh(item: Item) -> int:
        return len(item.items) if isinstance(item, Row) else 0

    def _flush(self, timeout_s: float) -> bool:
        return self._worker.flush(timeout_s)

    # ---- exit -----------------------------------------------------------------------------------

    def _shutdown(self, window: ExitWindow) -> bool:
        self._exit.begin(window.send_until)
        if self._worker.thread_alive():
            if not self._worker.stop(window.send_until - time.monotonic()):
                self._transport.abort()  # a server that accepted and never answers
                self._worker.stop(window.left_s())
        else:
            self._worker.drain_inline()
        leftovers = self._worker.take_all()
        if leftovers:
            self._export(leftovers)  # the deadline has passed: the outbox only spools now
        self._transport.close()
        if self._local is not None:
            self._local.close()
        return False

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
            if isinstance(item, DetectionRequest):
                body = self._build_detection(item)
                if body is not None:
                    self._outbox.send("detection", body)
        base = wire_fields(self.identity(), exporter_version())
        series = [item for item in chunk if not isinstance(item, DetectionRequest)]
        for body in encode.metrics_bodies(
            series, base, self.config.batch_size, self._next_batch_id, self._on_bad_value
        ):
            self._outbox.send("metrics", body)

    def _next_batch_id(self) -> str:
        self._batch_seq += 1
        return "%s-%d-%d" % (self._batch_prefix, os.getpid(), self._batch_seq)

    def _on_evict(self, entry: SpoolEntry) -> None:
        self._stats.dropped += entry.points
        output.error_once(
            "spool-full", output.REPORTER, "Spool %s is full: dropping its oldest data" % self._spool.directory
        )
