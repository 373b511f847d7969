"""Ingest: the same metric stream into ours and into MLflow, interleaved, same load generator.

Ours on SQLite (plain JSON and gzip), ours on PostgreSQL (one replica, and two replicas on
the same database with the load split between them), MLflow on SQLite and MLflow on the same
PostgreSQL cluster as ours (a database each). Each server starts once on a fresh database for
the whole phase; every repetition writes new runs (a new workload / experiment tag), so the
databases grow as in real use. Before each repetition the cluster is checkpointed (untimed), so
no repetition pays for the dirty pages of the one before; for PostgreSQL targets the CPU of
every cluster process (backends, WAL writer, checkpointer, autovacuum) is counted separately
from the server's.
"""
from __future__ import annotations

import contextlib
import glob
import os
import time
from typing import Any, Dict, List, Optional, Sequence, Tuple

from benchlib import postgres
from benchlib.cpuprofile import top_self_time
from benchlib.loadgen import run_loadgen
from benchlib.procs import dir_size_bytes
from benchlib.servers import Server, start_mlflow, start_ours
from benchlib.sizes import Sizes
from benchlib.stats import median, ratio

# target -> (load generator target, database side for size and points, replicas, own workload per replica)
PLAN: Dict[str, Tuple[str, str, int, bool]] = {
    "ours": ("ours", "ours", 1, False),
    "ours-gzip": ("ours-gzip", "ours", 1, False),
    "ours-pg": ("ours", "ours-pg", 1, False),
    "ours-pg-x2": ("ours", "ours-pg", 2, False),
    "ours-pg-x2-own": ("ours", "ours-pg", 2, True),
    "mlflow": ("mlflow", "mlflow", 1, False),
    "mlflow-pg": ("mlflow", "mlflow-pg", 1, False),
}
SQLITE_TARGETS = ("ours", "ours-gzip", "mlflow")
PG_TARGETS = ("ours-pg", "ours-pg-x2", "ours-pg-x2-own", "mlflow-pg")
PG_DB = {"ours-pg": "lens", "mlflow-pg": "mlflow", "ours-pg-base": "lens_base"}
# LENS_BENCH_BASELINE_MAIN: another build of our server (e.g. the commit before a change), run
# as one more PostgreSQL target on the same cluster, so before and after share one run.
BASELINE_MAIN = os.environ.get("LENS_BENCH_BASELINE_MAIN")
if BASELINE_MAIN:
    PLAN["ours-pg-base"] = ("ours", "ours-pg-base", 1, False)
    PG_TARGETS += ("ours-pg-base",)
# LENS_BENCH_INGEST_TARGETS: a comma-separated subset of the targets (all by default).
ONLY_TARGETS = [t for t in os.environ.get("LENS_BENCH_INGEST_TARGETS", "").split(",") if t]


def _one(target: str, servers: Sequence[Server], pg: Optional[postgres.Postgres], sizes: Sizes, steps: int,
         tag: str) -> Dict[str, Any]:
    kind, _, _, own = PLAN[target]
    if pg is not None:
        pg.checkpoint()
    cpu0 = sum(s.proc.cpu_seconds() for s in servers)
    db0 = pg.cpu_seconds() if pg is not None and target in PG_TARGETS else None
    bases = [s.base_url for s in servers]
    result = run_loadgen(kind, bases[0] if len(bases) == 1 else bases, sizes.runs, sizes.metrics, steps, tag,
                         concurrency=sizes.runs, workload_per_base=own)
    result["server_cpu_s"] = sum(s.proc.cpu_seconds() for s in servers) - cpu0
    if db0 is not None and pg is not None:
        db1 = pg.cpu_seconds()
        result["db_cpu_s"] = db1["total"] - db0["total"]
        result["db_backend_cpu_s"] = db1["backends"] - db0["backends"]
    return result


def run(sizes: Sizes, workdir: str, log: Any) -> Dict[str, Any]:
    with postgres.cluster_if_available("ingest", log) as pg:
        return _run(sizes, workdir, log, pg)


