"""The reporter the hook talks to when sending runs in the shipper process (the default).

On the training thread, submit_plain marshals a row of plain numbers (one C call, while the row
is still in the CPU's cache: the same call on the worker thread, batches later, measured 4x
slower) and appends the bytes to the open block of its run. A full block (or one the worker finds
open when it wakes) is one item of the bounded queue, so the worker's per-item Python runs once
per ~2,000 points, not per row. The worker hands each batch over (handoff.py): that is all the
Python this process spends per point; JSON, gzip, HTTP, retries and the spool run in the shipper.

The final `Stopped. Stats` line adds this process's own counts (queue drops, values that could
not be read) to the shipper's, and to those of the in-process Sender that takes over when the
shipper cannot run.
"""

from __future__ import annotations

import threading
import time
from typing import Any, Callable, Dict, List, Optional

from primus_lens_wandb_exporter.collect.values import is_plain
from primus_lens_wandb_exporter.config import Config
from primus_lens_wandb_exporter.model import Identity, Row, RunInfo
from primus_lens_wandb_exporter.report.base import ReporterBase
from primus_lens_wandb_exporter.report.deadline import ExitWindow
from primus_lens_wandb_exporter.report.shipper import frames
from primus_lens_wandb_exporter.report.shipper.handoff import Handoff, Item
from primus_lens_wandb_exporter.report.stats import added

# Hand-off batches are larger than HTTP batches: one marshal + one write per batch is the whole
# per-batch cost here, and the shipper re-batches to PRIMUS_LENS_WANDB_BATCH_SIZE anyway.
HANDOFF_MIN_POINTS = 2000
# ...and leave promptly, so a crash of this process loses at most this much to the shipper.
HANDOFF_INTERVAL_S = 0.25

_dumps = frames.dump_row


class Reporter(ReporterBase):
    def __init__(self, config: Config, identity_provider: Optional[Callable[[], Identity]] = None) -> None:
        # At most a quarter of the queue sits in one block, so dropping the oldest block when the
        # queue is full still keeps the newest three quarters.
        self._block_points = max(1, min(HANDOFF_MIN_POINTS, config.queue_size // 4))
        super().__init__(
            config,
            identity_provider,
            batch_weight=max(config.batch_size, HANDOFF_MIN_POINTS),
            interval_s=min(config.flush_interval_s, HANDOFF_INTERVAL_S),
            before_drain=self._seal,
            holds=self._holds_blocks,
        )

    def _fresh_process_state(self) -> None:
        super()._fresh_process_state()
        self._handoff = Handoff(self.config, self.identity, self._stats, self._build_detection, self._on_bad_value)
        # One open block per run (two live runs may log alternately); `_block` is the last one
        # used, the common case. A block belongs to the queue once sealed.
        self._blocks: Dict[int, frames.Block] = {}
        self._block: Optional[frames.Block] = None
        # Re-entrant: the opt-in SIGTERM handler flushes (and so seals) on the main thread,
        # possibly while the code it interrupted is inside submit_plain.
        self._block_lock = threading.RLock()

    def reset_after_fork(self) -> None:
        self._handoff.reset_after_fork()
        super().reset_after_fork()

    @property
    def shipper_pid(self) -> Optional[int]:
        return self._handoff.shipper_pid

    # ---- the hook's interface (training thread) -----------------------------------------------

    def submit_plain(self, run: RunInfo, step: int, timestamp: float, values: Dict[str, Any]) -> None:
        """A dict of exact Python numbers, read before this returns (the caller may change it)."""
        try:
            if self._closed:
                self._stats.dropped += len(values)
                return
            data = _dumps((step, timestamp, values))
            lock = self._block_lock
            lock.acquire()  # not `with`: half the cost, on every row
            try:
                block = self._block
                if block is None or block.run is not run:
                    block = self._block_for(run)
                block.rows.append(data)
                block.points += len(values)
                if block.points >= self._block_points:
                    self._seal_block(block)
            finally:
                lock.release()
        except Exception as exc:
            self._on_internal_error(exc)

    def submit_row(self, row: Row) -> None:
        try:
            items = row.items
            if self._closed:
                self._stats.dropped += len(items)
                return
            if type(items) is dict and is_plain(items):  # marshal would take a numpy array as raw bytes
                self.submit_plain(row.run, row.step, row.timestamp, items)
                return
            self._used = True
            self._seal()  # keeps this run's rows in order
            self._worker.submit(row, len(items))  # numpy/torch snapshots: float() on the worker
        except Exception as exc:
            self._on_internal_error(exc)

    def _block_for(self, run: RunInfo) -> frames.Block:
        """With the block lock held: the open block of `run`, opened if need be. Opening one
        wakes the worker, so that a block that never fills still leaves within the interval."""
        block = self._blocks.get(id(run))
        if block is None or block.run is not run:
            self._used = True
            block = self._blocks[id(run)] = frames.Block(run)
            self._worker.poke()
        self._block = block
        return block

    def _seal_block(self, block: frames.Block) -> None:
        # Queued before it is let go: a signal handler sealing in between can at worst queue it
        # twice, which the server's point keys make harmless; it is never lost.
        if block.rows:
            self._worker.submit(block, block.points)
        if self._blocks.get(id(block.run)) is block:
            del self._blocks[id(block.run)]
        if self._block is block:
            self._block = None

    def _holds_blocks(self) -> bool:
        return bool(self._blocks)  # read without the lock: a dict's truth is one atomic look

    def _seal(self) -> None:
        """Puts the open blocks in the queue (worker wake-up, flush, run end, exit)."""
        with self._block_lock:
            for block in list(self._blocks.values()):
                self._seal_block(block)

    @staticmethod
    def _weigh(item: Item) -> int:
        if type(item) is frames.Block:
            return item.points
        return len(item.items) if type(item) is Row else 0

    # ---- flush, stats, exit ---------------------------------------------------------------------

    def _flush(self, timeout_s: float) -> bool:
        """Hands over everything queued, then waits until it is delivered (or spooled)."""
        deadline = time.monotonic() + timeout_s
        self._seal()
        handed = self._worker.flush(timeout_s)
        return self._handoff.flush(max(0.0, deadline - time.monotonic())) and handed

    def stats(self) -> Dict[str, int]:
        return added([super().stats()] + self._handoff.stats_parts())

    def _shutdown(self, window: ExitWindow) -> bool:
        """Hands over what is queued and lets the shipper send it until the exit deadline (it
        spools the rest)."""
        self._handoff.exiting = True
        self._seal()
        if self._worker.thread_alive():
            self._worker.stop(window.left_s())
        else:
            self._worker.drain_inline()
        leftovers = self._worker.take_all()
        if leftovers:
            self._export(leftovers)
        return self._handoff.stop(window.left_s())

    def _export(self, chunk: List[Item]) -> None:
        self._handoff.send(chunk)
