"""Runs the TypeScript load generator (bench/loadgen) and returns its JSON result."""
from __future__ import annotations

import json
import os
import subprocess
from typing import Any, Dict

from .servers import REPO

TSX = os.path.join(REPO, "server", "node_modules", ".bin", "tsx")
MAIN = os.path.join(REPO, "bench", "loadgen", "main.ts")


def run_loadgen(target: str, base_url: str, runs: int, metrics: int, steps: int, tag: str,
                concurrency: int, points_per_request: int = 1000,
                timeout_s: float = 900) -> Dict[str, Any]:
    argv = [TSX, MAIN, "--target", target, "--base", base_url, "--runs", str(runs),
            "--metrics", str(metrics), "--steps", str(steps), "--tag", tag,
            "--concurrency", str(concurrency), "--points-per-request", str(points_per_request)]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout_s)
    if proc.returncode != 0:
        raise RuntimeError(f"loadgen {target} failed ({proc.returncode}): {proc.stderr[-2000:]}")
    result: Dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result
