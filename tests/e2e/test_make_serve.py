"""`make serve`: the server alone, in the foreground, on the operator's PORT and LENS_DATABASE_URL."""
from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import time

from harness import ROOT, clean_env, free_port, http_json


def wait_until_closed(port: int, timeout_s: float = 15.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            http_json("GET", "http://127.0.0.1:%d/healthz" % port, timeout_s=1)
        except OSError:
            return
        time.sleep(0.2)
    raise AssertionError("the server still answers on %d after SIGTERM" % port)


def test_make_serve_honours_port_and_database_url_and_stops_on_sigterm(tmp_path) -> None:
    port = free_port()
    database = tmp_path / "nested" / "serve.db"
    env = clean_env({"PORT": str(port), "LENS_DATABASE_URL": str(database), "HOST": "127.0.0.1"}, str(tmp_path))
    serve = subprocess.Popen(["make", "-s", "--no-print-directory", "serve"], cwd=ROOT, env=env,
                             stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        ready = False
        while time.monotonic() < deadline and serve.poll() is None:
            try:
                ready = http_json("GET", "http://127.0.0.1:%d/readyz" % port, timeout_s=1)[0] == 200
            except OSError:
                ready = False
            if ready:
                break
            time.sleep(0.2)
        assert ready, "make serve did not answer on PORT=%d" % port
        assert database.exists(), "LENS_DATABASE_URL was not used"
        # SIGTERM to the foreground group, as a terminal's Ctrl-C or a process manager would
        # send it: make itself dies of the signal, the server drains and closes its database.
        os.killpg(serve.pid, signal.SIGTERM)
        output, _ = serve.communicate(timeout=30)
        assert serve.returncode in (0, -signal.SIGTERM), output.decode(errors="replace")[-3000:]
        wait_until_closed(port)
        with sqlite3.connect(str(database)) as db:
            assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
            assert db.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0] > 0
    finally:
        if serve.poll() is None:
            os.killpg(serve.pid, signal.SIGKILL)
            serve.wait(timeout=10)
