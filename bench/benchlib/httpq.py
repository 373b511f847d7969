"""Timed GETs over keep-alive connections (one per thread), as a dashboard would make them."""
from __future__ import annotations

import http.client
import json
import threading
import time
import urllib.parse
from typing import Any, Dict, Tuple

_local = threading.local()


def _conn(base_url: str) -> http.client.HTTPConnection:
    conns: Dict[str, http.client.HTTPConnection] = getattr(_local, "conns", None) or {}
    _local.conns = conns
    if base_url not in conns:
        parsed = urllib.parse.urlsplit(base_url)
        conns[base_url] = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=120)
    return conns[base_url]


def timed_get(base_url: str, path: str) -> Tuple[float, bytes]:
    """(seconds from request to the last byte of the body, body); raises on non-200."""
    conn = _conn(base_url)
    start = time.perf_counter()
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        body = resp.read()
    except (http.client.HTTPException, OSError):
        conn.close()  # a stale keep-alive socket: reconnect once
        start = time.perf_counter()
        conn.request("GET", path)
        resp = conn.getresponse()
        body = resp.read()
    elapsed = time.perf_counter() - start
    if resp.status != 200:
        raise RuntimeError(f"GET {path} -> {resp.status}: {body[:300]!r}")
    return elapsed, body


def get_json(base_url: str, path: str) -> Any:
    return json.loads(timed_get(base_url, path)[1])


def post_json(base_url: str, path: str, payload: Any) -> Any:
    conn = _conn(base_url)
    conn.request("POST", path, body=json.dumps(payload), headers={"Content-Type": "application/json"})
    resp = conn.getresponse()
    body = resp.read()
    if resp.status != 200:
        raise RuntimeError(f"POST {path} -> {resp.status}: {body[:300]!r}")
    return json.loads(body)
