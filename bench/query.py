"""Query: a 1,000,000-point series and a 20-metric dashboard, ours vs MLflow, interleaved.

Ours answers with the series downsampled server-side to 1,000 points, on SQLite and on
PostgreSQL (a throw-away cluster, seeded through the same ingest API) side by side. MLflow has two ways:
get-history (every point, paged at 25,000 as its client does) and the sampled
get-history-bulk-interval (max 1,000 points, the endpoint its chart UI uses).
"""
from __future__ import annotations

import json
import os
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Dict, List, Optional

from benchlib import mlflow_seed, postgres
from benchlib.httpq import timed_get
from benchlib.loadgen import run_loadgen
from benchlib.servers import Server, start_mlflow, start_ours
from benchlib.sizes import Sizes
from benchlib.stats import median, percentile, ratio

# LENS_BENCH_BASELINE_MAIN: another build of our server, queried on the same PostgreSQL cluster
# (its own database, seeded the same way), so before and after share one run.
BASELINE_MAIN = os.environ.get("LENS_BENCH_BASELINE_MAIN")
DASHBOARD_METRICS = 20
BROWSER_CONNECTIONS = 6  # what a browser opens per host
SLOW_CASE_S = 2.0
VERY_SLOW_CASE_S = 20.0  # MLflow reading a million points takes minutes here; once is enough


def _q(params: Dict[str, Any]) -> str:
    return urllib.parse.urlencode(params)


Checks = List[Callable[[], None]]


def ours_series(base: str, workload: str, name: str, expect_total: int, checks: Checks) -> float:
    path = f"/api/v1/workloads/{urllib.parse.quote(workload, safe='')}/metrics/series?" + _q({"name": name, "max_points": 1000})
    elapsed, body = timed_get(base, path)

    def check() -> None:
        series = json.loads(body)["series"]
        total = sum(s["total_points"] for s in series)
        if total != expect_total or not all(0 < len(s["points"]) <= 1000 for s in series):
            raise RuntimeError(f"ours series {name}: total {total} != {expect_total} or bad point count")

    checks.append(check)
    return elapsed


def mlflow_history(base: str, run_id: str, key: str, expect: int, checks: Checks) -> float:
    """Every point of one run's metric, paged the way MLflow's own client pages."""
    elapsed, got, token = 0.0, 0, ""
    for _ in range(1000):
        params = {"run_id": run_id, "metric_key": key, "max_results": 25000}
        if token:
            params["page_token"] = token
        dt, body = timed_get(base, "/api/2.0/mlflow/metrics/get-history?" + _q(params))
        elapsed += dt
        page = json.loads(body)  # the next page token is inside: a client has to parse to go on
        got += len(page.get("metrics", []))
        token = page.get("next_page_token", "")
        if not token:
            break

    def check() -> None:
        if got != expect:
            raise RuntimeError(f"mlflow get-history {key}: {got} points, expected {expect}")

    checks.append(check)
    return elapsed


def mlflow_interval(base: str, run_ids: List[str], key: str, checks: Checks) -> float:
    query = [("run_ids", r) for r in run_ids] + [("metric_key", key), ("max_results", 1000)]
    elapsed, body = timed_get(base, "/ajax-api/2.0/mlflow/metrics/get-history-bulk-interval?" + urllib.parse.urlencode(query))

    def check() -> None:
        got = len(json.loads(body).get("metrics", []))
        if not 0 < got <= 1000 * len(run_ids):
            raise RuntimeError(f"mlflow bulk-interval {key}: {got} points")

    checks.append(check)
    return elapsed


def _single(fetch: Callable[[Checks], float]) -> float:
    """One request's time (request to last body byte); its content is checked afterwards."""
    checks: Checks = []
    elapsed = fetch(checks)
    for check in checks:
        check()
    return elapsed


def _parallel(fetches: List[Callable[[Checks], float]]) -> float:
    """Wall time for a page that fires these requests over a browser's connection count.

    Parsing and checking the bodies happens after the clock stops: in this Python client it
    would hold the GIL and add the same client cost to both sides.
    """
    checks: Checks = []
    start = time.perf_counter()
    with ThreadPoolExecutor(BROWSER_CONNECTIONS) as pool:
        list(pool.map(lambda f: f(checks), fetches))
    elapsed = time.perf_counter() - start
    for check in checks:
        check()
    return elapsed


def _metric_names(count: int) -> List[str]:
    base = ["loss", "lr", "grad_norm", "tokens_per_s", "mfu"]  # as bench/loadgen/stream.ts names them
    return [f"train/{base[i]}" if i < len(base) else f"train/metric_{i}" for i in range(count)]