def _run(sizes: Sizes, workdir: str, log: Any, pg: Optional[postgres.Postgres]) -> Dict[str, Any]:
    targets = list(SQLITE_TARGETS) + ([t for t in PG_TARGETS if t in sizes.pg_targets or t == "ours-pg-base"]
                                      if pg is not None else [])
    if ONLY_TARGETS:
        targets = [t for t in targets if t in ONLY_TARGETS]
    # interleaving order: each MLflow between ours, so that drift cancels across both sides
    order = [t for t in ("ours", "ours-gzip", "ours-pg", "ours-pg-base", "mlflow", "ours-pg-x2", "ours-pg-x2-own",
                         "mlflow-pg") if t in targets]
    started: List[Server] = []

    def keep(server: Server) -> Server:
        started.append(server)
        return server

    t_start = time.perf_counter()
    try:
        servers: Dict[str, List[Server]] = {}
        ours = mlflow = None
        if "ours" in targets or "ours-gzip" in targets:
            ours = keep(start_ours(os.path.join(workdir, "ingest-ours")))
            servers.update({"ours": [ours], "ours-gzip": [ours]})
        if "mlflow" in targets:
            mlflow = keep(start_mlflow(os.path.join(workdir, "ingest-mlflow"), workers=sizes.mlflow_workers))
            servers["mlflow"] = [mlflow]
        if pg is not None:
            lens_url = pg.create_database(PG_DB["ours-pg"])
            pg_dir = os.path.join(workdir, "ingest-ours-pg")
            rep_a = keep(start_ours(pg_dir, database_url=lens_url, name="ours-pg-a"))
            servers["ours-pg"] = [rep_a]
            if "ours-pg-x2" in targets or "ours-pg-x2-own" in targets:
                rep_b = keep(start_ours(pg_dir, database_url=lens_url, name="ours-pg-b"))
                servers.update({"ours-pg-x2": [rep_a, rep_b], "ours-pg-x2-own": [rep_a, rep_b]})
            if "ours-pg-base" in targets:
                servers["ours-pg-base"] = [keep(start_ours(pg_dir, database_url=pg.create_database(PG_DB["ours-pg-base"]),
                                                           name="ours-pg-base", main=BASELINE_MAIN))]
            if "mlflow-pg" in targets:
                pg.create_database(PG_DB["mlflow-pg"])
                servers["mlflow-pg"] = [keep(start_mlflow(
                    os.path.join(workdir, "ingest-mlflow-pg"), workers=sizes.mlflow_workers,
                    backend_uri=pg.url(PG_DB["mlflow-pg"], "postgresql+psycopg2"), name="mlflow-pg"))]
        log(f"ingest: servers up in {time.perf_counter() - t_start:.1f} s")
        points: Dict[str, int] = {}
        samples: Dict[str, List[Dict[str, Any]]] = {t: [] for t in order}
        for target in order:  # warm-up: JIT, lazy imports, page caches, connection pools; not counted
            t_warm = time.perf_counter()
            res = _one(target, servers[target], pg, sizes, sizes.warmup_steps, f"warm-{target}-{time.time_ns()}")
            side = PLAN[target][1]
            points[side] = points.get(side, 0) + res["points"]
            log(f"ingest: warm-up {target} in {time.perf_counter() - t_warm:.1f} s")
        for server in started:
            server.proc.reset_peak()
        for rep in range(sizes.reps):  # interleaved A B C … A B C … to cancel drift
            for target in order:
                res = _one(target, servers[target], pg, sizes, sizes.steps, f"rep{rep}-{target}-{time.time_ns()}")
                side = PLAN[target][1]
                points[side] = points.get(side, 0) + res["points"]
                samples[target].append(res)
                db = f", db CPU {res['db_cpu_s'] / res['points'] * 1e6:.2f} s/M" if "db_cpu_s" in res else ""
                log(f"ingest rep {rep} {target}: {res['points_per_s']:,.0f} points/s, "
                    f"p50 {res['latency_ms']['p50']:.1f} ms, p99 {res['latency_ms']['p99']:.1f} ms, "
                    f"server CPU {res['server_cpu_s'] / res['points'] * 1e6:.2f} s/M{db}")
        peak = {t: sum(s.proc.peak_rss_mb() for s in servers[t]) for t in order}
        size: Dict[str, float] = {}
        if ours is not None:
            size["ours"] = dir_size_bytes(ours.db_dir, ours.db_prefix)
        if mlflow is not None:
            size["mlflow"] = dir_size_bytes(mlflow.db_dir, mlflow.db_prefix)
        if pg is not None:
            for side in ("ours-pg", "mlflow-pg", "ours-pg-base"):
                if any(PLAN[t][1] == side for t in targets):
                    size[side] = pg.database_bytes(PG_DB[side])
    finally:
        for server in reversed(started):
            server.stop()
    summary: Dict[str, Any] = {"shape": {"runs": sizes.runs, "metrics": sizes.metrics, "steps": sizes.steps,
                                         "points_per_request": 1000, "concurrency": sizes.runs,
                                         "reps": sizes.reps},
                               "postgres": ({"version": pg.version, "settings": dict(postgres.SETTINGS)}
                                            if pg is not None else None),
                               "targets": {}}
    for target in order:
        rows = samples[target]
        side = PLAN[target][1]
        row: Dict[str, Any] = {
            "replicas": PLAN[target][2],
            "points_per_s": median(r["points_per_s"] for r in rows),
            "points_per_s_all": [r["points_per_s"] for r in rows],
            "p50_ms": median(r["latency_ms"]["p50"] for r in rows),
            "p99_ms": median(r["latency_ms"]["p99"] for r in rows),
            "retries": sum(r["retries"] for r in rows),
            "server_cpu_s_per_m_points": median(r["server_cpu_s"] / r["points"] * 1e6 for r in rows),
            "loadgen_cpu_s_per_m_points": median(r["loadgen_cpu_s"] / r["points"] * 1e6 for r in rows),
            "peak_rss_mb": peak[target],
            "db_bytes_per_m_points": size[side] / points[side] * 1e6,
        }
        if rows and "db_cpu_s" in rows[0]:
            row["db_cpu_s_per_m_points"] = median(r["db_cpu_s"] / r["points"] * 1e6 for r in rows)
            row["db_backend_cpu_s_per_m_points"] = median(r["db_backend_cpu_s"] / r["points"] * 1e6 for r in rows)
        summary["targets"][target] = row
    nan = float("nan")
    pps = {k: summary["targets"][k]["points_per_s"] if k in summary["targets"] else nan
           for k in (*SQLITE_TARGETS, *PG_TARGETS)}
    summary["ratio_ours_vs_mlflow"] = ratio(pps["ours"], pps["mlflow"])
    summary["ratio_ours_gzip_vs_mlflow"] = ratio(pps["ours-gzip"], pps["mlflow"])
    if pg is not None:
        summary["ratio_ours_pg_vs_mlflow_pg"] = ratio(pps["ours-pg"], pps["mlflow-pg"])
        summary["ratio_ours_pg_vs_ours_sqlite"] = ratio(pps["ours-pg"], pps["ours"])
        summary["ratio_x2_vs_one_replica"] = ratio(pps["ours-pg-x2"], pps["ours-pg"])
        summary["ratio_x2_own_vs_one_replica"] = ratio(pps["ours-pg-x2-own"], pps["ours-pg"])
        if BASELINE_MAIN:
            summary["baseline_main"] = BASELINE_MAIN
            summary["ratio_ours_pg_vs_baseline"] = ratio(pps["ours-pg"], pps["ours-pg-base"])
            summary["ratio_baseline_vs_mlflow_pg"] = ratio(pps["ours-pg-base"], pps["mlflow-pg"])
    return summary


