"""The few value types that cross from `hook`/`collect` into `report`.

They are plain, immutable data so the training thread can hand them to the worker thread
without locks or copies.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional, Sequence, Tuple


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
class Row:
    """One wandb history row as wandb stores it: every key logged at `step`.

    `items` holds call-time snapshots: Python numbers, numpy scalars or detached tensor copies.
    The worker turns each into a float with `float()`, off the training thread.
    """

    run: RunInfo
    step: int
    timestamp: float
    items: Sequence[Tuple[str, Any]]
