"""Health: what training-health evaluation costs.

1. Ingest throughput with health evaluation on and off, side by side: two servers of ours on
   fresh databases of the same kind, one with LENS_HEALTH=off, fed the same stream by the same load
   generator, alternating A B B A … so drift cancels. After each repetition the server gets a
   short idle (longer than LENS_HEALTH_FLUSH_INTERVAL_MS) before its CPU is read, so the last
   flush of the health evaluation is counted. Many short pairs (full size: 4 groups of 3 pairs of
   400,000 points; LENS_BENCH_HEALTH_GROUPS, LENS_BENCH_HEALTH_PAIRS), each group on a fresh
   pair of servers: on this shared 2-core machine one repetition swings by ±20 % and one server
   process can be a few per cent faster than another for its whole life, so the answer to a 5 %
   question is the median of the per-pair ratios over several processes. On SQLite and, when a PostgreSQL cluster can be
   made, on PostgreSQL (one replica each).
2. Evaluation cost with many live runs (1,000 in the full size), in one process on a real store:
   server/test/health/measure.ts (flush of one batch per run, sweep, /metrics/training, the
   health answer, state size and heap per run).
"""
from __future__ import annotations

import contextlib
import json
import os
import subprocess
import time
from typing import Any, Callable, Dict, List, Optional

from benchlib import postgres
from benchlib.loadgen import run_loadgen
from benchlib.servers import OURS_MAIN, REPO, Server, start_ours
from benchlib.sizes import Sizes
from benchlib.stats import median, ratio

SETTLE_S = 6.0  # > the default flush interval (5 s): the last flush is in the CPU figure
TSX = os.path.join(REPO, "server", "node_modules", ".bin", "tsx")


def _rep(server: Server, sizes: Sizes, steps: int, tag: str) -> Dict[str, Any]:
    cpu0 = server.proc.cpu_seconds()
    res = run_loadgen("ours", server.base_url, sizes.runs, sizes.metrics, steps, tag, concurrency=sizes.runs)
    time.sleep(SETTLE_S if sizes.name == "full" else 0.2)  # the smoke run measures nothing
    res["server_cpu_s"] = server.proc.cpu_seconds() - cpu0
    return res


def _side_by_side(sizes: Sizes, workdir: str, log: Any, backend: str,
                  url_for: Callable[[str, int], Optional[str]]) -> Dict[str, Any]:
    full = sizes.name == "full"
    groups = int(os.environ.get("LENS_BENCH_HEALTH_GROUPS") or (4 if full else 1))
    per_group = int(os.environ.get("LENS_BENCH_HEALTH_PAIRS") or (3 if full else sizes.reps))
    steps = sizes.steps // 2 if full else sizes.steps
    samples: Dict[str, List[Dict[str, Any]]] = {"on": [], "off": []}
    for group in range(groups):
        # A fresh pair of servers (and databases) per group: one process can run a few per cent
        # faster or slower than another for its whole life (its heap, its JIT's choices), and
        # pairs on the same two processes would all carry that difference.
        servers: Dict[str, Server] = {}
        try:
            for name, env in (("on", {}), ("off", {"LENS_HEALTH": "off"})):
                # main= keeps the smoke run from handing back its shared server (which has health on).
                servers[name] = start_ours(os.path.join(workdir, f"{backend}-{name}-{group}"), database_url=url_for(name, group),
                                           name=f"health-{name}-{group}", extra_env=env, main=OURS_MAIN)
            # Warm-up as long as a measured repetition: a fresh process compiles its hot code while
            # it runs, and the health side has more of it; a long-running server paid that once.
            for name, server in servers.items():
                run_loadgen("ours", server.base_url, sizes.runs, sizes.metrics, steps, f"warm-{backend}-{name}-{time.time_ns()}",
                            concurrency=sizes.runs)
            for rep in range(per_group):
                for name in (("on", "off") if (rep + group) % 2 == 0 else ("off", "on")):
                    res = _rep(servers[name], sizes, steps, f"g{group}r{rep}-{backend}-{name}-{time.time_ns()}")
                    samples[name].append(res)
                    log(f"health {backend} group {group} rep {rep} health {name}: {res['points_per_s']:,.0f} points/s, "
                        f"server CPU {res['server_cpu_s'] / res['points'] * 1e6:.2f} s/M")
        finally:
            for server in servers.values():
                server.stop()
    out: Dict[str, Any] = {"reps": len(samples["on"]), "groups": groups,
                           "points_per_rep": samples["on"][0]["points"] if samples["on"] else 0}
    for name, rows in samples.items():
        out[name] = {"points_per_s": median(r["points_per_s"] for r in rows),
                     "points_per_s_all": [r["points_per_s"] for r in rows],
                     "p50_ms": median(r["latency_ms"]["p50"] for r in rows),
                     "p99_ms": median(r["latency_ms"]["p99"] for r in rows),
                     "server_cpu_s_per_m_points": median(r["server_cpu_s"] / r["points"] * 1e6 for r in rows)}
    out["throughput_on_vs_off"] = ratio(out["on"]["points_per_s"], out["off"]["points_per_s"])
    out["cpu_on_vs_off"] = ratio(out["on"]["server_cpu_s_per_m_points"], out["off"]["server_cpu_s_per_m_points"])
    pairs = list(zip(samples["on"], samples["off"]))
    out["pair_ratios_points_per_s"] = [ratio(a["points_per_s"], b["points_per_s"]) for a, b in pairs]
    out["median_pair_ratio_points_per_s"] = median(out["pair_ratios_points_per_s"])
    out["pair_ratios_cpu"] = [ratio(a["server_cpu_s"] / a["points"], b["server_cpu_s"] / b["points"]) for a, b in pairs]
    out["median_pair_ratio_cpu"] = median(out["pair_ratios_cpu"])
    return out


