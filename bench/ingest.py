"""Ingest: the same metric stream into ours and into MLflow, interleaved, same load generator.

Each side gets one server on a fresh SQLite database for the whole phase; every repetition
writes new runs (a new workload / experiment tag), so the database grows as in real use.
"""
from __future__ import annotations

import glob
import os
import time
from typing import Any, Dict, List

from benchlib.cpuprofile import top_self_time
from benchlib.loadgen import run_loadgen
from benchlib.procs import dir_size_bytes
from benchlib.servers import Server, start_mlflow, start_ours
from benchlib.sizes import Sizes
from benchlib.stats import median, ratio

TARGETS = ("ours", "ours-gzip", "mlflow")


def _one(target: str, server: Server, sizes: Sizes, steps: int, tag: str) -> Dict[str, Any]:
    cpu0 = server.proc.cpu_seconds()
    result = run_loadgen(target, server.base_url, sizes.runs, sizes.metrics, steps, tag,
                         concurrency=sizes.runs)
    result["server_cpu_s"] = server.proc.cpu_seconds() - cpu0
    return result


def run(sizes: Sizes, workdir: str, log: Any) -> Dict[str, Any]:
    ours = start_ours(os.path.join(workdir, "ingest-ours"))
    mlflow = start_mlflow(os.path.join(workdir, "ingest-mlflow"))
    servers = {"ours": ours, "ours-gzip": ours, "mlflow": mlflow}
    points = {"ours": 0, "mlflow": 0}
    samples: Dict[str, List[Dict[str, Any]]] = {t: [] for t in TARGETS}
    try:
        for target in TARGETS:  # warm-up: JIT, lazy imports, SQLite page cache; not counted
            res = _one(target, servers[target], sizes, sizes.warmup_steps, f"warm-{target}-{time.time_ns()}")
            points["mlflow" if target == "mlflow" else "ours"] += res["points"]
        ours.proc.reset_peak()
        mlflow.proc.reset_peak()
        for rep in range(sizes.reps):  # interleaved A B C A B C to cancel drift
            for target in TARGETS:
                res = _one(target, servers[target], sizes, sizes.steps, f"rep{rep}-{target}-{time.time_ns()}")
                points["mlflow" if target == "mlflow" else "ours"] += res["points"]
                samples[target].append(res)
                log(f"ingest rep {rep} {target}: {res['points_per_s']:,.0f} points/s, "
                    f"p50 {res['latency_ms']['p50']:.1f} ms, p99 {res['latency_ms']['p99']:.1f} ms")
        peak = {"ours": ours.proc.peak_rss_mb(), "mlflow": mlflow.proc.peak_rss_mb()}
    finally:
        ours.stop()
        mlflow.stop()
    size = {"ours": dir_size_bytes(ours.db_dir, ours.db_prefix),
            "mlflow": dir_size_bytes(mlflow.db_dir, mlflow.db_prefix)}
    summary: Dict[str, Any] = {"shape": {"runs": sizes.runs, "metrics": sizes.metrics, "steps": sizes.steps,
                                         "points_per_request": 1000, "concurrency": sizes.runs,
                                         "reps": sizes.reps},
                               "targets": {}}
    for target in TARGETS:
        rows = samples[target]
        side = "mlflow" if target == "mlflow" else "ours"
        summary["targets"][target] = {
            "points_per_s": median(r["points_per_s"] for r in rows),
            "points_per_s_all": [r["points_per_s"] for r in rows],
            "p50_ms": median(r["latency_ms"]["p50"] for r in rows),
            "p99_ms": median(r["latency_ms"]["p99"] for r in rows),
            "retries": sum(r["retries"] for r in rows),
            "server_cpu_s_per_m_points": median(r["server_cpu_s"] / r["points"] * 1e6 for r in rows),
            "loadgen_cpu_s_per_m_points": median(r["loadgen_cpu_s"] / r["points"] * 1e6 for r in rows),
            "peak_rss_mb": peak[side],
            "db_bytes_per_m_points": size[side] / points[side] * 1e6,
        }
    t = summary["targets"]
    summary["ratio_ours_vs_mlflow"] = ratio(t["ours"]["points_per_s"], t["mlflow"]["points_per_s"])
    summary["ratio_ours_gzip_vs_mlflow"] = ratio(t["ours-gzip"]["points_per_s"], t["mlflow"]["points_per_s"])
    return summary


def profile_ours(sizes: Sizes, workdir: str) -> Dict[str, Any]:
    """One extra, unmeasured repetition per body encoding against ours under the V8 profiler."""
    out: Dict[str, Any] = {}
    for target in ("ours", "ours-gzip"):
        prof_dir = os.path.join(workdir, f"profile-{target}")
        ours = start_ours(os.path.join(workdir, f"ingest-{target}"),
                          node_args=["--cpu-prof", "--cpu-prof-dir", prof_dir])
        try:
            res = run_loadgen(target, ours.base_url, sizes.runs, sizes.metrics, sizes.steps,
                              f"prof-{time.time_ns()}", concurrency=sizes.runs)
        finally:
            ours.stop()
        profiles = glob.glob(os.path.join(prof_dir, "*.cpuprofile"))
        if not profiles:
            raise RuntimeError(f"no V8 profile in {prof_dir}: the server did not exit cleanly on SIGTERM")
        out[target] = {"points_per_s_under_profiler": res["points_per_s"],
                       "top": [list(row) for row in top_self_time(profiles[0])]}
    return out
