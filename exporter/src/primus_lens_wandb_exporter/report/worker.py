"""A generic batching worker: one bounded queue, one daemon thread, nothing about HTTP.

The training thread only appends to a deque (no lock: `deque.append`/`popleft` are atomic in
CPython) and bumps counters it alone writes. The worker thread sleeps on an Event, so it is woken
by the first item after an idle spell, by a full batch, by `flush()` or by `stop()`, and otherwise
by the flush interval; there is no polling loop and no wake-up at all while the queue is empty.

Memory is bounded by weight (metric points): when the queue holds more than `max_weight`, the
training thread drops the OLDEST items and reports each to `on_drop`, so the newest data (the part
an operator looks at when a job goes wrong) survives a long outage.
"""

from __future__ import annotations

import threading
from collections import deque
from typing import Any, Callable, Deque, Generic, List, Optional, TypeVar

T = TypeVar("T")


class _FlushMarker:
    """Queued by flush(): once the worker reaches it, everything queued before it was handled."""

    __slots__ = ("done",)

    def __init__(self) -> None:
        self.done = threading.Event()


class _NoThread:
    """Stands in for the thread when one cannot start (Python >= 3.12 at interpreter exit)."""

    def is_alive(self) -> bool:
        return False

    def join(self, timeout: Optional[float] = None) -> None:
        return None


