"""Runs the benchmark scenarios and writes results.json, report.md and (optionally) JUnit.

usage: bench.py --size full|smoke [--only ingest,shapes,query,client,startup,profile,auth,health] [--out DIR]
                [--junit FILE]
Exit status is non-zero when any scenario failed, so a broken bench script fails `make test`.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import traceback
from typing import Any, Callable, Dict, List, Optional, Tuple

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import auth  # noqa: E402
import client  # noqa: E402
import health  # noqa: E402
import ingest  # noqa: E402
import query  # noqa: E402
import report  # noqa: E402
import startup  # noqa: E402
from benchlib import junit, machine  # noqa: E402
from benchlib.servers import close_shared, share, start_mlflow, start_ours  # noqa: E402
from benchlib.sizes import FULL, SMOKE  # noqa: E402

SCENARIOS = ("ingest", "shapes", "query", "client", "startup", "profile", "auth", "health")


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", choices=("full", "smoke"), default="smoke")
    ap.add_argument("--only", default=",".join(SCENARIOS))
    ap.add_argument("--out", default="")
    ap.add_argument("--junit", default="")
    args = ap.parse_args()
    sizes = FULL if args.size == "full" else SMOKE
    out_dir = os.path.abspath(args.out or tempfile.mkdtemp(prefix=f"lens-bench-{args.size}-"))
    os.makedirs(out_dir, exist_ok=True)
    work = tempfile.mkdtemp(prefix="work-", dir=out_dir)
    plan: Dict[str, Callable[[], Any]] = {
        "ingest": lambda: ingest.run(sizes, os.path.join(work, "ingest"), log),
        "shapes": lambda: ingest.run_shapes(sizes, os.path.join(work, "shapes"), log),
        "query": lambda: query.run(sizes, os.path.join(work, "query"), log),
        "client": lambda: client.run(sizes, os.path.join(work, "client"), log),
        "startup": lambda: startup.run(sizes.startup_runs, os.path.join(work, "startup"), log),
        "profile": lambda: ingest.profile_ours(sizes, os.path.join(work, "profile")),
        "auth": lambda: auth.run(sizes, os.path.join(work, "auth"), log),
        "health": lambda: health.run(sizes, os.path.join(work, "health"), log),
    }
    results: Dict[str, Any] = {"size": sizes._asdict(), "machine": machine.describe()}
    cases: List[Tuple[str, float, Optional[str]]] = []
    try:
        # Scenarios that compare with MLflow share one server of each kind in the smoke run; the
        # health scenario starts its own two (health on and off) and needs no MLflow.
        if sizes.shared_servers and any(n not in ("health",) for n in args.only.split(",") if n):
            shared = os.path.join(work, "shared")
            share("ours", start_ours(shared))
            share("mlflow", start_mlflow(shared, workers=sizes.mlflow_workers))
        run_all(args.only, plan, sizes.name, work, out_dir, results, cases)
    finally:
        close_shared()
    with open(os.path.join(out_dir, "report.md"), "w") as fh:
        fh.write(report.render(results))
    if args.junit:
        junit.write(args.junit, "bench-smoke" if sizes.name == "smoke" else "bench", cases)
    failed = [n for n, _, e in cases if e]
    log(f"results in {out_dir}; {len(cases) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0


def run_all(only: str, plan: Dict[str, Callable[[], Any]], size: str, work: str, out_dir: str,
            results: Dict[str, Any], cases: List[Tuple[str, float, Optional[str]]]) -> None:
    for name in [n for n in only.split(",") if n]:
        if name not in plan:
            raise SystemExit(f"unknown scenario {name}; known: {', '.join(SCENARIOS)}")
        os.makedirs(os.path.join(work, name), exist_ok=True)
        load_before = os.getloadavg()[0]
        log(f"{name}: start ({size}), load average {load_before:.1f}")
        start = time.perf_counter()
        err: Optional[str] = None
        try:
            results[name] = plan[name]()
        except Exception:  # recorded as this scenario's failure; the others still run
            err = traceback.format_exc()
            results[name] = {"error": err.strip().splitlines()[-1]}
            log(f"{name}: FAILED\n{err}")
        seconds = time.perf_counter() - start
        if isinstance(results[name], dict):  # other users of this machine skew numbers: say so
            results[name]["load_average_before"] = load_before
            results[name]["load_average_after"] = os.getloadavg()[0]
            results[name]["utc"] = [time.strftime("%H:%M:%S", time.gmtime(time.time() - seconds)),
                                    time.strftime("%H:%M:%S", time.gmtime())]
        cases.append((f"bench_{size}_{name}", seconds, err))
        log(f"{name}: {'failed' if err else 'done'} in {seconds:.1f} s")
        with open(os.path.join(out_dir, "results.json"), "w") as fh:
            json.dump(results, fh, indent=1, default=str)


if __name__ == "__main__":
    sys.exit(main())
