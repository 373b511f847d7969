"""The one fake telemetry server of the exporter's tests: a real HTTP socket (standard library).

It decodes every body it takes (gzip JSON) and keeps it with its path, and stores metric points
the way the real server does: keyed (workload, run, rank, name, step), last write wins. It also
remembers every key it ACKNOWLEDGED (answered 2xx), so a test can tell "the exporter re-sent
something the server had already taken" (a duplicate send) apart from a legitimate retry of
something the server never confirmed.

Faults (set_mode): ok, slow (answer after `delay_s`), hang (read the request, never answer),
status (answer `status`, with `retry_after` if given), too_large (413 above `max_points`),
reset (drop the connection with RST). `fail_count` limits a fault to the first N requests;
`down()`/`up()` close and reopen the listening socket on the same port. `verdict` is what a
detection answer says the server decided.
"""

from __future__ import annotations

import gzip
import json
import math
import socket
import struct
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, List, Optional, Set, Tuple

Key = Tuple[str, str, int, str, int]  # (workload, run, rank, name, step)
METRICS, DETECTION = "/wandb/metrics", "/wandb/detection"


def free_port() -> int:
    """A port nothing listens on (for "connection refused"); servers here bind port 0 instead."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _decode_value(value: Any) -> float:
    if isinstance(value, str):
        return {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}[value]
    return float(value)


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # clients that gave up (timeouts, resets) are the point of these tests


class FakeServer:
    def __init__(self) -> None:
        self.port = 0  # chosen by the first bind, kept across down()/up()
        self.lock = threading.Lock()
        self.mode = "ok"
        self.params: Dict[str, Any] = {}
        self.faults_left: Optional[int] = None
        self.requests = 0
        self.connections = 0  # TCP connections accepted: keep-alive means few
        self.headers: List[Dict[str, str]] = []
        self.received: List[Tuple[str, Dict[str, Any]]] = []  # (path, body) of every body taken
        self.stored: Dict[Key, Any] = {}
        self.acked: List[Key] = []
        self.release = threading.Event()  # ends hangs when the test is over
        self.verdict: Optional[Dict[str, Any]] = None  # a detection answer's data.detection, when set
        self._httpd: Optional[ThreadingHTTPServer] = None
        self.up()

    def __enter__(self) -> FakeServer:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    @property
    def base_url(self) -> str:
        return "http://127.0.0.1:%d/api/v1" % self.port

    def set_mode(self, mode: str, fail_count: Optional[int] = None, **params: Any) -> None:
        with self.lock:
            self.mode, self.params, self.faults_left = mode, params, fail_count

    def up(self) -> None:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def setup(self) -> None:
                super().setup()
                with server.lock:
                    server.connections += 1

            def do_POST(self) -> None:
                server.headers.append(dict(self.headers))
                server._handle(self)

        httpd = _QuietServer(("127.0.0.1", self.port), Handler)
        self.port = httpd.server_address[1]
        self._httpd = httpd
        threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def down(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def close(self) -> None:
        self.release.set()
        self.down()

    # ---- request handling ---------------------------------------------------------------------

    def _current_fault(self) -> Tuple[str, Dict[str, Any]]:
        with self.lock:
            self.requests += 1
            if self.mode == "ok":
                return "ok", {}
            if self.faults_left is not None:
                if self.faults_left <= 0:
                    return "ok", {}
                self.faults_left -= 1
            return self.mode, dict(self.params)

    def _handle(self, req: BaseHTTPRequestHandler) -> None:
        length = int(req.headers.get("Content-Length") or 0)
        raw = req.rfile.read(length)
        if req.headers.get("Content-Encoding") == "gzip":
            raw = gzip.decompress(raw)
        body = json.loads(raw.decode("utf-8"))
        mode, params = self._current_fault()
        if mode == "too_large" and len(body.get("metrics") or []) <= params.get("max_points", 0):
            mode = "ok"
        if mode == "hang":
            self.release.wait(params.get("hang_s", 30))
            req.close_connection = True
            return
        if mode == "reset":
            req.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            req.close_connection = True
            return
        if mode == "slow":
            time.sleep(params.get("delay_s", 0.5))
            mode = "ok"
        if mode == "ok":
            self._store(req.path, body)
            data: Dict[str, Any] = {"count": len(body.get("metrics") or [])}
            if req.path.endswith(DETECTION) and self.verdict is not None:
                data = {"detection": self.verdict}
            self._answer(req, 200, {"meta": {"code": 2000, "message": "OK"}, "data": data})
        elif mode == "too_large":
            self._answer(req, 413, {"meta": {"code": 413, "message": "too large"}})
        else:
            headers = {"Retry-After": str(params["retry_after"])} if "retry_after" in params else {}
            self._answer(req, params.get("status", 500), {"meta": {"code": 0, "message": "fault"}}, headers)

    def _store(self, path: str, body: Dict[str, Any]) -> None:
        with self.lock:
            self.received.append((path, body))
            if path.endswith(DETECTION):
                return
            workload = body.get("workload_uid") or "pod:" + body.get("pod_name", "")
            rank = body.get("rank") if body.get("rank") is not None else -1
            for point in body.get("metrics") or []:
                key = (workload, body["run_id"], rank, point["name"], point["step"])
                self.stored[key] = point["value"]
                self.acked.append(key)

    @staticmethod
    def _answer(
        req: BaseHTTPRequestHandler, status: int, payload: Dict[str, Any], headers: Optional[Dict[str, str]] = None
    ) -> None:
        data = json.dumps(payload).encode()
        req.send_response(status)
        req.send_header("Content-Type", "application/json")
        req.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            req.send_header(name, value)
        req.end_headers()
        req.wfile.write(data)
        req.wfile.flush()

    # ---- what arrived -------------------------------------------------------------------------

    @property
    def bodies(self) -> List[Dict[str, Any]]:
        """Every body taken, metrics and detection, in arrival order."""
        with self.lock:
            return [body for _, body in self.received]

    def of(self, suffix: str) -> List[Dict[str, Any]]:
        with self.lock:
            return [body for path, body in self.received if path.endswith(suffix)]

    @property
    def detections(self) -> List[Dict[str, Any]]:
        return self.of(DETECTION)

    def run_states(self) -> List[Dict[str, Any]]:
        """Each run end received: its run_state, with the run_id."""
        return [dict(b["run_state"], run_id=b["run_id"]) for b in self.of(METRICS) if b.get("run_state")]

    def keys(self) -> Set[Key]:
        with self.lock:
            return set(self.stored)

    def duplicate_acks(self) -> List[Key]:
        with self.lock:
            seen: Set[Key] = set()
            dups = []
            for key in self.acked:
                if key in seen:
                    dups.append(key)
                seen.add(key)
            return dups

    def points(self) -> List[Tuple[str, int, str, int, float]]:
        """Every metric point received: (run_id, pid, name, step, value)."""
        out = []
        for body in self.of(METRICS):
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
