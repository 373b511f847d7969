"""The reporter the hook talks to when sending runs in the shipper process (the default).

On the training thread, submit_plain marshals a row of plain numbers (one C call, while the row
is still in the CPU's cache: the same call on the worker thread, batches later, measured 4x
slower) and appends the bytes to the open block of its run. A full block (or one the worker finds
open when it wakes) is one item of the bounded queue, so the worker's per-item Python runs once
per ~2,000 points, not per row. The worker turns other snapshots into floats (float() of a tensor
copy syncs its device: never on the training thread) and writes each batch to the shipper's
pipe. That is all the Python this process spends per point; JSON, gzip, HTTP, retries and the
spool run in the shipper.

When the shipper cannot start or dies, the same items go to an in-process Sender instead (the
PRIMUS_LENS_WANDB_SENDER=thread path), said once: sending slows training a little but nothing
is lost. The final `Stopped. Stats` line adds this process's own counts (queue drops, values that
could not be read) to the shipper's.
"""
from __future__ import annotations

import dataclasses
import json
import threading
import time
from typing import Any, Callable, Dict, List, Optional, Union

from primus_lens_wandb_exporter import output
from primus_lens_wandb_exporter.collect.values import is_plain
from primus_lens_wandb_exporter.config import Config
from primus_lens_wandb_exporter.model import Identity, Row, RunInfo
from primus_lens_wandb_exporter.report import encode, frames, identity as default_identity
from primus_lens_wandb_exporter.report.link import ShipperLink
from primus_lens_wandb_exporter.report.sender import Sender
from primus_lens_wandb_exporter.report.stats import QueueOverflow, TailBudget, spool_reserve_s, stopped_lines
from primus_lens_wandb_exporter.report.worker import BatchWorker

# Hand-off batches are larger than HTTP batches: one marshal + one write per batch is the whole
# per-batch cost here, and the shipper re-batches to PRIMUS_LENS_WANDB_BATCH_SIZE anyway.
HANDOFF_MIN_POINTS = 2000
# ...and leave promptly, so a crash of this process loses at most this much to the shipper.
HANDOFF_INTERVAL_S = 0.25
START_TIMEOUT_S = 20.0  # a cold interpreter on a busy node; the queue holds data meanwhile
WRITE_TIMEOUT_S = 10.0  # a shipper that reads nothing for this long is hung


@dataclasses.dataclass(frozen=True)
class _Detection:
    build: Callable[[], Dict[str, Any]]


class _Block:
    """Consecutive plain rows of one run, each marshalled as a (step, timestamp, values) entry."""

    __slots__ = ("run", "rows", "points")

    def __init__(self, run: RunInfo) -> None:
        self.run = run
        self.rows: List[bytes] = []
        self.points = 0


Item = Union[_Block, Row, encode.RunEnd, _Detection]


def _weigh(item: Item) -> int:
    kind = type(item)
    if kind is _Block:
        return item.points  # type: ignore[union-attr]
    return len(item.items) if kind is Row else 0  # type: ignore[union-attr]


_dumps = frames.dump_row


