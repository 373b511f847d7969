"""Seeds MLflow's SQLite store directly: a million rows through log-batch would take minutes.

The rows are exactly what log-batch writes (metrics plus latest_metrics), inserted while the
server is idle; the read benchmark then goes through MLflow's own HTTP API.
"""
from __future__ import annotations

import math
import os
import sqlite3
import time
from typing import List

from .httpq import post_json


def create_runs(base_url: str, experiment: str, count: int) -> List[str]:
    exp = post_json(base_url, "/api/2.0/mlflow/experiments/create", {"name": experiment})
    ids = []
    for r in range(count):
        run = post_json(base_url, "/api/2.0/mlflow/runs/create",
                        {"experiment_id": exp["experiment_id"], "run_name": f"rank-{r}",
                         "start_time": int(time.time() * 1000)})
        ids.append(run["run"]["info"]["run_id"])
    return ids


def seed(db_path: str, run_ids: List[str], names: List[str], steps: int) -> int:
    if not os.path.exists(db_path):
        raise RuntimeError(f"{db_path} missing")
    t0 = int(time.time() * 1000)
    conn = sqlite3.connect(db_path, timeout=60)
    try:
        with conn:
            for r, run_id in enumerate(run_ids):
                for m, name in enumerate(names):
                    rows = ((name, math.sin(s * 0.001 + m + r), t0 + s * 100, run_id, s, 0)
                            for s in range(steps))
                    conn.executemany("INSERT INTO metrics (key, value, timestamp, run_uuid, step, is_nan) "
                                     "VALUES (?, ?, ?, ?, ?, ?)", rows)
                    conn.execute("INSERT OR REPLACE INTO latest_metrics (key, value, timestamp, step, is_nan, run_uuid) "
                                 "VALUES (?, ?, ?, ?, 0, ?)",
                                 (name, math.sin((steps - 1) * 0.001 + m + r), t0 + (steps - 1) * 100, steps - 1, run_id))
    finally:
        conn.close()
    return len(run_ids) * len(names) * steps
