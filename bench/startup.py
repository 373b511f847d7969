"""Interpreter start-up with and without the exporter's .pth (hyperfine-style repeated runs).

Two throw-away venvs of the same interpreter differ only by the exporter's installed files
(package and .pth, copied from the project venv), so the difference is the .pth alone.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import time
from typing import Any, Dict, List

from benchlib.servers import REPO
from benchlib.stats import median, percentile

OUR_PY = os.path.join(REPO, ".venv", "bin", "python")


def _site(py: str) -> str:
    return subprocess.run([py, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True,
                          env=dict(os.environ, PRIMUS_LENS_WANDB_HOOK="false")).stdout.strip()


def _make_venvs(workdir: str) -> Dict[str, str]:
    base_py = subprocess.run([OUR_PY, "-c", "import sys; print(sys._base_executable)"],
                             capture_output=True, text=True, check=True).stdout.strip()
    src = _site(OUR_PY)
    pths = [n for n in os.listdir(src) if n.endswith(".pth") and "primus_lens" in n]
    if not pths:
        raise RuntimeError(f"no primus_lens .pth in {src}: is the exporter wheel installed (make build)?")
    pys = {}
    for name in ("without", "with"):
        venv = os.path.join(workdir, f"startup-{name}")
        shutil.rmtree(venv, ignore_errors=True)
        subprocess.run([base_py, "-m", "venv", "--without-pip", venv], check=True)
        pys[name] = os.path.join(venv, "bin", "python")
    dst = _site(pys["with"])
    shutil.copytree(os.path.join(src, "primus_lens_wandb_exporter"), os.path.join(dst, "primus_lens_wandb_exporter"))
    for pth in pths:
        shutil.copy(os.path.join(src, pth), dst)
    return pys


def _time(argv: List[str], env: Dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, env=env, check=True)
    return (time.perf_counter() - start) * 1000.0


def run(runs: int, workdir: str, log: Any) -> Dict[str, Any]:
    pys = _make_venvs(workdir)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PRIMUS_LENS_", "PYTHON"))}
    off = dict(env, PRIMUS_LENS_WANDB_HOOK="false")
    cases = {
        "venv_without_pth": ([pys["without"], "-c", "pass"], env),
        "venv_with_pth": ([pys["with"], "-c", "pass"], env),
        "project_venv": ([OUR_PY, "-c", "pass"], env),
        "project_venv_hook_false": ([OUR_PY, "-c", "pass"], off),
    }
    samples: Dict[str, List[float]] = {k: [] for k in cases}
    for argv, e in cases.values():  # warm-up
        for _ in range(3):
            _time(argv, e)
    for _ in range(runs):  # interleaved
        for name, (argv, e) in cases.items():
            samples[name].append(_time(argv, e))
    out: Dict[str, Any] = {"runs": runs, "cases": {k: {"median_ms": median(v), "p10_ms": percentile(v, 0.1),
                                                       "p90_ms": percentile(v, 0.9)} for k, v in samples.items()}}
    c = out["cases"]
    out["added_ms"] = c["venv_with_pth"]["median_ms"] - c["venv_without_pth"]["median_ms"]
    out["added_ms_p10"] = c["venv_with_pth"]["p10_ms"] - c["venv_without_pth"]["p10_ms"]
    log(f"startup: +{out['added_ms']:.2f} ms median for the .pth")
    return out
