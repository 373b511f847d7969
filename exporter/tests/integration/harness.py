"""Integration harness: venvs with real wandb, and script runners. The server they send to is
support/fake_server.py's FakeServer, as for every exporter test.

Venvs live in <repo>/.venvs/<name> and are made by exporter/tests/setup_venvs.sh (which also
installs the current exporter wheel into each, so the real .pth start-up path is exercised).
"""

from __future__ import annotations

import glob
import json
import os
import subprocess
import tempfile
from typing import Any, Dict, List, Tuple

from support.wandb_env import OFFLINE_WANDB_ENV

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
VENV_ROOT = os.path.join(REPO, ".venvs")
REQUIRED_VENV = "w031-py311"
ALL_VENVS = ("w031-py311", "w031-py313", "w019-py312", "w016-py38")
READER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "wandb_log_reader.py")
SCRIPT_TIMEOUT_S = 90


def venv_python(name: str) -> str:
    return os.path.join(VENV_ROOT, name, "bin", "python")


def available_venvs() -> List[str]:
    """The required venv always (a missing one fails loudly), the others where they installed."""
    return [n for n in ALL_VENVS if n == REQUIRED_VENV or os.path.exists(venv_python(n))]


def require_venv(name: str) -> str:
    path = venv_python(name)
    if not os.path.exists(path):
        raise AssertionError("venv %s missing: run exporter/tests/setup_venvs.sh first" % name)
    return path


def base_env(server_url: str, wandb_dir: str, **extra: str) -> Dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PRIMUS_", "WANDB_", "WORKLOAD_", "POD_", "RANK", "LOCAL_RANK", "WORLD_SIZE"))
    }
    env.update(
        {
            **OFFLINE_WANDB_ENV,
            "WANDB_DIR": wandb_dir,
            "PRIMUS_LENS_API_BASE_URL": server_url,
            "PRIMUS_LENS_WANDB_FLUSH_INTERVAL": "0.2",
            "PRIMUS_LENS_WANDB_EXIT_TIMEOUT": "10",
            "PRIMUS_LENS_WANDB_SPOOL_DIR": os.path.join(wandb_dir, "spool"),
            "WORKLOAD_UID": "w-test",
            "POD_UID": "pod-uid-1",
            "POD_NAME": "pod-0",
        }
    )
    env.update(extra)
    return env


def run_script(
    venv: str, code: str, env: Dict[str, str], timeout_s: float = SCRIPT_TIMEOUT_S
) -> subprocess.CompletedProcess:
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False, dir=env.get("WANDB_DIR")) as handle:
        handle.write(code)
    return subprocess.run([require_venv(venv), handle.name], env=env, capture_output=True, text=True, timeout=timeout_s)


def wandb_history(venv: str, wandb_dir: str) -> Dict[str, List[Tuple[int, Dict[str, Any]]]]:
    """run id -> the rows wandb-core stored, read from every offline run file under wandb_dir."""
    # Anywhere below: libraries choose their own folder (Lightning's WandbLogger its save_dir).
    files = sorted(glob.glob(os.path.join(wandb_dir, "**", "offline-run-*", "run-*.wandb"), recursive=True))
    if not files:
        return {}
    env = dict(os.environ, PRIMUS_LENS_WANDB_HOOK="false")
    out = subprocess.run(
        [require_venv(venv), READER] + files, env=env, stdout=subprocess.PIPE, text=True, timeout=60, check=True
    )
    found: Dict[str, List[Tuple[int, Dict[str, Any]]]] = {}
    for path, rows in json.loads(out.stdout).items():
        run_id = os.path.basename(path)[len("run-") : -len(".wandb")]
        found[run_id] = [(int(s), {k: float(v) for k, v in r.items() if isinstance(v, (int, float))}) for s, r in rows]
    return found
