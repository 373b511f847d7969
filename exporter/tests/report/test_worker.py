"""The generic worker: wake-ups, bounds, drop-oldest, flush and stop, with no HTTP involved."""

from __future__ import annotations

import threading
from typing import List, Tuple

from primus_lens_wandb_exporter.report.worker import BatchWorker

WAIT_S = 5.0  # an upper bound for "soon"; the tests pass in milliseconds


class Sink:
    def __init__(self) -> None:
        self.batches: List[List[int]] = []
        self.threads: List[str] = []
        self.got = threading.Event()
        self.gate = threading.Event()
        self.gate.set()
        self.drops: List[Tuple[int, int]] = []
        self.errors: List[BaseException] = []

    def export(self, items: List[int]) -> None:
        self.gate.wait(WAIT_S)
        self.batches.append(list(items))
        self.threads.append(threading.current_thread().name)
        self.got.set()

    def exported(self) -> List[int]:
        return [item for batch in self.batches for item in batch]


def make(sink: Sink, max_weight: int = 1000, batch: int = 10, interval_s: float = 60.0) -> BatchWorker[int]:
    return BatchWorker(
        "TestWorker",
        export=sink.export,
        weigh=lambda item: 1,
        on_drop=lambda item, weight: sink.drops.append((item, weight)),
        on_error=sink.errors.append,
        max_weight=max_weight,
        batch_weight=batch,
        interval_s=interval_s,
    )


def test_no_thread_starts_before_the_first_item() -> None:
    before = threading.active_count()
    worker = make(Sink())
    assert threading.active_count() == before and not worker.thread_alive()
    worker.submit(1, 1)
    assert worker.thread_alive()
    assert next(t for t in threading.enumerate() if t.name == "TestWorker").daemon
    worker.stop(WAIT_S)


def test_a_full_batch_is_exported_without_waiting_for_the_interval() -> None:
    sink = Sink()
    worker = make(sink, batch=5, interval_s=60.0)
    for i in range(5):
        worker.submit(i, 1)
    assert sink.got.wait(WAIT_S), "a full batch must wake the worker long before the 60 s interval"
    assert sink.exported() == [0, 1, 2, 3, 4]
    assert sink.threads == ["TestWorker"]
    worker.stop(WAIT_S)


def test_a_partial_batch_is_exported_when_the_interval_passes() -> None:
    sink = Sink()
    worker = make(sink, batch=100, interval_s=0.05)
    worker.submit(7, 1)
    assert sink.got.wait(WAIT_S)
    assert sink.exported() == [7]
    worker.stop(WAIT_S)


def test_an_idle_worker_sleeps_without_polling() -> None:
    sink = Sink()
    worker = make(sink, interval_s=0.01)
    worker.submit(1, 1)
    assert sink.got.wait(WAIT_S)
    waits = []
    original = worker._wake.wait

    def counting_wait(timeout=None):  # type: ignore[no-untyped-def]
        waits.append(timeout)
        return original(timeout)

    worker._wake.wait = counting_wait  # type: ignore[assignment]
    worker._wake.set()  # let the current wait return so the next one is counted
    threading.Event().wait(0.3)  # 30 intervals of 10 ms: a polling loop would wake ~30 times
    assert len(waits) <= 2, waits
    assert None in waits, "with nothing queued the worker must wait without a timeout"
    worker.stop(WAIT_S)


def test_a_full_queue_drops_the_oldest_and_counts_them() -> None:
    sink = Sink()
    sink.gate.clear()  # the sink is stuck: nothing leaves the queue
    worker = make(sink, max_weight=10, batch=1000)
    for i in range(25):
        worker.submit(i, 1)
    assert [item for item, _ in sink.drops] == list(range(15))
    assert worker.dropped_weight == 15 and worker.pending_weight() == 10
    sink.gate.set()
    assert worker.flush(WAIT_S)
    assert sink.exported() == list(range(15, 25))
    worker.stop(WAIT_S)


def test_flush_returns_once_everything_before_it_was_exported() -> None:
    sink = Sink()
    worker = make(sink, batch=1000, interval_s=60.0)
    for i in range(3):
        worker.submit(i, 1)
    assert worker.flush(WAIT_S)
    assert sink.exported() == [0, 1, 2]
    worker.stop(WAIT_S)


def test_flush_gives_up_at_its_timeout_when_the_sink_is_stuck() -> None:
    sink = Sink()
    sink.gate.clear()
    worker = make(sink)
    worker.submit(1, 1)
    assert worker.flush(0.1) is False
    sink.gate.set()
    worker.stop(WAIT_S)


def test_stop_drains_everything_and_ends_the_thread() -> None:
    sink = Sink()
    worker = make(sink, batch=4, interval_s=60.0)
    for i in range(10):
        worker.submit(i, 1)
    assert worker.stop(WAIT_S)
    assert sink.exported() == list(range(10))
    assert max(len(b) for b in sink.batches) <= 4
    assert not worker.thread_alive()