# The original exporter's request shape next to ours, on SQLite: (name, load generator target, points per request)
# (case, load generator target, points per request, all clients from one address). Each client
# is a pod of its own, with an address of its own; the last case sends the 100-point stream from
# one address, where the server's default ingest rate limit per address (2,000 requests a
# second, that is 200,000 points at 100 per request) answers part of it with 429 and the
# clients wait as told: what eight processes on one host, or eight pods on one token, would see.
SHAPES: Tuple[Tuple[str, str, int, bool], ...] = (
    ("legacy-100", "ours-legacy", 100, False),
    ("legacy-1000", "ours-legacy", 1000, False),
    ("exporter-1000", "ours", 1000, False),
    ("legacy-100-one-address", "ours-legacy", 100, True),
)


def run_shapes(sizes: Sizes, workdir: str, log: Any) -> Dict[str, Any]:
    """The original exporter's body (about 100 points, `tags` and `timestamp` per point) at 100
    and 1,000 points per request, next to our exporter's body at 1,000; ours on SQLite, same
    stream and clients as the ingest scenario, interleaved."""
    ours = start_ours(os.path.join(workdir, "shapes-ours"))
    samples: Dict[str, List[Dict[str, Any]]] = {name: [] for name, _, _, _ in SHAPES}
    try:
        for name, kind, ppr, shared in SHAPES:  # warm-up
            run_loadgen(kind, ours.base_url, sizes.runs, sizes.metrics, sizes.warmup_steps,
                        f"warm-{name}-{time.time_ns()}", concurrency=sizes.runs, points_per_request=ppr, shared_address=shared)
        for rep in range(sizes.reps):
            for name, kind, ppr, shared in SHAPES:
                cpu0 = ours.proc.cpu_seconds()
                res = run_loadgen(kind, ours.base_url, sizes.runs, sizes.metrics, sizes.steps,
                                  f"rep{rep}-{name}-{time.time_ns()}", concurrency=sizes.runs, points_per_request=ppr,
                                  shared_address=shared)
                res["server_cpu_s"] = ours.proc.cpu_seconds() - cpu0
                samples[name].append(res)
                log(f"shapes rep {rep} {name}: {res['points_per_s']:,.0f} points/s, p99 {res['latency_ms']['p99']:.1f} ms, "
                    f"server CPU {res['server_cpu_s'] / res['points'] * 1e6:.2f} s/M, {res['retries']} waits")
    finally:
        ours.stop()
    out: Dict[str, Any] = {"shape": {"runs": sizes.runs, "metrics": sizes.metrics, "steps": sizes.steps,
                                     "concurrency": sizes.runs, "reps": sizes.reps, "backend": "sqlite"},
                           "cases": {}}
    for name, kind, ppr, shared in SHAPES:
        rows = samples[name]
        out["cases"][name] = {
            "body": kind, "points_per_request": ppr, "client_addresses": 1 if shared else sizes.runs,
            "waits": sum(int(r["retries"]) for r in rows),
            "points_per_s": median(r["points_per_s"] for r in rows),
            "points_per_s_all": [r["points_per_s"] for r in rows],
            "requests_per_s": median(r["requests"] / r["elapsed_s"] for r in rows),
            "p50_ms": median(r["latency_ms"]["p50"] for r in rows),
            "p99_ms": median(r["latency_ms"]["p99"] for r in rows),
            "server_cpu_s_per_m_points": median(r["server_cpu_s"] / r["points"] * 1e6 for r in rows),
            "loadgen_cpu_s_per_m_points": median(r["loadgen_cpu_s"] / r["points"] * 1e6 for r in rows),
        }
    c = out["cases"]
    out["ratio_legacy100_vs_exporter1000"] = ratio(c["legacy-100"]["points_per_s"], c["exporter-1000"]["points_per_s"])
    out["ratio_legacy1000_vs_exporter1000"] = ratio(c["legacy-1000"]["points_per_s"], c["exporter-1000"]["points_per_s"])
    return out


