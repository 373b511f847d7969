"""Rows and run ends -> wire-format bodies (docs/wire-format.md). Runs on the worker thread.

One body carries one run (the original exporter merged runs and misattributed data). Every point carries
its step, so with the identity and the run id it is keyed (workload, run, rank, name, step) and a
re-delivered body overwrites instead of duplicating.
"""

from __future__ import annotations

import gzip
import json
import math
import time
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple, Union

from primus_lens_wandb_exporter.model import Row, RunEnd, RunInfo

# Measured: 1/3 of level 5's CPU for ~30 % more bytes. The CPU is the shipper's, or in thread
# mode the training process's.
GZIP_LEVEL = 1


def point_value(raw: Any) -> Union[float, str]:
    """float() of a call-time snapshot; non-finite values spelled as wire-format.md says."""
    value = float(raw)
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return value


def row_points(row: Row, on_bad_value: Callable[[str, BaseException], None]) -> List[Dict[str, Any]]:
    points: List[Dict[str, Any]] = []
    append = points.append
    step, timestamp = row.step, row.timestamp
    for name, raw in row.items.items():
        if type(raw) is not float or raw - raw != 0.0:  # a finite float (most points) is kept as is
            try:
                raw = point_value(raw)
            except Exception as exc:  # a snapshot float() cannot read: skip the point, say once
                on_bad_value(name, exc)
                continue
        append({"name": name, "value": raw, "step": step, "timestamp": timestamp})
    return points


def _group_by_run(items: Iterable[Union[Row, RunEnd]]) -> List[Tuple[RunInfo, List[Row], Optional[RunEnd]]]:
    order: List[RunInfo] = []
    rows: Dict[RunInfo, List[Row]] = {}
    ends: Dict[RunInfo, RunEnd] = {}
    for item in items:
        if item.run not in rows:
            order.append(item.run)
            rows[item.run] = []
        if isinstance(item, RunEnd):
            ends[item.run] = item
        else:
            rows[item.run].append(item)
    return [(run, rows[run], ends.get(run)) for run in order]


def metrics_bodies(
    items: Iterable[Union[Row, RunEnd]],
    base: Dict[str, Any],
    max_points: int,
    next_batch_id: Callable[[], str],
    on_bad_value: Callable[[str, BaseException], None],
) -> List[Dict[str, Any]]:
    """Bodies of at most max_points points, one run each; a run end rides on its run's last body.

    `rows` counts the rows whose last point is in the body, so summing it over delivered bodies
    counts each logged row once (the Stopped line's `metrics_sent`).
    """
    bodies: List[Dict[str, Any]] = []
    for run, rows, end in _group_by_run(items):
        current: List[Dict[str, Any]] = []
        finished_rows = 0
        run_bodies: List[Dict[str, Any]] = []
        for row in rows:
            for point in row_points(row, on_bad_value):
                if len(current) >= max_points:
                    run_bodies.append(_body(base, run, current, finished_rows, next_batch_id()))
                    current, finished_rows = [], 0
                current.append(point)
            finished_rows += 1
        if current or finished_rows or end is not None or not run_bodies:
            run_bodies.append(_body(base, run, current, finished_rows, next_batch_id()))
        if end is not None:
            run_bodies[-1]["run_state"] = {
                "state": "finished",
                "exit_code": end.exit_code,
                "finished_at": end.finished_at,
            }
        bodies.extend(run_bodies)
    return bodies


def _body(base: Dict[str, Any], run: RunInfo, points: List[Dict[str, Any]], rows: int, batch_id: str) -> Dict[str, Any]:
    body = dict(base)
    body.update(
        {
            "run_id": run.id,
            "run": {"id": run.id, "project": run.project, "name": run.name},
            "timestamp": time.time(),
            "batch_id": batch_id,
            "step_semantics": "wandb",
            "rows": rows,
            "metrics": points,
        }
    )
    return body


def split_metrics_body(body: Dict[str, Any]) -> Optional[Tuple[Dict[str, Any], Dict[str, Any]]]:
    """Two halves of a body the server found too large (413); None when it cannot shrink."""
    points = body.get("metrics") or []
    if len(points) < 2:
        return None
    middle = len(points) // 2
    first, second = dict(body), dict(body)
    first["metrics"], second["metrics"] = points[:middle], points[middle:]
    # Rows are counted where their last point lands; a row cut in two counts in the second half.
    second_steps = {p["step"] for p in second["metrics"]}
    cut_rows = len({p["step"] for p in first["metrics"]} - second_steps)
    first["rows"] = min(cut_rows, body.get("rows", 0))
    second["rows"] = body.get("rows", 0) - first["rows"]
    first["batch_id"], second["batch_id"] = body["batch_id"] + ".a", body["batch_id"] + ".b"
    first.pop("run_state", None)  # the run ends with its last points, not before them
    return first, second


def to_gzip_json(body: Dict[str, Any]) -> bytes:
    return gzip.compress(to_json(body).encode("utf-8"), GZIP_LEVEL)


def to_json(body: Dict[str, Any]) -> str:
    # allow_nan=False: any non-finite float that slipped past point_value fails loudly here
    # instead of producing the invalid JSON that made the original server reject whole batches.
    return json.dumps(body, separators=(",", ":"), allow_nan=False)


def count_points_rows(body: Dict[str, Any]) -> Tuple[int, int]:
    return len(body.get("metrics") or []), int(body.get("rows") or 0)
