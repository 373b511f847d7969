"""Start, watch and stop the server processes a benchmark talks to.

Every process started here is stopped by its own id (never by name), and every wait is
bounded, because the machine is shared with other test suites.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from typing import Dict, List, Optional


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _tree_pids(root: int) -> List[int]:
    """The root pid and all its descendants (MLflow forks uvicorn workers)."""
    children: Dict[int, List[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(entry))
        except (OSError, IndexError, ValueError):
            continue
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(children.get(pid, []))
    return out


def _status_kb(pid: int, field: str) -> int:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


class ServerProcess:
    """A server started in its own process group, with its peak memory sampled.

    VmHWM is per process; a multi-process server (MLflow's uvicorn workers) is reported as the
    largest sum of the per-process current RSS seen by the sampler plus the final VmHWM sum.
    """

    def __init__(self, name: str, argv: List[str], env: Dict[str, str], log_path: str,
                 cwd: Optional[str] = None) -> None:
        self.name = name
        self._log = open(log_path, "wb")
        self.proc = subprocess.Popen(argv, env=env, cwd=cwd, stdout=self._log,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        self._peak_rss_kb = 0
        self._hwm_kb: Dict[int, int] = {}
        self._stop = threading.Event()
        self._sampler = threading.Thread(target=self._sample, name=f"rss-{name}", daemon=True)
        self._sampler.start()

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.sample_once()
            self._stop.wait(0.05)

    def sample_once(self) -> None:
        total = 0
        for pid in _tree_pids(self.proc.pid):
            total += _status_kb(pid, "VmRSS")
            hwm = _status_kb(pid, "VmHWM")
            if hwm:
                self._hwm_kb[pid] = max(self._hwm_kb.get(pid, 0), hwm)
        self._peak_rss_kb = max(self._peak_rss_kb, total)

    def peak_rss_mb(self) -> float:
        """Peak resident memory of the whole process tree, MiB."""
        self.sample_once()
        return max(self._peak_rss_kb, sum(self._hwm_kb.values())) / 1024.0

    def reset_peak(self) -> None:
        self._peak_rss_kb = 0
        self._hwm_kb = {}

    def cpu_seconds(self) -> float:
        """User+system CPU of the whole process tree so far."""
        ticks = os.sysconf("SC_CLK_TCK")
        total = 0
        for pid in _tree_pids(self.proc.pid):
            try:
                with open(f"/proc/{pid}/stat") as fh:
                    fields = fh.read().rsplit(")", 1)[1].split()
                total += int(fields[11]) + int(fields[12])
            except (OSError, IndexError, ValueError):
                continue
        return total / ticks

    def wait_http(self, url: str, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        last = ""
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}; see {self._log.name}")
            try:
                with urllib.request.urlopen(url, timeout=2) as resp:
                    if resp.status == 200:
                        return
            except (urllib.error.URLError, OSError) as exc:
                last = str(exc)
            time.sleep(0.1)
        raise RuntimeError(f"{self.name} not ready at {url} after {timeout_s}s ({last}); see {self._log.name}")

    def stop(self, timeout_s: float = 15.0) -> None:
        self._stop.set()
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout_s)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
        self._log.close()


def dir_size_bytes(path: str, prefix: str) -> int:
    """Bytes of every file in `path` whose name starts with `prefix` (db, -wal, -shm)."""
    total = 0
    for name in os.listdir(path):
        if name.startswith(prefix):
            total += os.path.getsize(os.path.join(path, name))
    return total
