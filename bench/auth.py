"""Ingest with a token check on every request, side by side with the same server without auth.

Two of our servers on SQLite, each on a fresh database, started once for the phase:
- `open`: no LENS_API_TOKEN and no token, so open mode (the rate limit keyed per address);
- `token`: an ingest token for namespace `bench`, made with the command line before the start,
  so every request is checked: bearer parsing, SHA-256, the cached token record, scope, the
  workload's namespace, and the rate limit keyed on the token.
Both get the same bodies (the namespace included, so both file each workload under it) from the
same load generator; only the check differs. Repetitions are paired and alternate their order
(open, token / token, open, …), so drift cancels; the result is the median of each side and the
median of the per-pair ratios, for points/s and for server CPU per million points. Many short
pairs (a quarter of the ingest phase's steps each) rather than a few long ones: on a shared
machine the load changes within seconds, and a pair measured back to back sees the same load.
LENS_BENCH_AUTH_PAIRS sets the number of pairs (default: six per repetition of the size).

On a shared machine throughput swings by more than the few percent asked about, so the phase
also times the check itself (bench/auth_check.ts: the server's own token and namespace code,
CPU microseconds per request over many alternating blocks) and states it as a share of the
server CPU one request costs in the paired runs.
"""
from __future__ import annotations

import json
import os
import subprocess
import time
from typing import Any, Dict, List

from benchlib.loadgen import TSX, run_loadgen
from benchlib.servers import OURS_MAIN, Server, start_ours
from benchlib.sizes import Sizes
from benchlib.stats import median, ratio

NAMESPACE = "bench"
CHECK = os.path.join(os.path.dirname(os.path.abspath(__file__)), "auth_check.ts")
SIDES = ("open", "token")


def _make_token(db_path: str) -> str:
    tokens_js = os.path.join(os.path.dirname(OURS_MAIN), "tokens.js")
    env = dict(os.environ, LENS_DATABASE_URL=db_path)
    env.pop("LENS_API_TOKEN", None)
    done = subprocess.run(["node", tokens_js, "create", "--json", "--name", "bench-ingest", "--scope", "ingest",
                           "--namespace", NAMESPACE], capture_output=True, text=True, env=env, timeout=120, check=True)
    return str(json.loads(done.stdout)["token"])


def _one(server: Server, token: str, sizes: Sizes, steps: int, tag: str) -> Dict[str, Any]:
    cpu0 = server.proc.cpu_seconds()
    result = run_loadgen("ours", server.base_url, sizes.runs, sizes.metrics, steps, tag, concurrency=sizes.runs,
                         token=token, namespace=NAMESPACE)
    result["server_cpu_s"] = server.proc.cpu_seconds() - cpu0
    return result


def run(sizes: Sizes, workdir: str, log: Any) -> Dict[str, Any]:
    servers: Dict[str, Server] = {}
    tokens = {"open": "", "token": ""}
    try:
        for side in SIDES:
            db_dir = os.path.join(workdir, f"auth-{side}-db")
            os.makedirs(db_dir, exist_ok=True)
            db_path = os.path.join(db_dir, "lens.db")
            if side == "token":
                tokens[side] = _make_token(db_path)
            servers[side] = start_ours(workdir, database_url=db_path, name=f"auth-{side}")
        for side in SIDES:  # warm-up: JIT, page cache, the token and namespace caches; not counted
            _one(servers[side], tokens[side], sizes, sizes.warmup_steps, f"warm-{side}-{time.time_ns()}")
        pairs = int(os.environ.get("LENS_BENCH_AUTH_PAIRS") or max(2, 6 * sizes.reps))
        steps = max(sizes.warmup_steps, sizes.steps // 4)
        samples: Dict[str, List[Dict[str, Any]]] = {side: [] for side in SIDES}
        for rep in range(pairs):
            for side in (SIDES if rep % 2 == 0 else tuple(reversed(SIDES))):
                res = _one(servers[side], tokens[side], sizes, steps, f"rep{rep}-{side}-{time.time_ns()}")
                samples[side].append(res)
                log(f"auth rep {rep} {side}: {res['points_per_s']:,.0f} points/s, p99 {res['latency_ms']['p99']:.1f} ms, "
                    f"server CPU {res['server_cpu_s'] / res['points'] * 1e6:.2f} s/M")
    finally:
        for server in servers.values():
            server.stop()
    cpu = {side: [r["server_cpu_s"] / r["points"] * 1e6 for r in samples[side]] for side in SIDES}
    pps = {side: [r["points_per_s"] for r in samples[side]] for side in SIDES}
    targets = {side: {
        "points_per_s": median(pps[side]),
        "points_per_s_all": pps[side],
        "p50_ms": median(r["latency_ms"]["p50"] for r in samples[side]),
        "p99_ms": median(r["latency_ms"]["p99"] for r in samples[side]),
        "server_cpu_s_per_m_points": median(cpu[side]),
        "retries": sum(int(r["retries"]) for r in samples[side]),
    } for side in SIDES}
    check = json.loads(subprocess.run([TSX, CHECK, "--calls", str(sizes.steps * 40)], capture_output=True, text=True,
                                      timeout=600, check=True).stdout.strip().splitlines()[-1])
    request_cpu_us = median(cpu["open"]) * 1000  # CPU s per 1M points = ms per 1,000 points; in µs
    check["server_cpu_us_per_request"] = request_cpu_us
    # A smoke-sized run can finish inside one 10 ms tick of the process CPU clock: its CPU reads 0,
    # and the share is then unknown (NaN, printed "n/a"), not a crash.
    check["share_of_request_cpu"] = ratio(check["added_us_per_request"], request_cpu_us)
    log(f"auth check alone: +{check['added_us_per_request']:.2f} µs CPU per request, "
        f"{check['share_of_request_cpu'] * 100:.3f}% of the {request_cpu_us:,.0f} µs a request costs the server")
    pair_pps = [ratio(t, o) for t, o in zip(pps["token"], pps["open"])]
    pair_cpu = [ratio(t, o) for t, o in zip(cpu["token"], cpu["open"])]
    return {
        "shape": {"runs": sizes.runs, "metrics": sizes.metrics, "steps": max(sizes.warmup_steps, sizes.steps // 4), "points_per_request": 1000,
                  "concurrency": sizes.runs, "pairs": len(pair_pps), "backend": "sqlite", "namespace": NAMESPACE},
        "targets": targets,
        "ratio_points_per_s": ratio(targets["token"]["points_per_s"], targets["open"]["points_per_s"]),
        "pair_ratios_points_per_s": pair_pps,
        "median_pair_ratio_points_per_s": median(pair_pps),
        "pair_ratios_cpu": pair_cpu,
        "median_pair_ratio_cpu": median(pair_cpu),
        "check_alone": check,
    }