def _evaluation_cost(runs: int, backend: str) -> Dict[str, Any]:
    argv = ["node", "--expose-gc", "--import", "tsx", "test/health/measure.ts", "--runs", str(runs), "--backend", backend]
    proc = subprocess.run(argv, cwd=os.path.join(REPO, "server"), capture_output=True, text=True, timeout=1800)
    if proc.returncode != 0:
        raise RuntimeError(f"health measure failed ({proc.returncode}): {proc.stderr[-2000:]}")
    result: Dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def run(sizes: Sizes, workdir: str, log: Any) -> Dict[str, Any]:
    out: Dict[str, Any] = {"shape": {"runs": sizes.runs, "metrics": sizes.metrics, "steps": sizes.steps // 2 if sizes.name == "full" else sizes.steps,
                                     "points_per_request": 1000, "concurrency": sizes.runs}}
    out["sqlite"] = _side_by_side(sizes, workdir, log, "sqlite", lambda name, group: None)
    log(f"health sqlite: on/off throughput {out['sqlite']['throughput_on_vs_off']:.3f}, "
        f"median of pairs {out['sqlite']['median_pair_ratio_points_per_s']:.3f}")
    live = 1000 if sizes.name == "full" else 50
    out["evaluation"] = {"sqlite": _evaluation_cost(live, "sqlite")}
    with contextlib.ExitStack() as stack:
        # The smoke run (make test) proves the scripts work on SQLite; PostgreSQL is measured in full runs.
        if postgres.available() and sizes.name == "full":
            pg = stack.enter_context(postgres.cluster())
            out["postgres"] = _side_by_side(sizes, workdir, log, "postgres",
                                            lambda name, group: pg.create_database(f"health_{name}_{group}"))
            log(f"health postgres: on/off throughput {out['postgres']['throughput_on_vs_off']:.3f}, "
                f"median of pairs {out['postgres']['median_pair_ratio_points_per_s']:.3f}")
        elif sizes.name == "full":
            log(f"health: no PostgreSQL in {postgres.BIN}; PostgreSQL side skipped")
    if postgres.available() and sizes.name == "full":
        out["evaluation"]["postgres"] = _evaluation_cost(live, "postgres")
    return out
