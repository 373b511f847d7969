"""Runs the TypeScript load generator (bench/loadgen) and returns its JSON result."""
from __future__ import annotations

import json
import os
import subprocess
from typing import Any, Dict, Sequence, Union

from .servers import REPO

TSX = os.path.join(REPO, "server", "node_modules", ".bin", "tsx")
MAIN = os.path.join(REPO, "bench", "loadgen", "main.ts")


def run_loadgen(target: str, base_url: Union[str, Sequence[str]], runs: int, metrics: int, steps: int, tag: str,
                concurrency: int, points_per_request: int = 1000, workload_per_base: bool = False,
                timeout_s: float = 900, token: str = "", namespace: str = "",
                shared_address: bool = False) -> Dict[str, Any]:
    """`base_url`: one server, or several replicas (run r goes to replica r % n). `token`: sent as the
    bearer token (through the environment, never the command line); `namespace`: reported by every body.
    Each client sends from a loopback address of its own (one pod each) unless `shared_address`."""
    bases = base_url if isinstance(base_url, str) else ",".join(base_url)
    argv = [TSX, MAIN, "--target", target, "--base", bases, "--runs", str(runs),
            "--metrics", str(metrics), "--steps", str(steps), "--tag", tag,
            "--concurrency", str(concurrency), "--points-per-request", str(points_per_request),
            "--workload-per-base", "1" if workload_per_base else "0", "--shared-address", "1" if shared_address else "0"]
    if namespace:
        argv += ["--namespace", namespace]
    env = dict(os.environ, LENS_BENCH_TOKEN=token)
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout_s, env=env)
    if proc.returncode != 0:
        raise RuntimeError(f"loadgen {target} failed ({proc.returncode}): {proc.stderr[-2000:]}")
    result: Dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result