class Reporter:
    def __init__(self, config: Config, identity_provider: Optional[Callable[[], Identity]] = None) -> None:
        self.config = config
        self._identity_provider = identity_provider or default_identity.from_env
        self._overflow = QueueOverflow(config.queue_size)
        self._worker: BatchWorker[Item] = BatchWorker(
            "PrimusLensReporter",
            export=self._hand_off,
            weigh=_weigh,
            on_drop=self._overflow,
            on_error=self._on_internal_error,
            max_weight=config.queue_size,
            batch_weight=max(config.batch_size, HANDOFF_MIN_POINTS),
            interval_s=min(config.flush_interval_s, HANDOFF_INTERVAL_S),
            before_drain=self._seal,
            holds=self._holds_blocks,
        )
        # At most a quarter of the queue sits in one block, so dropping the oldest block when the
        # queue is full still keeps the newest three quarters.
        self._block_points = max(1, min(HANDOFF_MIN_POINTS, config.queue_size // 4))
        self._overflow.worker = self._worker
        self._fresh_process_state()

    def _fresh_process_state(self) -> None:
        """Everything that belongs to one process (called again in a forked child)."""
        self._closed = False
        self._exiting = False
        self._used = False
        self._identity: Optional[Identity] = None
        self._link: Optional[ShipperLink] = None
        self._fallback: Optional[Sender] = None
        self._shipper_stats: Dict[str, int] = {}
        self._errors = 0  # this process's own: values float() could not read, internal failures
        self._dropped = 0  # submitted after shutdown
        self._overflow.said = False
        self._budget = TailBudget(self.config.exit_timeout_s)
        # One open block per run (two live runs may log alternately); `_block` is the last one
        # used, the common case. A block belongs to the queue once sealed.
        self._blocks: Dict[int, _Block] = {}
        self._block: Optional[_Block] = None
        # Re-entrant: the opt-in SIGTERM handler flushes (and so seals) on the main thread,
        # possibly while the code it interrupted is inside submit_plain.
        self._block_lock = threading.RLock()

    def reset_after_fork(self) -> None:
        # No locks taken, nothing printed, no signal to the parent's shipper: it is not ours.
        if self._link is not None:
            self._link.forget()
        if self._fallback is not None:
            self._fallback.reset_after_fork()
        self._worker.reset_after_fork()
        self._fresh_process_state()

    def identity(self) -> Identity:
        if self._identity is None:
            self._identity = self._identity_provider()
        return self._identity

    @property
    def shipper_pid(self) -> Optional[int]:
        link = self._link
        return link.pid if link is not None and link.alive else None

    # ---- the hook's interface (training thread) -----------------------------------------------

    def submit_plain(self, run: RunInfo, step: int, timestamp: float, values: Dict[str, Any]) -> None:
        """A dict of exact Python numbers, read before this returns (the caller may change it)."""
        try:
            if self._closed:
                self._dropped += len(values)
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
                self._dropped += len(items)
                return
            if type(items) is dict and is_plain(items):  # marshal would take a numpy array as raw bytes
                self.submit_plain(row.run, row.step, row.timestamp, items)
                return
            self._used = True
            self._seal()  # keeps this run's rows in order
            self._worker.submit(row, len(items))  # numpy/torch snapshots: float() on the worker
        except Exception as exc:
            self._on_internal_error(exc)

    def _block_for(self, run: RunInfo) -> _Block:
        """With the block lock held: the open block of `run`, opened if need be. Opening one
        wakes the worker, so that a block that never fills still leaves within the interval."""
        block = self._blocks.get(id(run))
        if block is None or block.run is not run:
            self._used = True
            block = self._blocks[id(run)] = _Block(run)
            self._worker.poke()
        self._block = block
        return block

    def _seal_block(self, block: _Block) -> None:
        # Queued before it is let go: a signal handler sealing in between can at worst queue it
        # twice, which the server's point keys make harmless; it is never lost.
        if block.rows:
            self._worker.submit(block, block.points)
        if self._blocks.get(id(block.run)) is block:
            del self._blocks[id(block.run)]
        if self._block is block:
            self._block = None

    def _seal_locked(self) -> None:
        for block in list(self._blocks.values()):
            self._seal_block(block)

    def _holds_blocks(self) -> bool:
        return bool(self._blocks)  # read without the lock: a dict's truth is one atomic look

    def _seal(self) -> None:
        """Puts the open blocks in the queue (worker wake-up, flush, run end, exit)."""
        with self._block_lock:
            self._seal_locked()

    def submit_detection(self, build: Callable[[], Dict[str, Any]]) -> None:
        try:
            if not self._closed:
                self._used = True
                self._worker.submit(_Detection(build), 0)
                self._worker.flush(0.0)  # rare and wanted now: wake the worker
        except Exception as exc:
            self._on_internal_error(exc)

    def run_finished(self, run: RunInfo, exit_code: Optional[int]) -> None:
        try:
            if not self._closed:
                self._used = True
                self._seal()
                self._worker.submit(encode.RunEnd(run, exit_code, time.time()), 0)
                self.flush_within_budget()
        except Exception as exc:
            self._on_internal_error(exc)

    def flush(self, timeout_s: float) -> bool:
        """Hands over everything queued, then waits until it is delivered (or spooled)."""
        try:
            deadline = time.monotonic() + timeout_s
            self._seal()
            handed = self._worker.flush(timeout_s)
            fallback, link = self._fallback, self._link
            left = max(0.0, deadline - time.monotonic())
            if fallback is not None:
                return fallback.flush(left) and handed
            if link is None or not link.alive:
                return handed
            reply = link.flush(left)
            if reply is None:
                return False
            self._shipper_stats = reply[3]
            return bool(reply[2]) and handed
        except Exception as exc:
            self._on_internal_error(exc)
            return False

    def flush_within_budget(self) -> bool:
        """Flush, drawing on the exit budget (run finish, SIGTERM); leaves the spool reserve."""
        return self._budget.flush_within(self.flush, self._worker.in_weight)

    def stats(self) -> Dict[str, int]:
        base = {k: 0 for k in ("detection_sent", "metrics_sent", "errors", "points_sent", "retries",
                               "dropped", "spooled", "replayed", "pending")}
        for source in (self._shipper_stats, self._fallback.stats() if self._fallback is not None else {}):
            for key, value in source.items():
                base[key] = base.get(key, 0) + value
        base["errors"] += self._errors
        base["dropped"] += self._dropped + self._worker.dropped_weight
        return base

    # ---- exit -----------------------------------------------------------------------------------

    def shutdown(self, timeout_s: Optional[float] = None) -> None:
        """Hand over what is queued, let the shipper send it until the exit deadline (it spools
        the rest), print the stats. Idempotent; never waits past the deadline."""
        if self._closed:
            return
        self._closed = True
        shipper_used = False
        try:
            shipper_used = self._shutdown(timeout_s)
        except Exception as exc:
            self._on_internal_error(exc)
        if self._used or shipper_used or any(self.stats().values()):
            for line in stopped_lines(self.stats()):
                output.info(output.REPORTER, line)

    def _shutdown(self, timeout_s: Optional[float]) -> bool:
        budget = self._budget.remaining_s(self._worker.in_weight) if timeout_s is None else max(0.0, timeout_s)
        deadline = time.monotonic() + budget
        self._exiting = True  # from here on, no new shipper: starting an interpreter would eat the budget
        self._seal()
        if self._worker.thread_alive():
            self._worker.stop(budget)
        else:
            self._worker.drain_inline()
        leftovers = self._worker.take_all()
        if leftovers:
            self._hand_off(leftovers)
        left = max(0.0, deadline - time.monotonic())
        if self._fallback is not None:
            self._fallback.shutdown(left)
        link = self._link
        if link is None or not link.alive:
            return False
        # The shipper gets the budget minus the time a reply and its exit take to arrive.
        reply = link.stop(max(0.0, left - 0.2), left + 0.3)
        if reply is None:
            self._errors += 1
            output.error_once("shipper-stop", output.REPORTER, "Shipper did not finish in time: %s" % (link.failure or "no reply"))
            return False
        self._shipper_stats = reply[1]
        return bool(reply[2])

    # ---- worker thread --------------------------------------------------------------------------

    def _hand_off(self, chunk: List[Item]) -> None:
        fallback = self._fallback
        if fallback is None:
            link = self._link_or_none()
            if link is not None:
                entries = self._entries(chunk)
                if link.send(frames.pack(("items", entries)), WRITE_TIMEOUT_S):
                    return
            fallback = self._start_fallback()
        for item in chunk:
            if type(item) is _Block:
                run = item.run
                for step, timestamp, items in frames.load_rows(item.rows):
                    fallback.submit_row(Row(run, step, timestamp, items))
            elif type(item) is Row:
                fallback.submit_row(item)
            elif isinstance(item, _Detection):
                fallback.submit_detection(item.build)
            else:
                fallback.run_end(item)

    def _link_or_none(self) -> Optional[ShipperLink]:
        link = self._link
        if link is not None:
            return link if link.alive else None
        if self.config.sender != "process" or not self.config.api_reporting or self._exiting:
            return None
        link = self._link = ShipperLink(self.config, self.identity())
        if not link.start(START_TIMEOUT_S):
            return None
        output.debug(output.REPORTER, "Shipper process %s started" % link.pid)
        return link

    def _start_fallback(self) -> Sender:
        if self._fallback is None:
            link = self._link
            if link is not None and link.failure:
                output.error_once(
                    "shipper-lost", output.REPORTER,
                    "Shipper process unavailable (%s); sending from the training process" % link.failure,
                )
            self._fallback = Sender(self.config, self.identity, announce=False)
        return self._fallback

    def _entries(self, chunk: List[Item]) -> List[Any]:
        entries: List[Any] = []
        append = entries.append
        for item in chunk:
            if type(item) is _Block:
                run = item.run
                append(("b", run.id, run.project, run.name, item.rows))
            elif type(item) is Row:
                run = item.run
                items = item.items
                if not is_plain(items):
                    items = self._floats(items)
                append(("r", run.id, run.project, run.name, item.step, item.timestamp, items))
            elif isinstance(item, encode.RunEnd):
                run = item.run
                append(("e", run.id, run.project, run.name, item.exit_code, item.finished_at))
            else:
                body = self._build(item)
                if body is not None:
                    append(("d", body))
        return entries

    def _floats(self, items: Any) -> Dict[str, float]:
        out: Dict[str, float] = {}
        for name, raw in items.items():
            try:
                out[name] = float(raw)
            except Exception as exc:  # a snapshot float() cannot read: skip the point, say once
                self._errors += 1
                output.debug_once("bad-value-" + name, output.REPORTER, "Cannot read %r as a number: %s" % (name, exc))
        return out

    def _build(self, item: _Detection) -> Optional[Dict[str, Any]]:
        try:
            body = item.build()
            try:
                frames.pack(body)  # marshal takes plain types only; find out here, not mid-batch
            except ValueError:  # a str/int subclass somewhere in the evidence: as JSON sees it
                body = json.loads(json.dumps(body, default=str))
            return body
        except Exception as exc:
            self._errors += 1
            output.error_once("detection-build", output.REPORTER, "Failed to build framework detection: %s" % exc)
            return None

    # ---- accounting callbacks -------------------------------------------------------------------

    def _on_internal_error(self, exc: BaseException) -> None:
        self._errors += 1
        output.error_once("internal-" + type(exc).__name__, output.REPORTER, "Worker error: %r" % (exc,))
