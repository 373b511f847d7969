"""PRIMUS_LENS_WANDB_SAVE_LOCAL: one JSONL file per node and rank, written by the worker thread.

Path (as the original exporter's, so existing readers keep working):
    <OUTPUT_PATH>/node_<node rank or 0>/rank_<local rank or -1>/wandb_metrics.jsonl
One line per row: {"timestamp", "step", "run_id", "project", "name", "pid", "data": {key: value}}
with non-finite values spelled "NaN"/"Infinity"/"-Infinity" so every line is strict JSON.
The file stays open between batches (the original exporter reopened it and ran makedirs on every call).
"""

from __future__ import annotations

import json
import os
from typing import IO, Callable, List, Optional

from primus_lens_wandb_exporter.model import Identity, Row
from primus_lens_wandb_exporter.report.encode import point_value


def jsonl_path(output_path: str, identity: Identity) -> str:
    node = identity.node_rank if identity.node_rank is not None else 0
    rank = identity.local_rank if identity.local_rank is not None else -1
    return os.path.join(output_path, "node_%d" % node, "rank_%d" % rank, "wandb_metrics.jsonl")


class LocalWriter:
    def __init__(self, output_path: str, identity: Callable[[], Identity]) -> None:
        self._output_path = output_path
        self._identity = identity
        self._handle: Optional[IO[str]] = None
        self._pid = -1

    def write(self, rows: List[Row]) -> None:
        handle = self._open()
        for row in rows:
            data = {}
            for name, raw in row.items.items():
                try:
                    data[name] = point_value(raw)
                except Exception:
                    continue  # counted once by the HTTP path's encoder
            line = {
                "timestamp": row.timestamp,
                "step": row.step,
                "run_id": row.run.id,
                "project": row.run.project,
                "name": row.run.name,
                "pid": self._pid,
                "data": data,
            }
            handle.write(json.dumps(line, separators=(",", ":"), allow_nan=False) + "\n")
        handle.flush()

    def _open(self) -> IO[str]:
        pid = os.getpid()
        if self._handle is None or self._pid != pid:  # a forked child opens its own handle
            path = jsonl_path(self._output_path, self._identity())
            os.makedirs(os.path.dirname(path), exist_ok=True)
            self._handle = open(path, "a", encoding="utf-8")  # noqa: SIM115 (open until close())
            self._pid = pid
        return self._handle

    def close(self) -> None:
        handle, self._handle = self._handle, None
        if handle is not None:
            try:
                handle.close()
            except OSError:
                pass
