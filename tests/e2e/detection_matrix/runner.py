"""Runs the matrix's jobs the way jobs start: a fresh interpreter whose `.pth` starts the
installed exporter, real wandb in offline mode, a real server on a real socket. Each job's
framework imports are watched (watch/sitecustomize.py); a job whose detection report must not
arrive talks to the server through `DroppingRelay`, which forwards everything else unchanged.
"""
from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, List, Optional, Tuple

from harness import ROOT, Server, clean_env

from . import packages
from .cases import Case, Job

HERE = os.path.dirname(os.path.abspath(__file__))
WATCH = os.path.join(HERE, "watch")
REAL_JOBS = os.path.join(ROOT, "exporter", "tests", "integration", "jobs")
FRAMEWORKS_PYTHON = os.path.join(ROOT, ".venvs", "frameworks", "bin", "python")
EXPORTER_DIR = os.sep + "primus_lens_wandb_exporter" + os.sep
JOB_TIMEOUT_S = {"dev": 120.0, "frameworks": 420.0}


class DroppingRelay:
    """Answers /wandb/detection with 200 and drops it; forwards every other request to the server."""

    def __init__(self, target_api: str) -> None:
        self.dropped = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                if self.path.endswith("/wandb/detection"):
                    outer.dropped += 1
                    status, reply = 200, json.dumps({"meta": {"code": 2000, "message": "OK"}, "data": {}}).encode()
                else:
                    headers = {k: v for k, v in self.headers.items() if k.lower() in ("content-type", "content-encoding", "user-agent")}
                    url = target_api + self.path[self.path.index("/wandb/"):]
                    try:
                        with urllib.request.urlopen(urllib.request.Request(url, data=raw, headers=headers, method="POST"), timeout=30) as r:
                            status, reply = r.status, r.read()
                    except urllib.error.HTTPError as exc:
                        status, reply = exc.code, exc.read()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def api(self) -> str:
        return "http://127.0.0.1:%d/api/v1" % self._server.server_address[1]

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@dataclass
class JobRun:
    job: Job
    returncode: int
    stdout: str
    stderr: str
    imports: List[Dict[str, Any]]
    dropped: int = 0


@dataclass
class CaseRun:
    case: Case
    jobs: List[JobRun] = field(default_factory=list)
    detection: Optional[Dict[str, Any]] = None
    reports: List[Dict[str, Any]] = field(default_factory=list)
    # a failure of the harness itself (a job that hung, an unreadable database), kept per case
    error: Optional[str] = None

    @property
    def workload(self) -> str:
        return workload_of(self.case)

    def exporter_imports(self) -> List[Dict[str, Any]]:
        """Framework imports whose importing code is the exporter's (must be none)."""
        return [line for j in self.jobs for line in j.imports if EXPORTER_DIR in line["importer"]]


def workload_of(case: Case) -> str:
    return "matrix-" + case.id


def _script(job: Job, scratch: str) -> List[str]:
    if job.script.startswith("@"):
        path = os.path.join(REAL_JOBS, job.script[len("@jobs/"):])
        return [path, os.path.join(scratch, "out")]
    path = os.path.join(scratch, "job.py")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(job.script)
    return [path]


def run_job(server: Server, case: Case, job: Job, scratch: str, site: str) -> JobRun:
    os.makedirs(scratch, exist_ok=True)
    relay = DroppingRelay(server.api) if job.drop_detection else None
    watch_out = os.path.join(scratch, "imports.jsonl")
    python = sys.executable if job.venv == "dev" else FRAMEWORKS_PYTHON
    if not os.path.exists(python):
        raise AssertionError("%s is missing: run exporter/tests/setup_venvs.sh first" % python)
    path = [WATCH] if job.venv == "frameworks" else [site, WATCH]
    env = clean_env({
        "WANDB_MODE": "offline", "WANDB_SILENT": "true", "WANDB_CONSOLE": "off", "WANDB_DISABLE_GIT": "true",
        "WANDB_DISABLE_CODE": "true", "WANDB_X_DISABLE_STATS": "true", "WANDB_X_DISABLE_META": "true",
        "WANDB_ERROR_REPORTING": "false", "WANDB_PROJECT": "matrix",
        "PRIMUS_LENS_API_BASE_URL": relay.api if relay else server.api, "PRIMUS_LENS_WANDB_FLUSH_INTERVAL": "0.2",
        "PRIMUS_LENS_WANDB_EXIT_TIMEOUT": "20", "PRIMUS_LENS_WANDB_SPOOL_DIR": os.path.join(scratch, "spool"),
        "WORKLOAD_UID": workload_of(case), "POD_NAME": job.pod, "POD_UID": "uid-" + job.pod, "POD_NAMESPACE": "matrix",
        "PYTHONPATH": os.pathsep.join(path), "LENS_IMPORT_WATCH_OUT": watch_out,
        "PYTHONDONTWRITEBYTECODE": "1",
    }, scratch)
    env.update(job.env)
    try:
        done = subprocess.run([python] + _script(job, scratch), cwd=scratch, env=env, stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True,
                              timeout=JOB_TIMEOUT_S[job.venv])
    finally:
        if relay is not None:
            relay.close()
    imports: List[Dict[str, Any]] = []
    if os.path.exists(watch_out):
        with open(watch_out, encoding="utf-8") as handle:
            imports = [json.loads(line) for line in handle if line.strip()]
    return JobRun(job, done.returncode, done.stdout, done.stderr, imports, relay.dropped if relay else 0)


def stored_reports(server: Server, workload: str) -> List[Dict[str, Any]]:
    """The wandb reports the server stored for the workload (evidence included), read from its SQLite file."""
    db = sqlite3.connect("file:%s?mode=ro" % server.db_path, uri=True, timeout=10)
    try:
        rows = db.execute(
            "SELECT d.source_key, d.result, d.evidence FROM detection_sources d JOIN workloads w ON w.id = d.workload_id "
            "WHERE w.uid = ? AND d.source = 'wandb' ORDER BY d.source_key", (workload,)).fetchall()
    finally:
        db.close()
    return [{"source_key": key, "result": json.loads(result), "evidence": json.loads(evidence or "null") or {}}
            for key, result, evidence in rows]


def run_case(server: Server, case: Case, scratch: str) -> CaseRun:
    result = CaseRun(case)
    try:
        site = os.path.join(scratch, "site")
        packages.write_site(site, case.installed)
        for index, job in enumerate(case.jobs):
            result.jobs.append(run_job(server, case, job, os.path.join(scratch, "job-%d" % index), site))
        status, body = server.get("/workloads/%s/framework-detection" % workload_of(case))
        result.detection = body if status == 200 else None
        result.reports = stored_reports(server, workload_of(case))
    except Exception as exc:  # reported by the case's own test, not by every case's fixture
        result.error = "%s: %s" % (type(exc).__name__, exc)
    return result


def stack(framework: Optional[str], wrapper: Optional[str], base: Optional[str]) -> str:
    if wrapper and base and wrapper != base:
        return "%s / %s" % (wrapper, base)
    return wrapper or base or framework or "unknown"


def ours(run: CaseRun) -> Tuple[str, str]:
    d = run.detection or {}
    return stack(d.get("framework"), d.get("wrapper_framework"), d.get("base_framework")), str(d.get("status", "none"))
