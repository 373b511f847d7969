"""Client side: what logging costs the training thread, start-up, init, CPU and sustained rate.

Every measurement is a fresh interpreter (client_worker.py) so no run warms another; the
configurations are interleaved A B C D A B C D.
"""
from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
import time
import urllib.parse
from typing import Any, Dict, List, Tuple

from benchlib.httpq import get_json
from benchlib.servers import REPO, Blackhole, Server, Sink, mlflow_venv, start_mlflow, start_ours
from benchlib.sizes import Sizes
from benchlib.stats import median, ratio

OUR_PY = os.path.join(REPO, ".venv", "bin", "python")
WORKER = os.path.join(REPO, "bench", "client_worker.py")
STATS_RE = re.compile(r"Stopped\. Stats: (\{.*?\})")
CONFIGS = ("mlflow_async", "wandb_only", "wandb_exporter", "wandb_exporter_thread", "wandb_exporter_blackhole")


class Ctx:
    def __init__(self, workdir: str, ours: Server, mlflow: Server, hole: Blackhole, sink: Sink) -> None:
        self.workdir, self.ours, self.mlflow, self.hole, self.sink = workdir, ours, mlflow, hole, sink
        self.seq = 0

    def env(self, config: str) -> Tuple[str, Dict[str, str], str]:
        """(python, environment, workload uid) for one run of a configuration."""
        self.seq += 1
        uid = f"client-{config}-{self.seq}-{time.time_ns()}"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PRIMUS_LENS_", "WANDB_", "MLFLOW_"))}
        if config == "mlflow_async":
            env.update(MLFLOW_TRACKING_URI=self.mlflow.base_url, MLFLOW_DISABLE_TELEMETRY="true",
                       DO_NOT_TRACK="true", PRIMUS_LENS_WANDB_HOOK="false")
            return os.path.join(mlflow_venv(), "bin", "python"), env, uid
        wandb_dir = os.path.join(self.workdir, "wandb", str(self.seq))
        os.makedirs(wandb_dir, exist_ok=True)
        env.update(WANDB_MODE="offline", WANDB_DIR=wandb_dir, WANDB_SILENT="true", WORKLOAD_UID=uid,
                   POD_NAME="bench-pod", PRIMUS_LENS_WANDB_SPOOL_DIR=os.path.join(wandb_dir, "spool"))
        if config == "wandb_only":
            env["PRIMUS_LENS_WANDB_HOOK"] = "false"
        elif config in ("wandb_exporter", "lens"):
            env["PRIMUS_LENS_API_BASE_URL"] = self.ours.base_url + "/api/v1"
        elif config in ("wandb_exporter_thread", "lens_thread"):
            env["PRIMUS_LENS_API_BASE_URL"] = self.ours.base_url + "/api/v1"
            env["PRIMUS_LENS_WANDB_SENDER"] = "thread"  # the sending inside the training process
        elif config == "wandb_exporter_sink":
            env["PRIMUS_LENS_API_BASE_URL"] = f"http://127.0.0.1:{self.sink.port}/api/v1"
        elif config == "wandb_exporter_blackhole":
            env["PRIMUS_LENS_API_BASE_URL"] = f"http://127.0.0.1:{self.hole.port}/api/v1"
            env["PRIMUS_LENS_WANDB_EXIT_TIMEOUT"] = "2"  # bounded exit; the data goes to the spool
        return OUR_PY, env, uid

    def run(self, config: str, scalars: int, calls: int, mode: str = "", **extra_env: str) -> Dict[str, Any]:
        py, env, uid = self.env(config)
        env.update(extra_env)
        out = os.path.join(self.workdir, f"worker-{self.seq}.json")
        start = time.perf_counter()
        mode = mode or ("wandb" if config.startswith("wandb") else "lens" if config.startswith("lens") else "mlflow")
        proc = subprocess.run([py, WORKER, mode,
                               str(scalars), str(calls), out], env=env, capture_output=True, text=True,
                              timeout=600)
        wall = time.perf_counter() - start
        if proc.returncode != 0 or not os.path.exists(out):
            raise RuntimeError(f"{config} worker failed ({proc.returncode}): {proc.stderr[-3000:]}")
        with open(out) as fh:
            result: Dict[str, Any] = json.load(fh)
        result.update(config=config, workload=uid, wall_s=wall)
        match = STATS_RE.search(proc.stderr)
        if config.startswith(("wandb_exporter", "lens")):
            if match is None:
                raise RuntimeError(f"{config}: no 'Stopped. Stats' line; is the exporter installed?\n{proc.stderr[-2000:]}")
            result["exporter_stats"] = ast.literal_eval(match.group(1))
        return result

    def delivered(self, uid: str) -> int:
        body = get_json(self.ours.base_url, f"/api/v1/workloads/{urllib.parse.quote(uid, safe='')}/metrics")
        return sum(int(m["count"]) for m in body["metrics"])


def _median_or_none(values: Any) -> Any:
    data = [v for v in values if v is not None]
    return median(data) if data else None


