"""The HTTP seam: one persistent keep-alive connection, gzip bodies, results as values.

Everything about the connection lives here and nowhere else: the URL's host, port and scheme,
the headers (token, user agent), TLS for `https://` URLs, keep-alive. Only mechanism, though
(connect, post, read, close). What a status means and whether to try
again is `retry.py`'s business. Nothing raises out of `post`: a failure without an HTTP answer
comes back as status 0 with the reason.
"""

from __future__ import annotations

import http.client
import socket
import threading
import time
from dataclasses import dataclass
from typing import Dict, Optional
from urllib.parse import urlsplit

from primus_lens_wandb_exporter.report.retry import parse_retry_after


@dataclass(frozen=True)
class Response:
    status: int  # 0: no HTTP answer (refused, reset, timeout)
    reason: str
    retry_after_s: Optional[float] = None
    reused_connection: bool = False
    body: bytes = b""  # the answer's body, kept when small (the detection verdict)


_KEPT_BODY_BYTES = 64 * 1024


class HttpTransport:
    def __init__(self, base_url: str, token: str, user_agent: str) -> None:
        parts = urlsplit(base_url)
        self._https = parts.scheme == "https"
        self._host = parts.hostname or "localhost"
        self._port = parts.port or (443 if self._https else 80)
        self._prefix = parts.path.rstrip("/")
        self._headers: Dict[str, str] = {
            "Content-Type": "application/json",
            "Content-Encoding": "gzip",
            "User-Agent": user_agent,
            "Connection": "keep-alive",
        }
        if token:
            self._headers["Authorization"] = "Bearer " + token
        self._conn: Optional[http.client.HTTPConnection] = None
        self._lock = threading.Lock()  # guards _conn between the sender and abort()

    def post(self, path: str, gzip_body: bytes, timeout_s: float) -> Response:
        timeout_s = max(0.001, timeout_s)
        with self._lock:
            conn = self._conn
            reused = conn is not None and conn.sock is not None
            if conn is None:
                conn = self._connect(timeout_s)
                self._conn = conn
        try:
            conn.timeout = timeout_s
            if conn.sock is not None:
                conn.sock.settimeout(timeout_s)
            conn.request("POST", self._prefix + path, body=gzip_body, headers=self._headers)
            raw = conn.getresponse()
            answer = raw.read()  # drain so the connection can be reused
            retry_after = parse_retry_after(raw.getheader("Retry-After"), time.time())
            if raw.will_close:
                self.close()
            return Response(
                raw.status, raw.reason or "", retry_after, reused, answer if len(answer) <= _KEPT_BODY_BYTES else b""
            )
        except (OSError, http.client.HTTPException, ValueError) as exc:
            self.close()
            return Response(0, "%s: %s" % (type(exc).__name__, exc), None, reused)

    def _connect(self, timeout_s: float) -> http.client.HTTPConnection:
        if self._https:
            return http.client.HTTPSConnection(self._host, self._port, timeout=timeout_s)
        return http.client.HTTPConnection(self._host, self._port, timeout=timeout_s)

    def abort(self) -> None:
        """From another thread: make an in-flight request fail now (exit deadline reached)."""
        with self._lock:
            conn = self._conn
        sock = conn.sock if conn is not None else None
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def close(self) -> None:
        with self._lock:
            conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.close()
            except Exception:
                pass
