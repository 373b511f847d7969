"""The two servers under test, each on a fresh SQLite database or on a given PostgreSQL
database, plus a blackhole socket and a sink."""
from __future__ import annotations

import os
import socket
import threading
from typing import Dict, List, Optional, Tuple

from .procs import ServerProcess, free_port

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# LENS_BENCH_SERVER_MAIN: a server built elsewhere (e.g. from a clean export of one commit)
OURS_MAIN = os.environ.get("LENS_BENCH_SERVER_MAIN") or os.path.join(REPO, "server", "dist", "src", "main.js")


def mlflow_venv() -> str:
    return os.environ.get("LENS_BENCH_MLFLOW_VENV", os.path.join(REPO, ".venvs", "mlflow"))


class Server:
    def __init__(self, proc: ServerProcess, base_url: str, db_dir: str, db_prefix: str) -> None:
        self.proc = proc
        self.base_url = base_url
        self.db_dir = db_dir
        self.db_prefix = db_prefix
        self.shared = False  # a shared server outlives the scenario; close_shared() stops it
        self.stop_timeout_s = 15.0

    def stop(self) -> None:
        if not self.shared:
            self.proc.stop(self.stop_timeout_s)


_SHARED: Dict[str, Server] = {}


def share(kind: str, server: Server) -> Server:
    server.shared = True
    _SHARED[kind] = server
    return server


def close_shared() -> None:
    for server in _SHARED.values():
        server.proc.stop(server.stop_timeout_s)
    _SHARED.clear()


def start_ours(workdir: str, log_level: str = "info", node_args: Optional[List[str]] = None,
               database_url: Optional[str] = None, name: str = "ours",
               extra_env: Optional[Dict[str, str]] = None, main: Optional[str] = None,
               node: str = "node") -> Server:
    """Ours with its SQLite default (a file, WAL), on a fresh database (or the shared one);
    with `database_url` (postgres://…) on that PostgreSQL database instead. `node` is the Node
    binary (PATH's, which `make` sets to the pinned release, unless an A/B names another)."""
    if "ours" in _SHARED and not node_args and database_url is None and main is None and node == "node":
        return _SHARED["ours"]
    main = main or OURS_MAIN
    if not os.path.exists(main):
        raise RuntimeError(f"{main} missing: run `cd server && npm run build` first")
    db_dir = os.path.join(workdir, f"{name}-db")
    os.makedirs(db_dir, exist_ok=True)
    port = free_port()
    env = dict(os.environ, PORT=str(port), HOST="127.0.0.1",
               LENS_DATABASE_URL=database_url or os.path.join(db_dir, "lens.db"), LENS_LOG_LEVEL=log_level)
    env.pop("LENS_API_TOKEN", None)
    env.update(extra_env or {})
    proc = ServerProcess(name, [node, *(node_args or []), main], env, os.path.join(workdir, f"{name}.log"),
                         cwd=workdir)
    base = f"http://127.0.0.1:{port}"
    proc.wait_http(base + "/readyz", 30)
    return Server(proc, base, db_dir, "lens.db")


def start_mlflow(workdir: str, workers: Optional[int] = None, backend_uri: Optional[str] = None,
                 name: str = "mlflow") -> Server:
    """`mlflow server` on loopback with its SQLite backend and a fresh database; with
    `backend_uri` (postgresql://…) on that database instead (psycopg2, SQLAlchemy's pool).

    Workers: MLflow's default (4 uvicorn workers) unless `workers` is given.
    """
    if "mlflow" in _SHARED and backend_uri is None:
        return _SHARED["mlflow"]
    venv = mlflow_venv()
    exe = os.path.join(venv, "bin", "mlflow")
    if not os.path.exists(exe):
        raise RuntimeError(f"{exe} missing: run bench/setup_mlflow.sh first")
    db_dir = os.path.join(workdir, f"{name}-db")
    os.makedirs(db_dir, exist_ok=True)
    port = free_port()
    argv: List[str] = [exe, "server", "--backend-store-uri",
                       backend_uri or "sqlite:///" + os.path.join(db_dir, "mlflow.db"),
                       "--default-artifact-root", os.path.join(db_dir, "artifacts"),
                       "--host", "127.0.0.1", "--port", str(port)]
    if workers is not None:
        argv += ["--workers", str(workers)]
    env = dict(os.environ, MLFLOW_DISABLE_TELEMETRY="true", DO_NOT_TRACK="true",
               PATH=os.path.join(venv, "bin") + os.pathsep + os.environ.get("PATH", ""))
    proc = ServerProcess(name, argv, env, os.path.join(workdir, f"{name}.log"), cwd=workdir)
    base = f"http://127.0.0.1:{port}"
    proc.wait_http(base + "/health", 180)
    server = Server(proc, base, db_dir, "mlflow.db")
    server.stop_timeout_s = 5.0  # its uvicorn workers may linger on SIGTERM; nothing to flush
    return server


def _listen() -> Tuple[socket.socket, int]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    return sock, int(sock.getsockname()[1])


class _Acceptor:
    """A listening socket on a free port that hands each connection to `_take`, until `close()`."""

    def __init__(self, name: str) -> None:
        self.sock, self.port = _listen()
        self._closed = threading.Event()
        threading.Thread(target=self._accept, name=name, daemon=True).start()

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self._take(conn)

    def _take(self, conn: socket.socket) -> None:
        raise NotImplementedError

    def close(self) -> None:
        self._closed.set()
        self.sock.close()


class Blackhole(_Acceptor):
    """A socket that accepts connections and never answers: the worst case for a client."""

    def __init__(self) -> None:
        self._held: List[socket.socket] = []
        super().__init__("blackhole")

    def _take(self, conn: socket.socket) -> None:
        self._held.append(conn)  # held open, never read, never answered

    def close(self) -> None:
        super().close()
        for conn in self._held:
            conn.close()


class Sink(_Acceptor):
    """Answers every request at once with 200 and reads nothing but the bytes it must: an API
    that costs this machine no CPU, as a server on another node would. Separates what the
    exporter adds to training from what our server's ingest takes from a shared 2-core box."""

    REPLY = (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 43\r\n\r\n"
             b'{"meta":{"code":2000,"message":"OK"},"d":0}')

    def __init__(self) -> None:
        self.requests = 0
        super().__init__("sink")

    def _take(self, conn: socket.socket) -> None:
        threading.Thread(target=self._serve, args=(conn,), name="sink-conn", daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        buffer = b""
        with conn:
            while True:
                head_end = buffer.find(b"\r\n\r\n")
                while head_end < 0:
                    data = conn.recv(65536)
                    if not data:
                        return
                    buffer += data
                    head_end = buffer.find(b"\r\n\r\n")
                length = 0
                for line in buffer[:head_end].split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                body_end = head_end + 4 + length
                while len(buffer) < body_end:
                    data = conn.recv(max(65536, body_end - len(buffer)))
                    if not data:
                        return
                    buffer += data
                buffer = buffer[body_end:]
                self.requests += 1
                conn.sendall(self.REPLY)