class BatchWorker(Generic[T]):
    def __init__(
        self,
        name: str,
        export: Callable[[List[T]], None],
        weigh: Callable[[T], int],
        on_drop: Callable[[T, int], None],
        on_error: Callable[[BaseException], None],
        max_weight: int,
        batch_weight: int,
        interval_s: float,
        before_drain: Optional[Callable[[], None]] = None,
        holds: Optional[Callable[[], bool]] = None,
    ) -> None:
        self._name = name
        self._export = export
        self._weigh = weigh
        self._on_drop = on_drop
        self._on_error = on_error
        self._max_weight = max(1, max_weight)
        self._batch_weight = max(1, batch_weight)
        self._interval_s = interval_s
        # Lets the owner hand over what it gathers outside the queue (an open block of rows)
        # each time the worker drains.
        self._before_drain = before_drain
        # True while the owner holds such items: then an empty queue is no reason to sleep for
        # good, only for one interval.
        self._holds = holds
        self.reset_after_fork()

    def reset_after_fork(self) -> None:
        """Fresh queue, event and counters; the thread restarts lazily on the next submit.

        Called in a forked child: the parent's items are the parent's to send (sending them here
        too would duplicate them), the parent's thread does not exist here and must not be
        joined, and any lock it held at fork time is replaced rather than acquired.
        """
        self._queue: Deque[Any] = deque()
        self._wake = threading.Event()
        self._thread: Any = None
        self._start_lock = threading.Lock()  # taken once per process, never on the hot path
        self._idle = False
        self._urgent = False
        self._stopping = False
        # Each counter has one writer, so they need no lock: in = submitters, out = worker,
        # dropped = the submitter that found the queue over its bound.
        self.in_weight = 0
        self.out_weight = 0
        self.dropped_weight = 0

    # ---- training-thread side -------------------------------------------------------------

    def submit(self, item: T, weight: int) -> None:
        if self._thread is None:
            self._start()
        self._queue.append(item)
        self.in_weight += weight
        pending = self.in_weight - self.out_weight - self.dropped_weight
        if pending > self._max_weight:
            self._drop_oldest()
        if (self._idle or pending >= self._batch_weight) and not self._wake.is_set():
            self._wake.set()

    def pending_weight(self) -> int:
        return self.in_weight - self.out_weight - self.dropped_weight

    def under_pressure(self) -> bool:
        """More than half full: the caller should stop waiting on a slow sink and shed to disk."""
        return self.pending_weight() * 2 > self._max_weight

    def _drop_oldest(self) -> None:
        # Bounded by the queue length: items of weight 0 that on_drop re-queues cannot loop us.
        for _ in range(len(self._queue) + 1):
            if self.in_weight - self.out_weight - self.dropped_weight <= self._max_weight:
                return
            try:
                item = self._queue.popleft()
            except IndexError:
                return
            if isinstance(item, _FlushMarker):
                item.done.set()  # what it waited for is handled: sent, or dropped and counted
                continue
            weight = self._weigh(item)
            self.dropped_weight += weight
            self._on_drop(item, weight)

    def poke(self) -> None:
        """The owner now holds items outside the queue: start the thread if need be, and wake it
        if it sleeps for good. Call after `holds()` turned true; a thread that is not asleep
        checks `holds()` before it next sleeps, so it drains them within the interval."""
        if self._thread is None:
            self._start()
        elif self._idle and not self._wake.is_set():
            self._wake.set()

    def requeue(self, item: T) -> None:
        """For on_drop: put a weightless control item (run end, detection) back at the tail."""
        self._queue.append(item)

    def _start(self) -> None:
        with self._start_lock:  # two threads logging their first row must not start two workers
            if self._thread is not None:
                return
            thread = threading.Thread(target=self._run, name=self._name, daemon=True)
            try:
                thread.start()
            except RuntimeError:
                # "can't create new thread at interpreter shutdown": items wait for drain_inline().
                self._thread = _NoThread()
                return
            self._thread = thread

    # ---- control ---------------------------------------------------------------------------

    def flush(self, timeout_s: float) -> bool:
        """Wait until everything queued before this call was exported (or dropped)."""
        marker = _FlushMarker()
        self._queue.append(marker)
        if self._thread is None:
            self._start()
        if not self._thread.is_alive():
            self.drain_inline()
            return marker.done.is_set()
        self._urgent = True
        self._wake.set()
        return marker.done.wait(max(0.0, timeout_s))

    def stop(self, timeout_s: float) -> bool:
        """Ask the thread to drain everything and end; True when it ended within timeout_s."""
        self._stopping = True
        self._wake.set()
        thread = self._thread
        if thread is None or not thread.is_alive():
            return True
        thread.join(max(0.0, timeout_s))
        return not thread.is_alive()

    def thread_alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def drain_inline(self) -> None:
        """Export on the calling thread: used when no worker thread can run (exit paths)."""
        self._drain()

    def take_all(self) -> List[T]:
        """Remove and return what is still queued (flush markers are released, not returned)."""
        items: List[T] = []
        while True:
            try:
                item = self._queue.popleft()
            except IndexError:
                return items
            if isinstance(item, _FlushMarker):
                item.done.set()
            else:
                self.out_weight += self._weigh(item)
                items.append(item)

    # ---- worker-thread side ----------------------------------------------------------------

    def _run(self) -> None:
        while True:
            # State, not the Event, is the truth; the Event only ends a sleep early.
            self._idle = True
            if not self._queue and not self._stopping:
                if self._holds is not None and self._holds():
                    # Set after _idle, read after the owner's change: poke() and this cannot
                    # both miss each other. Wait one interval, then drain what is held.
                    self._wake.wait(self._interval_s)
                    self._idle = False
                    self._wake.clear()
                    self._drain()
                    continue
                self._wake.wait()
            self._idle = False
            self._wake.clear()
            if not self._is_urgent():
                # Let the batch fill for one interval unless a full batch/flush/stop wakes us.
                self._wake.wait(self._interval_s)
                self._wake.clear()
            self._drain()
            if self._stopping and not self._queue:
                return

    def _is_urgent(self) -> bool:
        return self._stopping or self._urgent or self.pending_weight() >= self._batch_weight

    def _drain(self) -> None:
        self._urgent = False
        if self._before_drain is not None:
            try:
                self._before_drain()
            except BaseException as exc:
                self._on_error(exc)
        while True:
            chunk: List[T] = []
            markers: List[_FlushMarker] = []
            weight = 0
            while weight < self._batch_weight:
                try:
                    item = self._queue.popleft()
                except IndexError:
                    break
                if isinstance(item, _FlushMarker):
                    markers.append(item)
                    break  # export what came before it, then release it
                weight += self._weigh(item)
                chunk.append(item)
            self.out_weight += weight
            if chunk:
                try:
                    self._export(chunk)
                except BaseException as exc:  # the thread boundary: never die, never raise
                    self._on_error(exc)
            for marker in markers:
                marker.done.set()
            if not chunk and not markers:
                return
