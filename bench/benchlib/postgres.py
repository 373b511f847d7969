"""A throw-away PostgreSQL cluster for one benchmark phase (a context manager).

    with postgres.cluster() as pg:
        url = pg.create_database("lens")        # postgres://postgres@127.0.0.1:PORT/lens
        cpu0 = pg.cpu_seconds()                 # every process of the cluster, exited ones too
        ...

`initdb` refuses to run as root, so as root every PostgreSQL command runs as the `postgres`
user (`runuser`) in a temporary folder that user owns. The server listens on a free loopback
port with its unix socket inside that folder; it is stopped and the folder removed when the
block ends, also when it ends with an exception. Durability is PostgreSQL's default
(`fsync=on`, `synchronous_commit=on`): a commit returns after its WAL is flushed.
"""
from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from typing import Callable, Dict, Iterator, List, Optional

from .procs import _tree_pids, free_port

BIN = os.environ.get("LENS_BENCH_PG_BIN", "/usr/lib/postgresql/15/bin")
OS_USER = "postgres"

# Stated in BENCHMARKS.md. Memory sized for a 24 GiB machine running the whole benchmark;
# checkpoints spaced so that one does not land in every timed repetition (each repetition
# starts after an explicit CHECKPOINT instead). Everything else is PostgreSQL's default.
SETTINGS: Dict[str, str] = {
    "shared_buffers": "1GB",
    "max_wal_size": "4GB",
    "max_connections": "100",
    "jit": "off",
}


def available() -> bool:
    return os.path.exists(os.path.join(BIN, "initdb")) and os.path.exists(os.path.join(BIN, "pg_ctl"))


def _as_pg(argv: List[str]) -> List[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", OS_USER, "--", *argv]
    return argv


def _run(argv: List[str], timeout_s: float = 120) -> str:
    proc = subprocess.run(_as_pg(argv), capture_output=True, text=True, timeout=timeout_s)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed ({proc.returncode}): {(proc.stderr or proc.stdout)[-2000:]}")
    return proc.stdout


class Postgres:
    def __init__(self, root: str, port: int, settings: Dict[str, str]) -> None:
        self.settings = settings
        self.root = root
        self.data = os.path.join(root, "data")
        self.log = os.path.join(root, "postgres.log")
        self.port = port
        self.host = "127.0.0.1"
        self.user = "postgres"
        self.version = "?"

    # -- what the benchmark uses ---------------------------------------------------------
    def url(self, db: str, scheme: str = "postgres") -> str:
        return f"{scheme}://{self.user}@{self.host}:{self.port}/{db}"

    def create_database(self, name: str) -> str:
        self.sql(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def sql(self, statement: str, db: str = "postgres") -> str:
        """Runs one statement through psql over the unix socket; returns its unaligned output."""
        return _run([os.path.join(BIN, "psql"), "-h", self.root, "-p", str(self.port), "-U", self.user,
                     "-d", db, "-v", "ON_ERROR_STOP=1", "-Atqc", statement]).strip()

    def database_bytes(self, db: str) -> int:
        return int(self.sql(f"SELECT pg_database_size('{db}')"))

    def checkpoint(self) -> None:
        self.sql("CHECKPOINT")

    def postmaster_pid(self) -> int:
        with open(os.path.join(self.data, "postmaster.pid")) as fh:
            return int(fh.readline().strip())

    def cpu_seconds(self) -> Dict[str, float]:
        """CPU (user+system) of the cluster so far, from /proc: `total` is every process of the
        postmaster's tree plus what its exited children used (the postmaster reaps them, so
        their time is in its cutime/cstime); `backends` is `total` less the postmaster and its
        long-lived background processes (checkpointer, background and WAL writers, launchers):
        the client backends, live or exited, and any autovacuum worker that ran."""
        ticks = os.sysconf("SC_CLK_TCK")
        root = self.postmaster_pid()
        total = background = 0
        for pid in _tree_pids(root):
            try:
                with open(f"/proc/{pid}/stat") as fh:
                    fields = fh.read().rsplit(")", 1)[1].split()
                with open(f"/proc/{pid}/cmdline", "rb") as fh:
                    cmd = fh.read().replace(b"\0", b" ").decode(errors="replace")
            except (OSError, IndexError, ValueError):
                continue
            own = int(fields[11]) + int(fields[12])
            total += own
            if pid == root:
                total += int(fields[13]) + int(fields[14])  # reaped children: exited backends
                background += own
            elif "(" not in cmd and "autovacuum worker" not in cmd:
                background += own  # "postgres: checkpointer", not "postgres: user db 127.0.0.1(port) idle"
        return {"total": total / ticks, "backends": (total - background) / ticks}

    # -- lifecycle ------------------------------------------------------------------------
    def _start(self) -> None:
        _run([os.path.join(BIN, "initdb"), "-D", self.data, "-A", "trust", "-U", self.user, "-E", "UTF8",
              "--locale=C", "--no-sync"], timeout_s=180)
        opts = f"-p {self.port} -k {self.root} -c listen_addresses={self.host}"
        opts += "".join(f" -c {k}={v}" for k, v in self.settings.items())
        _run([os.path.join(BIN, "pg_ctl"), "-D", self.data, "-l", self.log, "-w", "-t", "120", "-o", opts, "start"],
             timeout_s=180)
        self.version = self.sql("SHOW server_version")

    def _stop(self) -> None:
        if not os.path.exists(os.path.join(self.data, "postmaster.pid")):
            return
        try:
            _run([os.path.join(BIN, "pg_ctl"), "-D", self.data, "-w", "-t", "30", "-m", "fast", "stop"], timeout_s=60)
        except (RuntimeError, subprocess.SubprocessError):
            try:  # the postmaster we started, by its own pid: immediate shutdown
                os.kill(self.postmaster_pid(), signal.SIGQUIT)
                time.sleep(1)
            except (OSError, ValueError):
                pass


@contextlib.contextmanager
def cluster(parent: Optional[str] = None, extra_settings: Optional[Dict[str, str]] = None) -> Iterator[Postgres]:
    """A fresh cluster in a new temporary folder (under `parent`, default the system temp dir,
    whose path every user can traverse); stopped and removed when the block ends.
    `extra_settings` add to or override SETTINGS (e.g. pg_stat_statements for a profile)."""
    if not available():
        raise RuntimeError(f"PostgreSQL binaries not found in {BIN} (Debian: apt-get install postgresql-15)")
    root = tempfile.mkdtemp(prefix="lens-bench-pg-", dir=parent)
    pg = Postgres(root, free_port(), {**SETTINGS, **(extra_settings or {})})
    try:
        if os.geteuid() == 0:
            pw = pwd.getpwnam(OS_USER)
            os.chown(root, pw.pw_uid, pw.pw_gid)
        os.chmod(root, 0o700)
        pg._start()
        yield pg
    finally:
        try:
            pg._stop()
        finally:
            shutil.rmtree(root, ignore_errors=True)


@contextlib.contextmanager
def cluster_if_available(phase: str, log: Callable[[str], None]) -> Iterator[Optional[Postgres]]:
    """A cluster for one benchmark phase, or None, said in the log, where PostgreSQL is not installed."""
    if not available():
        log(f"{phase}: no PostgreSQL in {BIN}; its PostgreSQL runs are skipped")
        yield None
        return
    with cluster() as pg:
        yield pg
