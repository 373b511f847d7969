"""A/B of two builds of our server on SQLite: the ingest stream of `make bench`, interleaved.

usage: ab_server.py --a DIST_MAIN_JS --b DIST_MAIN_JS [--labels old,new] [--reps 3] [--steps 5000]
                    [--a-node NODE] [--b-node NODE]

Build each side from a clean export of its commit, e.g.
    git archive <commit> server | tar -x -C /tmp/a && ln -s "$PWD/server/node_modules" /tmp/a/server/
    (cd /tmp/a/server && npm run build)
and pass /tmp/a/server/dist/src/main.js. `--a-node`/`--b-node` run a side on another Node binary
(a runtime upgrade: each side built with its own node_modules). Prints one JSON line: median points/s, p99 and server
CPU-seconds per million points per side, and their ratios (b / a). On a shared machine the
ratios hold where the absolute numbers do not.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from benchlib.loadgen import run_loadgen  # noqa: E402
from benchlib.servers import start_ours  # noqa: E402
from benchlib.stats import median, ratio  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--a", required=True)
    ap.add_argument("--b", required=True)
    ap.add_argument("--labels", default="a,b")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--steps", type=int, default=5000)
    ap.add_argument("--a-node", default="node")
    ap.add_argument("--b-node", default="node")
    args = ap.parse_args()
    labels = args.labels.split(",")
    work = tempfile.mkdtemp(prefix="lens-ab-")
    servers = {labels[0]: start_ours(os.path.join(work, "a"), main=args.a, name="a", node=args.a_node),
               labels[1]: start_ours(os.path.join(work, "b"), main=args.b, name="b", node=args.b_node)}
    rows = {k: [] for k in labels}
    try:
        for label, server in servers.items():  # warm-up
            run_loadgen("ours", server.base_url, 8, 20, 250, f"warm-{time.time_ns()}", concurrency=8)
        for rep in range(args.reps):
            for label, server in (servers.items() if rep % 2 == 0 else reversed(list(servers.items()))):
                cpu0 = server.proc.cpu_seconds()
                res = run_loadgen("ours", server.base_url, 8, 20, args.steps, f"ab-{time.time_ns()}", concurrency=8)
                res["server_cpu_s_per_m"] = (server.proc.cpu_seconds() - cpu0) / res["points"] * 1e6
                rows[label].append(res)
                print(f"rep {rep} {label}: {res['points_per_s']:,.0f} points/s, p99 {res['latency_ms']['p99']:.1f} ms, "
                      f"server CPU {res['server_cpu_s_per_m']:.2f} s/M", file=sys.stderr, flush=True)
    finally:
        for server in servers.values():
            server.stop()
    out = {k: {"points_per_s": median(r["points_per_s"] for r in v), "p99_ms": median(r["latency_ms"]["p99"] for r in v),
               "server_cpu_s_per_m_points": median(r["server_cpu_s_per_m"] for r in v),
               "points_per_s_all": [r["points_per_s"] for r in v]} for k, v in rows.items()}
    a, b = out[labels[0]], out[labels[1]]
    out["ratio_points_per_s"] = ratio(b["points_per_s"], a["points_per_s"])
    out["ratio_server_cpu"] = ratio(b["server_cpu_s_per_m_points"], a["server_cpu_s_per_m_points"])
    out["load_average"] = os.getloadavg()
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
