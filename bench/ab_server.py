"""A/B of builds of our server on SQLite: the ingest stream of `make bench`, interleaved.

usage: ab_server.py --a DIST_MAIN_JS --b DIST_MAIN_JS [--labels old,new] [--reps 3] [--steps 5000]
                    [--cases ours:1000,ours-legacy:100,ours-legacy:1000] [--arm label=MAIN_JS[,VAR=VALUE]]
                    [--a-node NODE] [--b-node NODE]

Build each side from a clean export of its commit, e.g.
    git archive <commit> server | tar -x -C /tmp/a && ln -s "$PWD/server/node_modules" /tmp/a/server/
    (cd /tmp/a/server && npm run build)
and pass /tmp/a/server/dist/src/main.js. `--cases` names load generator targets and points per
request (default: our exporter's body at 1,000); each repetition runs every case against every
side, the order of the sides alternating. `--arm` adds further sides (a build, and environment
variables for it). `--a-node`/`--b-node` run a side on another Node binary (a runtime upgrade:
each side built with its own node_modules). Prints one JSON line: per case and side the median
points/s, p99 and server CPU-seconds per million points, and the ratios of each side to the first.
On a shared machine the ratios hold where the absolute numbers do not.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from typing import Dict, List, Tuple

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from benchlib.loadgen import run_loadgen  # noqa: E402
from benchlib.servers import start_ours  # noqa: E402
from benchlib.stats import median, ratio  # noqa: E402


def parse_arm(text: str) -> Tuple[str, str, Dict[str, str]]:
    label, _, rest = text.partition("=")
    main, *pairs = rest.split(",")
    return label, main, dict(p.split("=", 1) for p in pairs)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--a", required=True)
    ap.add_argument("--b", required=True)
    ap.add_argument("--labels", default="a,b")
    ap.add_argument("--arm", action="append", default=[])
    ap.add_argument("--cases", default="ours:1000")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--steps", type=int, default=5000)
    ap.add_argument("--a-node", default="node")
    ap.add_argument("--b-node", default="node")
    args = ap.parse_args()
    labels = args.labels.split(",")
    arms: List[Tuple[str, str, Dict[str, str]]] = [(labels[0], args.a, {}), (labels[1], args.b, {})]
    arms += [parse_arm(a) for a in args.arm]
    cases = [(c.split(":")[0], int(c.split(":")[1])) for c in args.cases.split(",")]
    work = tempfile.mkdtemp(prefix="lens-ab-")
    servers = {}
    nodes = {labels[0]: args.a_node, labels[1]: args.b_node}
    for i, (label, main_js, env) in enumerate(arms):
        servers[label] = start_ours(os.path.join(work, label), main=main_js, name=f"s{i}", extra_env=env,
                                    node=nodes.get(label, "node"))
    rows: Dict[str, Dict[str, List[dict]]] = {f"{k}:{p}": {label: [] for label in servers} for k, p in cases}
    try:
        for label, server in servers.items():  # warm-up
            for kind, ppr in cases:
                run_loadgen(kind, server.base_url, 8, 20, 250, f"warm-{time.time_ns()}", concurrency=8,
                            points_per_request=ppr)
        for rep in range(args.reps):
            order = list(servers.items()) if rep % 2 == 0 else list(reversed(list(servers.items())))
            for kind, ppr in cases:
                for label, server in order:
                    cpu0 = server.proc.cpu_seconds()
                    res = run_loadgen(kind, server.base_url, 8, 20, args.steps, f"ab-{time.time_ns()}", concurrency=8,
                                      points_per_request=ppr)
                    res["server_cpu_s_per_m"] = (server.proc.cpu_seconds() - cpu0) / res["points"] * 1e6
                    res["load1"] = os.getloadavg()[0]
                    rows[f"{kind}:{ppr}"][label].append(res)
                    print(f"rep {rep} {kind}:{ppr} {label}: {res['points_per_s']:,.0f} points/s, "
                          f"p99 {res['latency_ms']['p99']:.1f} ms, server CPU {res['server_cpu_s_per_m']:.2f} s/M, "
                          f"load {res['load1']:.1f}", file=sys.stderr, flush=True)
    finally:
        for server in servers.values():
            server.stop()
    out: Dict[str, object] = {"cases": {}, "load_average_end": os.getloadavg()}
    first = arms[0][0]
    for case, by_label in rows.items():
        summary = {label: {"points_per_s": median(r["points_per_s"] for r in v),
                           "p99_ms": median(r["latency_ms"]["p99"] for r in v),
                           "server_cpu_s_per_m_points": median(r["server_cpu_s_per_m"] for r in v),
                           "points_per_s_all": [round(r["points_per_s"]) for r in v],
                           "load1_all": [round(r["load1"], 1) for r in v]} for label, v in by_label.items()}
        for label in by_label:
            if label != first:
                summary[label]["ratio_points_per_s"] = ratio(summary[label]["points_per_s"], summary[first]["points_per_s"])
                summary[label]["ratio_server_cpu"] = ratio(summary[label]["server_cpu_s_per_m_points"],
                                                           summary[first]["server_cpu_s_per_m_points"])
        out["cases"][case] = summary  # type: ignore[index]
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
