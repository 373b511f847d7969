"""What the reporter did, for the `Stopped. Stats: {...}` line and `check`.

Counters are written by the worker thread (and by the training thread only for drops), read by
anyone; plain ints are enough because only one thread writes each of them.
"""
from __future__ import annotations

import time

from typing import Any, Callable, Dict, List, Optional

from primus_lens_wandb_exporter import output

# Part of the exit budget kept for writing what is still unsent to the spool (milliseconds of
# disk I/O in practice); sending stops this long before the deadline.
SPOOL_RESERVE_MAX_S = 0.5


def spool_reserve_s(exit_timeout_s: float) -> float:
    """A share of the whole exit budget, so waiting at run finish cannot eat the part that the
    exit handler needs to write unsent data to disk."""
    return min(SPOOL_RESERVE_MAX_S, exit_timeout_s * 0.2)


class Stats:
    def __init__(self) -> None:
        self.detection_sent = 0  # detection reports the server took
        self.metrics_sent = 0  # wandb rows (logged steps) the server took, as the original counted
        self.errors = 0  # bodies the server refused for good + internal failures
        self.points_sent = 0  # metric points the server took
        self.retries = 0  # extra attempts after a failed one
        self.dropped = 0  # points lost: queue overflow, refused bodies, spool full or unwritable
        self.spooled = 0  # points written to the on-disk spool (later replays count as sent)
        self.replayed = 0  # points an earlier process had spooled that this one delivered
        self.pending = 0  # points of this process still in the spool (written, not yet replayed)
        self.last_failure = ""  # why the last body did not arrive (said once when it happened)

    def as_dict(self, dropped_from_queue: int) -> Dict[str, int]:
        """`dropped_from_queue`: the worker's own count, kept by the training thread."""
        # Key order is the founding document's, then ours.
        return {
            "detection_sent": self.detection_sent,
            "metrics_sent": self.metrics_sent,
            "errors": self.errors,
            "points_sent": self.points_sent,
            "retries": self.retries,
            "dropped": self.dropped + dropped_from_queue,
            "spooled": self.spooled,
            "replayed": self.replayed,
            "pending": self.pending,
        }


def stopped_lines(stats: Dict[str, int]) -> List[str]:
    """The founding `Stopped. Stats: {...}` line, and after it, when some of this job's data is
    not on the server, a line that says so plainly: a failed delivery must not read as success."""
    lines = ["Stopped. Stats: %s" % (stats,)]
    pending, dropped = stats.get("pending", 0), stats.get("dropped", 0)
    if pending or dropped:
        parts = []
        if pending:
            parts.append("%d points wait in the spool and are sent when the server takes them "
                         "(by a later job on this node if not by this one)" % pending)
        if dropped:
            parts.append("%d points were dropped" % dropped)
        lines.append("Delivery FAILED: %s; the reason was printed above" % "; ".join(parts))
    return lines


class TailBudget:
    """PRIMUS_LENS_WANDB_EXIT_TIMEOUT as one budget for the end of a job.

    Waiting at run finish, on SIGTERM and at exit all draw from it, so together they add at most
    the exit timeout. It is refilled when training logs again (`activity` changed), so each run
    of a sweep gets the full budget at its own finish.
    """

    def __init__(self, total_s: float) -> None:
        self._total_s = total_s
        self._spent_s = 0.0
        self._activity = -1

    def remaining_s(self, activity: int) -> float:
        if activity != self._activity:
            self._activity = activity
            self._spent_s = 0.0
        return max(0.0, self._total_s - self._spent_s)

    def spend(self, seconds: float) -> None:
        self._spent_s += max(0.0, seconds)

    def flush_within(self, flush: Callable[[float], bool], activity: int) -> bool:
        """Runs flush(timeout) on what is left of the budget, less the spool reserve (run finish,
        SIGTERM), and charges the time it took."""
        started = time.monotonic()
        done = flush(max(0.0, self.remaining_s(activity) - spool_reserve_s(self._total_s)))
        self.spend(time.monotonic() - started)
        return done


class QueueOverflow:
    """A BatchWorker's on_drop: weightless control items (run ends, detections) go back in the
    queue, points are shed, and the first shedding is said once. Runs on the training thread,
    so after that first time it takes no lock and does no I/O."""

    def __init__(self, queue_size: int) -> None:
        self._queue_size = queue_size
        self.worker: Optional[Any] = None  # set once the worker exists
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