def _seed_ours(ours: Server, sizes: Sizes, tag: str, log: Any, label: str) -> None:
    t = time.perf_counter()
    run_loadgen("ours", ours.base_url, 1, 1, sizes.series_points, tag + "-series", concurrency=1,
                points_per_request=10_000)
    run_loadgen("ours", ours.base_url, sizes.runs, DASHBOARD_METRICS, sizes.steps, tag + "-dash",
                concurrency=sizes.runs, points_per_request=1000)
    log(f"query: seeded {label} in {time.perf_counter() - t:.1f} s")


def _seed(ours: Server, ours_pg: Optional[Server], mlflow: Server, sizes: Sizes, log: Any,
          ours_pg_base: Optional[Server] = None) -> Dict[str, Any]:
    tag = f"q{time.time_ns()}"
    series_names = _metric_names(1)
    dash_names = _metric_names(DASHBOARD_METRICS)
    _seed_ours(ours, sizes, tag, log, "ours")
    if ours_pg is not None:
        _seed_ours(ours_pg, sizes, tag, log, "ours on PostgreSQL")
    if ours_pg_base is not None:
        _seed_ours(ours_pg_base, sizes, tag, log, "the baseline build on PostgreSQL")
    t = time.perf_counter()
    series_run = mlflow_seed.create_runs(mlflow.base_url, tag + "-series", 1)
    dash_runs = mlflow_seed.create_runs(mlflow.base_url, tag + "-dash", sizes.runs)
    db = os.path.join(mlflow.db_dir, "mlflow.db")
    mlflow_seed.seed(db, series_run, series_names, sizes.series_points)
    mlflow_seed.seed(db, dash_runs, dash_names, sizes.steps)
    log(f"query: seeded mlflow in {time.perf_counter() - t:.1f} s")
    return {"tag": tag, "series_name": series_names[0], "dash_names": dash_names,
            "series_run": series_run[0], "dash_runs": dash_runs}


def run(sizes: Sizes, workdir: str, log: Any) -> Dict[str, Any]:
    with postgres.cluster_if_available("query", log) as pg:
        return _run(sizes, workdir, log, pg)


