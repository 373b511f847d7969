"""A capture HTTP server with injectable faults, on a real socket (standard library only).

It stores metric points the way the real server does: keyed (workload, run, rank, name, step),
last write wins. It also remembers every key it ACKNOWLEDGED (answered 2xx), so a test can tell
"the exporter re-sent something the server had already taken" (a duplicate send) apart from a
legitimate retry of something the server never confirmed.

Modes (set_mode): ok, slow (answer after `delay_s`), hang (read the request, never answer),
status (answer `status`, with `retry_after` if given), too_large (413 above `max_points`),
reset (drop the connection with RST). `fail_count` limits a fault to the first N requests;
`down()`/`up()` close and reopen the listening socket on the same port.
"""
from __future__ import annotations

import gzip
import json
import socket
import struct
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, List, Optional, Set, Tuple

Key = Tuple[str, str, int, str, int]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # clients that gave up (timeouts, resets) are the point of these tests


class FaultServer:
    def __init__(self, port: Optional[int] = None) -> None:
        self.port = port or free_port()
        self.lock = threading.Lock()
        self.mode = "ok"
        self.params: Dict[str, Any] = {}
        self.faults_left: Optional[int] = None
        self.requests = 0
        self.connections = 0  # TCP connections accepted: keep-alive means few
        self.headers: List[Dict[str, str]] = []
        self.stored: Dict[Key, Any] = {}
        self.acked: List[Key] = []
        self.detections: List[Dict[str, Any]] = []
        self.run_states: List[Dict[str, Any]] = []
        self.bodies: List[Dict[str, Any]] = []
        self.release = threading.Event()  # ends hangs when the test is over
        self._httpd: Optional[ThreadingHTTPServer] = None
        self.up()

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
        httpd.daemon_threads = True
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
            self._answer(req, 200, {"meta": {"code": 2000, "message": "OK"}, "data": {}})
        elif mode == "too_large":
            self._answer(req, 413, {"meta": {"code": 413, "message": "too large"}})
        else:
            headers = {"Retry-After": str(params["retry_after"])} if "retry_after" in params else {}
            self._answer(req, params.get("status", 500), {"meta": {"code": 0, "message": "fault"}}, headers)

    def _store(self, path: str, body: Dict[str, Any]) -> None:
        with self.lock:
            self.bodies.append(body)
            if path.endswith("/wandb/detection"):
                self.detections.append(body)
                return
            if body.get("run_state"):
                self.run_states.append(body["run_state"])
            workload = body.get("workload_uid") or "pod:" + body.get("pod_name", "")
            rank = body.get("rank") if body.get("rank") is not None else -1
            for point in body.get("metrics") or []:
                key = (workload, body["run_id"], rank, point["name"], point["step"])
                self.stored[key] = point["value"]
                self.acked.append(key)

    @staticmethod
    def _answer(req: BaseHTTPRequestHandler, status: int, payload: Dict[str, Any], headers: Optional[Dict[str, str]] = None) -> None:
        data = json.dumps(payload).encode()
        req.send_response(status)
        req.send_header("Content-Type", "application/json")
        req.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            req.send_header(name, value)
        req.end_headers()
        req.wfile.write(data)
        req.wfile.flush()

    # ---- assertions helpers -------------------------------------------------------------------

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
