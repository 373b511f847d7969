"""The few value types that cross from `hook`/`collect` into `report`, and between its threads.

They are plain, immutable data so the training thread can hand them to the worker thread
without locks or copies.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Optional


@dataclass(frozen=True)
class Identity:
    """Who is reporting. Built once per process (and again after fork: the pid changes)."""

    workload_uid: str  # "" when WORKLOAD_UID is unset: the server then files it under pod:<pod_name>
    pod_uid: str
    pod_name: str  # POD_NAME, else HOSTNAME, else socket.gethostname()
    namespace: str
    rank: Optional[int]
    local_rank: Optional[int]
    world_size: Optional[int]
    node_rank: Optional[int]
    host: str
    pid: int


@dataclass(frozen=True)
class RunInfo:
    id: str
    project: str
    name: str


@dataclass(frozen=True)
class RunEnd:
    """A run finished (`run.finish()`, or closed at exit); it rides on the run's last metrics body."""

    run: RunInfo
    exit_code: Optional[int]
    finished_at: float


class Row:
    """One wandb history row as wandb stores it: every key logged at `step`.

    `items` maps each key to its call-time snapshot: a Python number, a numpy scalar or a
    detached tensor copy. The worker turns each into a float with `float()`, off the training
    thread. A plain slotted class, not a frozen dataclass: one is built on every wandb.log and
    a frozen dataclass costs 4x as much to build.
    """

    __slots__ = ("run", "step", "timestamp", "items")

    def __init__(self, run: RunInfo, step: int, timestamp: float, items: Mapping[str, Any]) -> None:
        self.run = run
        self.step = step
        self.timestamp = timestamp
        self.items = items

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Row) and (self.run, self.step, self.timestamp, dict(self.items)) == (
            other.run,
            other.step,
            other.timestamp,
            dict(other.items),
        )

    def __repr__(self) -> str:
        return "Row(%r, %r, %r, %r)" % (self.run, self.step, self.timestamp, self.items)
