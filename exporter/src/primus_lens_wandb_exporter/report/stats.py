"""What the reporter did, for the `Stopped. Stats: {...}` line and `check`.

Counters are written by the worker thread (and by the training thread only for drops), read by
anyone; plain ints are enough because only one thread writes each of them. `Stats.as_dict` is
the one list of the line's keys, in the line's order: everything else derives from it.
"""

from __future__ import annotations

from typing import Dict, Iterable, List


class Stats:
    def __init__(self) -> None:
        self.detection_sent = 0  # detection reports the server took
        self.metrics_sent = 0  # wandb rows (logged steps) the server took, as the original exporter counted
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
        # The first five keys are the ones the original exporter printed, in its order, so
        # scripts that read the line keep working; ours follow.
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


def added(parts: Iterable[Dict[str, int]]) -> Dict[str, int]:
    """Several senders' stats as one (the training process's own counts, its shipper's, a
    fallback sender's): summed key by key, in the line's key order."""
    total = Stats().as_dict(0)
    for part in parts:
        for key, value in part.items():
            total[key] = total.get(key, 0) + value
    return total


def stopped_lines(stats: Dict[str, int]) -> List[str]:
    """The `Stopped. Stats: {...}` line, and after it, when some of this job's data is not on the
    server, a line that says so plainly: a failed delivery must not read as success."""
    lines = ["Stopped. Stats: %s" % (stats,)]
    pending, dropped = stats.get("pending", 0), stats.get("dropped", 0)
    if pending or dropped:
        parts = []
        if pending:
            parts.append(
                "%d points wait in the spool and are sent when the server takes them "
                "(by a later job on this node if not by this one)" % pending
            )
        if dropped:
            parts.append("%d points were dropped" % dropped)
        lines.append("Delivery FAILED: %s; the reason was printed above" % "; ".join(parts))
    return lines
