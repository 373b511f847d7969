"""The HTTP seam: one persistent keep-alive connection, gzip bodies, results as values.

Everything about the connection lives here and nowhere else: the URL's host, port and scheme,
the headers (token, user agent), TLS for `https://` URLs, keep-alive. Only mechanism, though
(connect, post, read, close). What a status means and whether to try
again is `retry.py`'s business. Nothing raises out of `post`: a failure without an HTTP answer
comes back as status 0 with the reason.

HTTPS verifies the server against the system's CAs, or only against PRIMUS_LENS_CA_BUNDLE (a
PEM file, for a private CA) when it is set; the standard library's ssl module does the work.
"""

from __future__ import annotations

import http.client
import os
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from typing import Dict, Optional
from urllib.parse import urlsplit

from primus_lens_wandb_exporter import config as config_mod
from primus_lens_wandb_exporter.report.retry import parse_retry_after


@dataclass(frozen=True)
class Response:
    status: int  # 0: no HTTP answer (refused, reset, timeout)
    reason: str
    retry_after_s: Optional[float] = None
    reused_connection: bool = False
    body: bytes = b""  # the answer's body, kept when small (the detection verdict)


_KEPT_BODY_BYTES = 64 * 1024


def tls_context(ca_bundle: str) -> ssl.SSLContext:
    """What every https connection uses: chain and host name verified, TLS 1.2 or newer.

    Raises OSError or ssl.SSLError when `ca_bundle` cannot be loaded."""
    context = ssl.create_default_context(cafile=ca_bundle or None)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


class HttpTransport:
    def __init__(self, base_url: str, token: str, user_agent: str, ca_bundle: Optional[str] = None) -> None:
        """`ca_bundle` None: PRIMUS_LENS_CA_BUNDLE from the environment (the shipper inherits it)."""
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
        self._tls: Optional[ssl.SSLContext] = None
        self._tls_error = ""
        if self._https:
            bundle = config_mod.ca_bundle(os.environ) if ca_bundle is None else ca_bundle
            try:
                self._tls = tls_context(bundle)
            except (OSError, ssl.SSLError, ValueError) as exc:
                # The reason of every attempt (status 0), so the data waits in the spool.
                self._tls_error = "SSLError: cannot load PRIMUS_LENS_CA_BUNDLE=%s: %s" % (bundle, exc)

    def post(self, path: str, gzip_body: bytes, timeout_s: float) -> Response:
        if self._tls_error:
            return Response(0, self._tls_error)
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
            return http.client.HTTPSConnection(self._host, self._port, timeout=timeout_s, context=self._tls)
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