def test_an_export_that_raises_is_reported_and_the_worker_keeps_going() -> None:
    sink = Sink()
    calls = []

    def export(items: List[int]) -> None:
        calls.append(items)
        if len(calls) == 1:
            raise RuntimeError("boom")

    worker = BatchWorker("TestWorker", export, lambda i: 1, lambda i, w: None, sink.errors.append, 100, 1, 60.0)
    worker.submit(1, 1)
    worker.submit(2, 1)
    assert worker.flush(WAIT_S)
    assert [type(e) for e in sink.errors] == [RuntimeError]
    assert [x for batch in calls for x in batch] == [1, 2]
    worker.stop(WAIT_S)


def test_take_all_returns_what_is_left_and_releases_flush_waiters() -> None:
    worker = make(Sink())
    worker._thread = object()  # pretend started, so nothing drains behind our back
    worker._queue.extend([1, 2, 3])
    assert worker.take_all() == [1, 2, 3]


def test_reset_after_fork_forgets_the_queue_and_restarts_lazily() -> None:
    sink = Sink()
    sink.gate.clear()
    worker = make(sink)
    worker.submit(1, 1)
    worker.reset_after_fork()
    assert worker.pending_weight() == 0 and not worker.thread_alive()
    sink.gate.set()
    worker.submit(2, 1)
    assert worker.flush(WAIT_S)
    worker.stop(WAIT_S)
    assert 2 in sink.exported()


def test_when_no_thread_can_start_flush_exports_on_the_calling_thread(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    def refuse(self) -> None:  # type: ignore[no-untyped-def]
        raise RuntimeError("can't create new thread at interpreter shutdown")

    monkeypatch.setattr(threading.Thread, "start", refuse)
    sink = Sink()
    worker = make(sink)
    worker.submit(1, 1)
    worker.submit(2, 1)
    assert worker.flush(WAIT_S)
    assert sink.exported() == [1, 2]
    assert sink.threads == [threading.current_thread().name]
    assert worker.stop(WAIT_S)


def test_many_threads_submitting_their_first_item_at_once_start_one_worker() -> None:
    sink = Sink()
    worker = make(sink, batch=1000)
    go = threading.Event()

    def first_submit(i: int) -> None:
        go.wait(WAIT_S)
        worker.submit(i, 1)

    threads = [threading.Thread(target=first_submit, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    go.set()
    for t in threads:
        t.join(WAIT_S)
    assert len([t for t in threading.enumerate() if t.name == "TestWorker" and t.is_alive()]) == 1
    assert worker.flush(WAIT_S)
    assert sorted(sink.exported()) == list(range(16))
    worker.stop(WAIT_S)


class Holder:
    """An owner that gathers items outside the queue (as the reporter's open blocks) and hands
    them over in before_drain."""

    def __init__(self) -> None:
        self.held: List[int] = []
        self.worker: BatchWorker[int] | None = None

    def hand_over(self) -> None:
        assert self.worker is not None
        while self.held:
            self.worker.submit(self.held.pop(0), 1)

    def hold(self, item: int) -> None:
        assert self.worker is not None
        self.held.append(item)
        self.worker.poke()


def make_holding(sink: Sink, holder: Holder, interval_s: float) -> BatchWorker[int]:
    worker: BatchWorker[int] = BatchWorker(
        "TestWorker",
        export=sink.export,
        weigh=lambda item: 1,
        on_drop=lambda item, weight: None,
        on_error=sink.errors.append,
        max_weight=1000,
        batch_weight=100,
        interval_s=interval_s,
        before_drain=holder.hand_over,
        holds=lambda: bool(holder.held),
    )
    holder.worker = worker
    return worker


def test_items_held_outside_the_queue_leave_within_the_interval() -> None:
    sink, holder = Sink(), Holder()
    worker = make_holding(sink, holder, interval_s=0.05)
    holder.hold(1)  # starts the thread; nothing is in the queue
    assert sink.got.wait(WAIT_S) and sink.exported() == [1]
    sink.got.clear()
    threading.Event().wait(0.2)  # the worker is now asleep for good (nothing held)...
    holder.hold(2)  # ...and poke wakes it
    assert sink.got.wait(WAIT_S) and sink.exported() == [1, 2]
    worker.stop(WAIT_S)


def test_a_worker_that_is_busy_when_items_are_held_still_comes_back_for_them() -> None:
    sink, holder = Sink(), Holder()
    worker = make_holding(sink, holder, interval_s=0.05)
    sink.gate.clear()  # the first export blocks: the worker is busy, not asleep
    worker.submit(0, 1)
    threading.Event().wait(0.2)
    holder.hold(1)  # poke finds the worker busy and does not wake it
    assert not worker._wake.is_set()
    sink.gate.set()
    deadline = threading.Event()
    for _ in range(100):
        if sink.exported() == [0, 1]:
            break
        deadline.wait(0.05)
    assert sink.exported() == [0, 1], "the held item must leave although no wake-up was sent"
    worker.stop(WAIT_S)
