"""Integration harness: venvs with real wandb, a capture HTTP server, and script runners.

Venvs live in <repo>/.venvs/<name> and are made by exporter/tests/setup_venvs.sh (which also
installs the current exporter wheel into each, so the real .pth start-up path is exercised).
"""
from __future__ import annotations

import glob
import gzip
import json
import math
import os
import subprocess
import sys
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, List, Optional, Tuple

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


def _decode_value(value: Any) -> float:
    if isinstance(value, str):
        return {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}[value]
    return float(value)


class CaptureServer:
    """Answers every POST with 200 and keeps the decoded bodies, per path."""

    def __init__(self) -> None:
        self.bodies: List[Tuple[str, Dict[str, Any]]] = []
        self._lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                if self.headers.get("Content-Encoding") == "gzip":
                    raw = gzip.decompress(raw)
                body = json.loads(raw.decode("utf-8"))
                with outer._lock:
                    outer.bodies.append((self.path, body))
                reply = json.dumps({"meta": {"code": 2000, "message": "OK"}, "data": {"count": 0}}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return "http://127.0.0.1:%d/api/v1" % self._server.server_address[1]

    def __enter__(self) -> "CaptureServer":
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def of(self, suffix: str) -> List[Dict[str, Any]]:
        with self._lock:
            return [b for p, b in self.bodies if p.endswith(suffix)]

    def points(self) -> List[Tuple[str, int, str, int, float]]:
        """Every metric point received: (run_id, pid, name, step, value)."""
        out = []
        for body in self.of("/wandb/metrics"):
            for m in body.get("metrics", []):
                out.append((body["run_id"], body["pid"], m["name"], m["step"], _decode_value(m["value"])))
        return out

    def rows(self, run_id: Optional[str] = None) -> List[Tuple[int, Dict[str, float]]]:
        """Points regrouped into wandb-style rows, sorted by step (asserts no duplicate keys)."""
        table: Dict[Tuple[str, int], Dict[str, float]] = {}
        for rid, _pid, name, step, value in self.points():
            if run_id is not None and rid != run_id:
                continue
            row = table.setdefault((rid, step), {})
            assert name not in row, "duplicate point %s@%d in run %s" % (name, step, rid)
            row[name] = value
        return [(step, row) for (_, step), row in sorted(table.items(), key=lambda kv: kv[0][1])]

    def run_states(self) -> List[Dict[str, Any]]:
        return [dict(b["run_state"], run_id=b["run_id"]) for b in self.of("/wandb/metrics") if b.get("run_state")]


def base_env(server_url: str, wandb_dir: str, **extra: str) -> Dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PRIMUS_", "WANDB_", "WORKLOAD_", "POD_", "RANK", "LOCAL_RANK", "WORLD_SIZE"))}
    env.update({
        "WANDB_MODE": "offline", "WANDB_DIR": wandb_dir, "WANDB_SILENT": "true", "WANDB_CONSOLE": "off",
        "WANDB_DISABLE_GIT": "true", "WANDB_DISABLE_CODE": "true", "WANDB_X_DISABLE_STATS": "true",
        "WANDB_X_DISABLE_META": "true", "WANDB_ERROR_REPORTING": "false",
        "PRIMUS_LENS_API_BASE_URL": server_url, "PRIMUS_LENS_WANDB_FLUSH_INTERVAL": "0.2",
        "PRIMUS_LENS_WANDB_EXIT_TIMEOUT": "10", "PRIMUS_LENS_WANDB_SPOOL_DIR": os.path.join(wandb_dir, "spool"),
        "WORKLOAD_UID": "w-test", "POD_UID": "pod-uid-1", "POD_NAME": "pod-0",
    })
    env.update(extra)
    return env


def run_script(venv: str, code: str, env: Dict[str, str], timeout_s: float = SCRIPT_TIMEOUT_S) -> subprocess.CompletedProcess:
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False, dir=env.get("WANDB_DIR")) as handle:
        handle.write(code)
    return subprocess.run([require_venv(venv), handle.name], env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, universal_newlines=True, timeout=timeout_s)


def wandb_history(venv: str, wandb_dir: str) -> Dict[str, List[Tuple[int, Dict[str, Any]]]]:
    """run id -> the rows wandb-core stored, read from every offline run file under wandb_dir."""
    # Anywhere below: libraries choose their own folder (Lightning's WandbLogger its save_dir).
    files = sorted(glob.glob(os.path.join(wandb_dir, "**", "offline-run-*", "run-*.wandb"), recursive=True))
    if not files:
        return {}
    env = dict(os.environ, PRIMUS_LENS_WANDB_HOOK="false")
    out = subprocess.run([require_venv(venv), READER] + files, env=env, stdout=subprocess.PIPE,
                         universal_newlines=True, timeout=60, check=True)
    found: Dict[str, List[Tuple[int, Dict[str, Any]]]] = {}
    for path, rows in json.loads(out.stdout).items():
        run_id = os.path.basename(path)[len("run-"):-len(".wandb")]
        found[run_id] = [(int(s), {k: float(v) for k, v in r.items() if isinstance(v, (int, float))}) for s, r in rows]
    return found
