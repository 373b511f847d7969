"""Two replicas on one PostgreSQL behind a round-robin TCP proxy (what a Kubernetes Service does),
and one of them killed with SIGKILL in the middle of a real training job: every point the job
logged is stored exactly once, and both replicas serve it."""
from __future__ import annotations

import itertools
import os
import signal
import socket
import threading
import time
from typing import Any, Iterator, List, Tuple

import pytest

from harness import Server, clean_env, run_python

STEPS = 1500
JOB = """
import time, wandb
run = wandb.init(project="p", name="replicas")
for step in range(%d):
    wandb.log({"loss": 1.0 / (step + 1), "lr": 0.001})
    time.sleep(0.004)
wandb.finish()
""" % STEPS


class RoundRobinProxy:
    """Each new connection goes to the next backend; a backend that refuses the connection is
    skipped, as endpoints of a dead pod leave a Service. Bytes are copied both ways as they are."""

    def __init__(self, backends: List[Tuple[str, int]]) -> None:
        self.backends = backends
        self._next = itertools.cycle(range(len(backends)))
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)
        self.port = self._listener.getsockname()[1]
        self._stop = threading.Event()
        self._threads: List[threading.Thread] = []
        self.connections = [0] * len(backends)

    def __enter__(self) -> "RoundRobinProxy":
        thread = threading.Thread(target=self._accept, daemon=True)
        thread.start()
        self._threads.append(thread)
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        self._listener.close()
        for thread in self._threads:
            thread.join(timeout=5)

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._listener.accept()
            except (socket.timeout, OSError):
                continue
            upstream = self._connect()
            if upstream is None:
                client.close()
                continue
            for src, dst in ((client, upstream), (upstream, client)):
                thread = threading.Thread(target=self._pipe, args=(src, dst), daemon=True)
                thread.start()

    def _connect(self) -> Any:
        start = next(self._next)
        for offset in range(len(self.backends)):
            index = (start + offset) % len(self.backends)
            try:
                upstream = socket.create_connection(self.backends[index], timeout=2)
            except OSError:
                continue
            self.connections[index] += 1
            return upstream
        return None

    def _pipe(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while not self._stop.is_set():
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (src, dst):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


@pytest.fixture()
def replicas(pg_cluster: Any, tmp_path: Any, installed_exporter: str) -> Iterator[List[Server]]:
    url = pg_cluster.create_database("replicas_%d" % os.getpid())
    servers: List[Server] = []
    try:
        for name in ("a", "b"):
            (tmp_path / name).mkdir()
            servers.append(Server(str(tmp_path / name), {"LENS_DATABASE_URL": url}))
        for server in servers:
            server.start()
        yield servers
    finally:
        for server in servers:
            server.stop()


def test_a_replica_killed_mid_job_loses_and_duplicates_nothing(replicas: List[Server], tmp_path: Any) -> None:
    a, b = replicas
    with RoundRobinProxy([("127.0.0.1", a.port), ("127.0.0.1", b.port)]) as proxy:
        script = tmp_path / "job.py"
        script.write_text(JOB)
        env = clean_env({"WANDB_MODE": "offline", "WANDB_SILENT": "true", "WORKLOAD_UID": "w-replicas",
                         "POD_NAME": "pod-0", "PRIMUS_LENS_API_BASE_URL": "http://127.0.0.1:%d/api/v1" % proxy.port,
                         "PRIMUS_LENS_WANDB_FLUSH_INTERVAL": "0.2", "PRIMUS_LENS_WANDB_BATCH_SIZE": "200",
                         "PRIMUS_LENS_WANDB_EXIT_TIMEOUT": "60"}, str(tmp_path))
        result: List[Any] = []
        job = threading.Thread(target=lambda: result.append(run_python(str(script), env, str(tmp_path))))
        job.start()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and sum(proxy.connections) == 0:
            time.sleep(0.05)
        time.sleep(2.0)  # mid-run: the job has been sending for a while
        status, before = b.get("/workloads/w-replicas")
        assert status == 200 and 0 < before["points"] < 2 * STEPS, before  # A has taken some, not all
        assert a.process is not None and a.process.poll() is None and proxy.connections[0] > 0
        os.kill(a.process.pid, signal.SIGKILL)
        a.process.wait(timeout=10)
        job.join(timeout=240)
        assert result, "the job did not finish"
        done = result[0]
        assert done.returncode == 0, done.stderr[-3000:]
    assert "Delivery FAILED" not in done.stderr, done.stderr[-3000:]
    for name, value in (("loss", None), ("lr", 0.001)):
        status, body = b.get("/workloads/w-replicas/metrics/series", name=name, max_points=100000)
        series = body["series"]
        assert status == 200 and len(series) == 1, body
        steps = [point[0] for point in series[0]["points"]]
        assert steps == list(range(STEPS)), "%s: %d points, %d distinct" % (name, len(steps), len(set(steps)))
        assert series[0]["total_points"] == STEPS
        if value is not None:
            assert all(point[1] == value for point in series[0]["points"])
    status, workload = b.get("/workloads/w-replicas")
    assert status == 200 and workload["points"] == 2 * STEPS, workload
    stats = [line for line in done.stderr.splitlines() if "Stopped. Stats:" in line]
    assert len(stats) == 1 and "'points_sent': %d" % (2 * STEPS) in stats[0], stats
    assert proxy.connections[1] > 0, proxy.connections  # B took over after A died