def _run(sizes: Sizes, workdir: str, log: Any, pg: Optional[postgres.Postgres]) -> Dict[str, Any]:
    ours = start_ours(os.path.join(workdir, "query-ours"))
    ours_pg: Optional[Server] = None
    ours_pg_base: Optional[Server] = None
    mlflow = start_mlflow(os.path.join(workdir, "query-mlflow"))
    try:
        if pg is not None:
            ours_pg = start_ours(os.path.join(workdir, "query-ours-pg"), database_url=pg.create_database("lens"),
                                 name="ours-pg")
            if BASELINE_MAIN:
                ours_pg_base = start_ours(os.path.join(workdir, "query-ours-pg"), name="ours-pg-base", main=BASELINE_MAIN,
                                          database_url=pg.create_database("lens_base"))
        seed = _seed(ours, ours_pg, mlflow, sizes, log, ours_pg_base)
        if pg is not None:
            for db in ("lens", "lens_base") if ours_pg_base is not None else ("lens",):
                pg.sql("VACUUM ANALYZE", db=db)  # what autovacuum does to a table soon after a bulk load
            pg.checkpoint()
        tag, n = seed["tag"], sizes.series_points
        cases: Dict[str, Callable[[], float]] = {
            "series_ours_1000": lambda: _single(
                lambda ck: ours_series(ours.base_url, tag + "-series", seed["series_name"], n, ck)),
            "series_mlflow_history": lambda: _single(
                lambda ck: mlflow_history(mlflow.base_url, seed["series_run"], seed["series_name"], n, ck)),
            "series_mlflow_interval_1000": lambda: _single(
                lambda ck: mlflow_interval(mlflow.base_url, [seed["series_run"]], seed["series_name"], ck)),
            "dashboard_ours": lambda: _parallel([
                (lambda ck, name=name: ours_series(ours.base_url, tag + "-dash", name, sizes.runs * sizes.steps, ck))
                for name in seed["dash_names"]]),
            **({} if ours_pg is None else {
                "series_ours_pg_1000": lambda: _single(
                    lambda ck: ours_series(ours_pg.base_url, tag + "-series", seed["series_name"], n, ck)),
                "dashboard_ours_pg": lambda: _parallel([
                    (lambda ck, name=name: ours_series(ours_pg.base_url, tag + "-dash", name, sizes.runs * sizes.steps, ck))
                    for name in seed["dash_names"]]),
            }),
            **({} if ours_pg_base is None else {
                "series_ours_pg_base_1000": lambda: _single(
                    lambda ck: ours_series(ours_pg_base.base_url, tag + "-series", seed["series_name"], n, ck)),
                "dashboard_ours_pg_base": lambda: _parallel([
                    (lambda ck, name=name: ours_series(ours_pg_base.base_url, tag + "-dash", name, sizes.runs * sizes.steps, ck))
                    for name in seed["dash_names"]]),
            }),
            "dashboard_mlflow_history": lambda: _parallel([
                (lambda ck, name=name, run_id=run_id: mlflow_history(mlflow.base_url, run_id, name, sizes.steps, ck))
                for name in seed["dash_names"] for run_id in seed["dash_runs"]]),
            "dashboard_mlflow_interval": lambda: _parallel([
                (lambda ck, name=name: mlflow_interval(mlflow.base_url, seed["dash_runs"], name, ck))
                for name in seed["dash_names"]]),
        }
        timings: Dict[str, List[float]] = {k: [] for k in cases}
        reps: Dict[str, int] = {}
        for name, case in cases.items():  # warm-up: page cache, JIT, lazy imports
            # A case slower than SLOW_CASE_S gets fewer repetitions, so the run stays bounded.
            warm = case()
            if warm < SLOW_CASE_S:
                reps[name] = sizes.query_reps
            else:
                reps[name] = 1 if warm > VERY_SLOW_CASE_S else min(3, sizes.query_reps)
        for rnd in range(sizes.query_reps):  # interleaved: each round runs every case once
            for name, case in cases.items():
                if rnd < reps[name]:
                    timings[name].append(case() * 1000.0)
            log(f"query round {rnd}: " + ", ".join(f"{k} {v[-1]:.1f} ms" for k, v in timings.items() if len(v) > rnd))
        peak = {"ours": ours.proc.peak_rss_mb(), "mlflow": mlflow.proc.peak_rss_mb()}
        if ours_pg is not None:
            peak["ours_pg"] = ours_pg.proc.peak_rss_mb()
    finally:
        ours.stop()
        for extra in (ours_pg, ours_pg_base):
            if extra is not None:
                extra.stop()
        mlflow.stop()
    out: Dict[str, Any] = {"series_points": n, "dashboard": {"metrics": DASHBOARD_METRICS, "runs": sizes.runs,
                                                             "steps": sizes.steps, "connections": BROWSER_CONNECTIONS},
                           "reps": sizes.query_reps, "peak_rss_mb": peak, "cases": {}}
    for name, values in timings.items():
        out["cases"][name] = {"median_ms": median(values), "p90_ms": percentile(values, 0.9),
                              "min_ms": min(values), "reps": len(values)}
    c = out["cases"]
    out["speedup_series_vs_history"] = ratio(c["series_mlflow_history"]["median_ms"], c["series_ours_1000"]["median_ms"])
    out["speedup_series_vs_interval"] = ratio(c["series_mlflow_interval_1000"]["median_ms"], c["series_ours_1000"]["median_ms"])
    out["speedup_dashboard_vs_history"] = ratio(c["dashboard_mlflow_history"]["median_ms"], c["dashboard_ours"]["median_ms"])
    out["speedup_dashboard_vs_interval"] = ratio(c["dashboard_mlflow_interval"]["median_ms"], c["dashboard_ours"]["median_ms"])
    if "series_ours_pg_1000" in c:
        out["pg_vs_sqlite_series"] = ratio(c["series_ours_pg_1000"]["median_ms"], c["series_ours_1000"]["median_ms"])
        out["pg_vs_sqlite_dashboard"] = ratio(c["dashboard_ours_pg"]["median_ms"], c["dashboard_ours"]["median_ms"])
        out["speedup_series_pg_vs_interval"] = ratio(c["series_mlflow_interval_1000"]["median_ms"], c["series_ours_pg_1000"]["median_ms"])
        out["speedup_dashboard_pg_vs_interval"] = ratio(c["dashboard_mlflow_interval"]["median_ms"], c["dashboard_ours_pg"]["median_ms"])
    if "series_ours_pg_base_1000" in c:
        out["baseline_main"] = BASELINE_MAIN
        out["pg_vs_baseline_series"] = ratio(c["series_ours_pg_1000"]["median_ms"], c["series_ours_pg_base_1000"]["median_ms"])
        out["pg_vs_baseline_dashboard"] = ratio(c["dashboard_ours_pg"]["median_ms"], c["dashboard_ours_pg_base"]["median_ms"])
    return out
