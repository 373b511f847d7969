"""What the numbers were measured on: machine, versions and each side's durability settings."""
from __future__ import annotations

import json
import os
import subprocess
import time
from typing import Any, Dict

from . import postgres
from .servers import REPO, mlflow_venv


def _out(argv: list) -> str:
    try:
        return subprocess.run(argv, capture_output=True, text=True, timeout=60,
                              env=dict(os.environ, PRIMUS_LENS_WANDB_HOOK="false")).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "?"


def _pkg_version(path: str) -> str:
    try:
        with open(path) as fh:
            return str(json.load(fh).get("version", "?"))
    except (OSError, ValueError):
        return "?"


def describe() -> Dict[str, Any]:
    model = "?"
    with open("/proc/cpuinfo") as fh:
        for line in fh:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as fh:
        mem_kb = int(fh.readline().split()[1])
    py = os.path.join(REPO, ".venv", "bin", "python")
    mpy = os.path.join(mlflow_venv(), "bin", "python")
    nm = os.path.join(REPO, "server", "node_modules")
    return {
        "date_utc": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "nproc": os.cpu_count(), "cpu_model": model, "ram_gib": round(mem_kb / 1024 / 1024, 1),
        "kernel": os.uname().release,
        "git_commit": _out(["git", "-C", REPO, "rev-parse", "--short", "HEAD"]),
        "node": _out(["node", "--version"]),
        "python": _out([py, "--version"]),
        "wandb": _out([py, "-c", "import wandb; print(wandb.__version__)"]),
        "exporter": _out([py, "-c", "import importlib.metadata as m; print(m.version('primus-lens-wandb-exporter'))"]),
        "mlflow": _out([mpy, "-c", "import mlflow; print(mlflow.__version__)"]),
        "mlflow_python": _out([mpy, "--version"]),
        "mlflow_sqlalchemy": _out([mpy, "-c", "import sqlalchemy; print(sqlalchemy.__version__)"]),
        "fastify": _pkg_version(os.path.join(nm, "fastify", "package.json")),
        "better_sqlite3": _pkg_version(os.path.join(nm, "better-sqlite3", "package.json")),
        "node_pg": _pkg_version(os.path.join(nm, "pg", "package.json")),
        "mlflow_psycopg2": _out([mpy, "-c", "import psycopg2; print(psycopg2.__version__.split()[0])"]),
        "postgres": _out([os.path.join(postgres.BIN, "postgres"), "--version"]),
        "load_average": os.getloadavg(),
        "sqlite_python": _out([py, "-c", "import sqlite3; print(sqlite3.sqlite_version)"]),
    }
