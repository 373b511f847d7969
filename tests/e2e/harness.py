"""Real parts for the end-to-end tests: the built server as a process on a free port with its
own SQLite file, and training scripts run by the .venv's Python (wandb offline, the exporter
installed as a wheel) in a clean environment. Every wait is bounded; every process is stopped.
"""
from __future__ import annotations

import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Dict, List, Mapping, Optional, Tuple

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SERVER_MAIN = os.path.join(ROOT, "server", "dist", "src", "main.js")

# Variables a developer's shell (or the CI runner) might carry that would change what the
# exporter or wandb does; each test sets exactly the ones it means.
_SCRUBBED_PREFIXES = ("PRIMUS_", "WANDB_", "LENS_")
_SCRUBBED_NAMES = {"WORKLOAD_UID", "POD_UID", "POD_NAME", "POD_NAMESPACE", "FRAMEWORK", "RANK", "LOCAL_RANK",
                   "WORLD_SIZE", "NODE_RANK", "SLURM_NODEID", "PET_NODE_RANK", "EXP", "BACKEND", "PORT", "HOST"}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def clean_env(extra: Mapping[str, str], scratch: str) -> Dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in _SCRUBBED_NAMES and not k.startswith(_SCRUBBED_PREFIXES)}
    # wandb's files and the exporter's default spool stay inside the test's folder.
    env.update({"WANDB_DIR": scratch, "WANDB_CONFIG_DIR": scratch, "WANDB_CACHE_DIR": scratch,
                "XDG_CACHE_HOME": os.path.join(scratch, "cache"), "PYTHONUNBUFFERED": "1"})
    env.update(extra)
    return env


def unwrap(body: Any) -> Any:
    """Ingest answers use the {meta, data} envelope; unwrap it where a query answer has it too."""
    if isinstance(body, dict) and "meta" in body and "data" in body:
        return body["data"]
    return body


def http_json(method: str, url: str, body: Optional[bytes] = None, timeout_s: float = 10.0, token: str = "",
              ca_file: str = "") -> Tuple[int, Any]:
    headers = {"Accept": "application/json"}
    if body is not None:
        headers["Content-Type"] = "application/json"
    if token:
        headers["Authorization"] = "Bearer " + token
    request = urllib.request.Request(url, data=body, method=method, headers=headers)
    context = ssl.create_default_context(cafile=ca_file) if ca_file else None
    try:
        with urllib.request.urlopen(request, timeout=timeout_s, context=context) as response:
            return response.status, json.loads(response.read().decode("utf-8") or "null")
    except urllib.error.HTTPError as exc:
        raw = exc.read().decode("utf-8", "replace")
        try:
            return exc.code, json.loads(raw)
        except ValueError:
            return exc.code, raw


class Server:
    """`node server/dist/src/main.js` as the operator runs it, on a free port."""

    def __init__(self, workdir: str, extra_env: Optional[Mapping[str, str]] = None, ca_file: str = "") -> None:
        """`ca_file`: the server serves HTTPS (LENS_TLS_* in extra_env) with a certificate this CA signed."""
        self.port = free_port()
        self.ca_file = ca_file
        self.workdir = workdir
        self.db_path = os.path.join(workdir, "lens.db")
        self.log_path = os.path.join(workdir, "server.log")
        self.env = clean_env({"PORT": str(self.port), "HOST": "127.0.0.1", "LENS_DATABASE_URL": self.db_path,
                              "LENS_LOG_LEVEL": "info"}, workdir)
        self.env.update(extra_env or {})
        self.process: Optional["subprocess.Popen[bytes]"] = None

    @property
    def base(self) -> str:
        return "%s://127.0.0.1:%d" % ("https" if self.ca_file else "http", self.port)

    @property
    def api(self) -> str:
        return self.base + "/api/v1"

    def start(self, ready_timeout_s: float = 30.0) -> "Server":
        if not os.path.exists(SERVER_MAIN):
            raise RuntimeError("%s is missing: run `make build` first" % SERVER_MAIN)
        log = open(self.log_path, "wb")
        self.process = subprocess.Popen(["node", SERVER_MAIN], cwd=self.workdir, env=self.env,
                                        stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        deadline = time.monotonic() + ready_timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("server exited with %s:\n%s" % (self.process.returncode, self.log_text()))
            try:
                if http_json("GET", self.base + "/readyz", timeout_s=1.0, ca_file=self.ca_file)[0] == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError("server not ready after %.0f s:\n%s" % (ready_timeout_s, self.log_text()))

    def stop(self, timeout_s: float = 15.0) -> Optional[int]:
        if self.process is None or self.process.poll() is not None:
            return None if self.process is None else self.process.returncode
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)
            return None

    def log_text(self) -> str:
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as handle:
                return handle.read()
        except OSError:
            return ""

    def wait_for_log(self, needles: List[str], timeout_s: float = 10.0) -> str:
        """The log is written by the server asynchronously; wait until every needle is in it."""
        deadline = time.monotonic() + timeout_s
        text = self.log_text()
        while time.monotonic() < deadline and not all(n in text for n in needles):
            time.sleep(0.1)
            text = self.log_text()
        return text

    def get(self, path: str, token: str = "", **query: Any) -> Tuple[int, Any]:
        url = self.api + path + ("?" + urllib.parse.urlencode(query) if query else "")
        status, body = http_json("GET", url, token=token, ca_file=self.ca_file)
        return status, unwrap(body)

    def series(self, workload: str, name: str, token: str = "") -> List[Dict[str, Any]]:
        status, body = self.get("/workloads/%s/metrics/series" % urllib.parse.quote(workload, safe=""),
                                token=token, name=name, max_points=1000)
        assert status == 200, body
        return body["series"] if isinstance(body, dict) else body


def run_python(script: str, env: Mapping[str, str], cwd: str, timeout_s: float = 180.0) -> "subprocess.CompletedProcess[str]":
    """The training job: the .venv's Python, so the exporter starts from its .pth as in a user's image."""
    return subprocess.run([sys.executable, script], cwd=cwd, env=dict(env), stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True,
                          timeout=timeout_s)


def lines_in_order(text: str, expected: List[str]) -> List[str]:
    """Returns the expected prefixes that were not found in order (empty when all were)."""
    lines = text.splitlines()
    position = 0
    for index, prefix in enumerate(expected):
        while position < len(lines) and not lines[position].startswith(prefix):
            position += 1
        if position == len(lines):
            return expected[index:]
        position += 1
    return []