# (profile name, load generator target, points per request, backend)
PROFILES: Tuple[Tuple[str, str, int, str], ...] = (
    ("ours", "ours", 1000, "sqlite"),
    ("ours-gzip", "ours-gzip", 1000, "sqlite"),
    ("ours-legacy-100", "ours-legacy", 100, "sqlite"),
    ("ours-pg", "ours", 1000, "postgres"),
)


def profile_ours(sizes: Sizes, workdir: str) -> Dict[str, Any]:
    """One extra, unmeasured repetition per case against ours under the V8 profiler (the
    PostgreSQL case on a throw-away cluster of its own)."""
    out: Dict[str, Any] = {}
    for name, kind, ppr, backend in PROFILES:
        if backend == "postgres" and not postgres.available():
            continue
        prof_dir = os.path.join(workdir, f"profile-{name}")
        with contextlib.ExitStack() as stack:
            url = None
            if backend == "postgres":
                url = stack.enter_context(postgres.cluster()).create_database("lens")
            ours = start_ours(os.path.join(workdir, f"ingest-{name}"), database_url=url,
                              node_args=["--cpu-prof", "--cpu-prof-dir", prof_dir])
            try:
                res = run_loadgen(kind, ours.base_url, sizes.runs, sizes.metrics, sizes.steps,
                                  f"prof-{time.time_ns()}", concurrency=sizes.runs, points_per_request=ppr)
            finally:
                ours.stop()
        profiles = glob.glob(os.path.join(prof_dir, "*.cpuprofile"))
        if not profiles:
            raise RuntimeError(f"no V8 profile in {prof_dir}: the server did not exit cleanly on SIGTERM")
        out[name] = {"points_per_s_under_profiler": res["points_per_s"], "points_per_request": ppr,
                     "backend": backend, "top": [list(row) for row in top_self_time(profiles[0])],
                     "inclusive": [list(row) for row in top_self_time(profiles[0], inclusive=True, limit=25)]}
    return out