def per_call(ctx: Ctx, sizes: Sizes, log: Any) -> Dict[str, Any]:
    out: Dict[str, Any] = {}
    for scalars in sizes.client_scalars:
        runs: Dict[str, List[Dict[str, Any]]] = {c: [] for c in CONFIGS}
        for c in CONFIGS if sizes.client_warmup else ():  # warm-up: disk cache for imports
            ctx.run(c, scalars, max(10, sizes.client_calls // 10))
        for _ in range(sizes.client_reps):
            for c in CONFIGS:
                runs[c].append(ctx.run(c, scalars, sizes.client_calls, LENS_BENCH_HOOK_CPU="1"))
        table = {c: {"median_us": median(r["per_call_us_median"] for r in rs),
                     "mean_us": median(r["per_call_us_mean"] for r in rs),
                     "p99_us": median(r["per_call_us_p99"] for r in rs),
                     "init_s": median(r["init_s"] for r in rs),
                     "finish_s": median(r["finish_s"] for r in rs),
                     "exit_s": median(r["exit_s"] for r in rs),
                     "wall_s": median(r["wall_s"] for r in rs),
                     "hook_added_us": _median_or_none(r.get("hook_log_added_us") for r in rs),
                     "hook_cpu_us": _median_or_none(r.get("hook_cpu_us") for r in rs),
                     "reporter_thread_cpu_us": _median_or_none(r.get("reporter_thread_cpu_us") for r in rs),
                     "shipper_rss_mb": _median_or_none(r.get("shipper_rss_mb") for r in rs),
                     "exporter_stats": rs[-1].get("exporter_stats")} for c, rs in runs.items()}
        base = table["wandb_only"]["median_us"]
        table["ratio_exporter_vs_wandb"] = ratio(table["wandb_exporter"]["median_us"], base)
        table["ratio_thread_vs_wandb"] = ratio(table["wandb_exporter_thread"]["median_us"], base)
        table["added_us_thread"] = table["wandb_exporter_thread"]["median_us"] - base
        table["ratio_blackhole_vs_wandb"] = ratio(table["wandb_exporter_blackhole"]["median_us"], base)
        table["added_us_exporter"] = table["wandb_exporter"]["median_us"] - base
        table["added_us_blackhole"] = table["wandb_exporter_blackhole"]["median_us"] - base
        table["ratio_exporter_vs_mlflow"] = ratio(table["wandb_exporter"]["median_us"], table["mlflow_async"]["median_us"])
        table["added_us_vs_mlflow"] = ratio(table["added_us_exporter"], table["mlflow_async"]["median_us"])
        log(f"client per-call {scalars} scalars: " + ", ".join(
            f"{c} {table[c]['median_us']:.1f} us" for c in CONFIGS))
        out[str(scalars)] = table
        init = {"wandb_only": [r["init_s"] for r in runs["wandb_only"]],
                "wandb_exporter": [r["init_s"] for r in runs["wandb_exporter"]],
                "hook": [r["hook_init_added_ms"] for r in runs["wandb_exporter"] if r.get("hook_init_added_ms") is not None]}
        out.setdefault("init_samples", {"wandb_only": [], "wandb_exporter": [], "hook": []})
        for k, v in init.items():
            out["init_samples"][k].extend(v)
    s = out.pop("init_samples")
    out["init"] = {"wandb_only_ms": median(s["wandb_only"]) * 1000, "wandb_exporter_ms": median(s["wandb_exporter"]) * 1000,
                   "samples": len(s["wandb_only"])}
    out["init"]["added_ms"] = out["init"]["wandb_exporter_ms"] - out["init"]["wandb_only_ms"]
    out["init"]["hook_added_ms"] = _median_or_none(s["hook"])
    return out


def cpu_and_sustained(ctx: Ctx, sizes: Sizes, log: Any) -> Dict[str, Any]:
    calls100 = max(1, sizes.cpu_points // 100)
    cpu = {"wandb_only": [], "wandb_exporter": []}  # type: Dict[str, List[float]]
    delivery = []  # a measurement, not an assertion: drops are reported, the run goes on
    for _ in range(sizes.cpu_pairs):
        for c in ("wandb_only", "wandb_exporter"):
            r = ctx.run(c, 100, calls100)
            cpu[c].append(r["process_cpu_s"])
            if c == "wandb_exporter":
                delivery.append({"delivered": ctx.delivered(r["workload"]), "logged": calls100 * 100,
                                 "calls_per_s": r["calls"] / r["loop_s"], "stats": r.get("exporter_stats")})
                log(f"client cpu run: {delivery[-1]}")
    added = median(cpu["wandb_exporter"]) - median(cpu["wandb_only"])
    out: Dict[str, Any] = {"cpu": {"points": calls100 * 100, "wandb_only_cpu_s": median(cpu["wandb_only"]),
                                   "wandb_exporter_cpu_s": median(cpu["wandb_exporter"]),
                                   "exporter_cpu_s_per_m_points": added / (calls100 * 100) * 1e6,
                                   "delivery": delivery}}
    sustained = []
    for c in ("wandb_only", "wandb_exporter", "wandb_exporter_thread") * sizes.cpu_pairs:
        r = ctx.run(c, 10, sizes.sustained_calls)
        row = {"config": c, "calls_per_s": r["calls"] / r["loop_s"], "calls": r["calls"]}
        if c != "wandb_only":
            row["delivered_points"] = ctx.delivered(r["workload"])
            row["expected_points"] = r["calls"] * 10
            row["dropped"] = r["exporter_stats"].get("dropped")
            row["zero_drops"] = row["delivered_points"] == row["expected_points"] and row["dropped"] == 0
        sustained.append(row)
        log(f"client sustained {c}: {row['calls_per_s']:,.0f} calls/s")
    exp = [s for s in sustained if s["config"] == "wandb_exporter"]
    out["sustained"] = {"runs": sustained,
                        "wandb_exporter_calls_per_s": median(s["calls_per_s"] for s in exp),
                        "wandb_exporter_thread_calls_per_s": median(
                            s["calls_per_s"] for s in sustained if s["config"] == "wandb_exporter_thread"),
                        "wandb_only_calls_per_s": median(s["calls_per_s"] for s in sustained if s["config"] == "wandb_only"),
                        "zero_drops": all(s["zero_drops"] for s in exp)}
    out["ceiling"] = ceiling(ctx, sizes, log)
    out["ab"] = same_process_ab(ctx, sizes, log)
    return out


def same_process_ab(ctx: Ctx, sizes: Sizes, log: Any) -> Dict[str, Any]:
    """wandb.log with the exporter's patch on and off in alternating blocks of one process."""
    out: Dict[str, Any] = {}
    # _sink: an API that answers at once and costs this machine nothing, as a server on another
    # node would; the difference to plain wandb_exporter is our server's ingest sharing 2 cores.
    for c in ("wandb_exporter", "wandb_exporter_thread", "wandb_exporter_sink"):
        reps = [ctx.run(c, 10, sizes.ab_calls, mode="wandb_ab") for _ in range(sizes.ab_reps)]
        row: Dict[str, Any] = {}
        for state in ("on", "off"):
            for key in ("median_us", "mean_us", "p99_us", "main_thread_cpu_us"):
                row[f"{state}_{key}"] = median(r[f"ab_{state}"][key] for r in reps)
        row["added_median_us"] = row["on_median_us"] - row["off_median_us"]
        row["ratio_median"] = ratio(row["on_median_us"], row["off_median_us"])
        row["added_mean_us"] = row["on_mean_us"] - row["off_mean_us"]
        row["added_cpu_us"] = row["on_main_thread_cpu_us"] - row["off_main_thread_cpu_us"]
        row["shipper_rss_mb"] = _median_or_none(r.get("shipper_rss_mb") for r in reps)
        row["reps"] = len(reps)
        out[c] = row
        log(f"client same-process A/B {c}: +{row['added_median_us']:.1f} us median ({row['ratio_median']:.3f}x), "
            f"+{row['added_cpu_us']:.1f} us main-thread CPU")
    return out


def ceiling(ctx: Ctx, sizes: Sizes, log: Any) -> List[Dict[str, Any]]:
    """The exporter's own sustained rate, wandb taken out: paced 10-scalar calls through its real
    wrapper and reporter to our server; a rate counts when every point arrived and none dropped."""
    runs = []
    for rate in sizes.ceiling_rates:
        for c in ("lens", "lens_thread"):
            r = ctx.run(c, 10, sizes.ceiling_calls, LENS_BENCH_RATE=str(rate))
            delivered = ctx.delivered(r["workload"])
            row = {"config": c, "target_calls_per_s": rate, "calls_per_s": r["calls"] / r["loop_s"],
                   "per_call_us_median": r["per_call_us_median"], "per_call_us_p99": r["per_call_us_p99"],
                   "delivered_points": delivered, "expected_points": r["calls"] * 10,
                   "dropped": r["exporter_stats"].get("dropped"), "finish_s": r["finish_s"], "exit_s": r["exit_s"]}
            row["zero_drops"] = delivered == row["expected_points"] and row["dropped"] == 0
            runs.append(row)
            log(f"client ceiling {c} at {rate:,}/s: {row['calls_per_s']:,.0f} calls/s, "
                f"{delivered:,}/{row['expected_points']:,} delivered, dropped {row['dropped']}")
    return runs


def run(sizes: Sizes, workdir: str, log: Any) -> Dict[str, Any]:
    ours = start_ours(os.path.join(workdir, "client-ours"))
    mlflow = start_mlflow(os.path.join(workdir, "client-mlflow"))
    hole, sink = Blackhole(), Sink()
    try:
        ctx = Ctx(workdir, ours, mlflow, hole, sink)
        result = {"per_call": per_call(ctx, sizes, log)}
        result.update(cpu_and_sustained(ctx, sizes, log))
    finally:
        hole.close()
        sink.close()
        ours.stop()
        mlflow.stop()
    return result
