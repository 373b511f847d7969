"""The training process's end of the pipe to its shipper process (process.py).

Only mechanism lives here: start the process, write frames with a deadline, wait for a reply
with a deadline, and let go of it after a fork. Every call returns a value instead of raising;
a shipper that died or hangs makes `alive` false and the caller falls back to sending itself.

Both pipe ends are non-blocking and every wait is a select() with a deadline, so neither a hung
shipper nor a full pipe can hold the exit handler past the exit deadline.
"""

from __future__ import annotations

import dataclasses
import os
import select
import subprocess
import sys
import threading
import time
from typing import Any, Callable, List, Optional

import primus_lens_wandb_exporter
from primus_lens_wandb_exporter.config import Config
from primus_lens_wandb_exporter.model import Identity
from primus_lens_wandb_exporter.report.deadline import REPLY_TRAVEL_S
from primus_lens_wandb_exporter.report.shipper import frames

SHIPPER_MODULE = "primus_lens_wandb_exporter.report.shipper"  # runs shipper/__main__.py
PIPE_BYTES = 1 << 20  # room for a few seconds of batches while the shipper is busy
_F_SETPIPE_SZ = 1031  # Linux; fcntl.F_SETPIPE_SZ only exists from Python 3.10
# Popen objects a forked child inherited: kept referenced so the child never reaps or warns
# about a process that is its parent's, not its own.
_inherited: List[Any] = []


def _package_root() -> str:
    """The folder that holds this package (site-packages, or exporter/src in the tests)."""
    return os.path.dirname(os.path.dirname(os.path.abspath(primus_lens_wandb_exporter.__file__)))


class ShipperLink:
    def __init__(self, config: Config, identity: Identity) -> None:
        self._config = config
        self._identity = identity
        self._proc: Optional[subprocess.Popen[bytes]] = None
        self._to_fd = -1
        self._from_fd = -1
        self._reader = frames.Reader()
        self._replies: List[Any] = []
        self._write_lock = threading.Lock()
        self._read_lock = threading.Lock()
        self._token = 0
        self.alive = False
        self.failure = ""

    # ---- start ----------------------------------------------------------------------------

    def start(self, timeout_s: float) -> bool:
        """Starts the shipper and waits until it is ready; False (with `failure`) otherwise."""
        executable = sys.executable
        if os.name != "posix" or not executable or not os.access(executable, os.X_OK):
            self.failure = "no usable Python executable (%r)" % (executable,)
            return False
        env = dict(os.environ)
        env["PRIMUS_LENS_WANDB_HOOK"] = "false"  # the shipper never patches anything
        env["PYTHONPATH"] = os.pathsep.join(p for p in (_package_root(), env.get("PYTHONPATH", "")) if p)
        try:
            proc = subprocess.Popen(
                [executable, "-m", SHIPPER_MODULE],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                env=env,
                close_fds=True,
            )
        except Exception as exc:
            self.failure = "cannot start %s: %s" % (executable, exc)
            return False
        self._proc = proc
        assert proc.stdin is not None and proc.stdout is not None
        self._to_fd, self._from_fd = proc.stdin.fileno(), proc.stdout.fileno()
        os.set_blocking(self._to_fd, False)
        os.set_blocking(self._from_fd, False)
        try:
            import fcntl

            fcntl.fcntl(self._to_fd, _F_SETPIPE_SZ, PIPE_BYTES)
        except Exception:
            pass  # not Linux, or above /proc/sys/fs/pipe-max-size: the default pipe works too
        self.alive = True
        deadline = time.monotonic() + timeout_s
        hello = ("hello", dataclasses.asdict(self._config), dataclasses.asdict(self._identity))
        if not self.send(frames.pack(hello), timeout_s) or self._await(lambda m: m[0] == "ready", deadline) is None:
            self.failure = self.failure or "the shipper did not start within %.0f s" % timeout_s
            self.kill()
            return False
        return True

    @property
    def pid(self) -> Optional[int]:
        return self._proc.pid if self._proc is not None else None

    # ---- traffic --------------------------------------------------------------------------

    def send(self, data: bytes, timeout_s: float) -> bool:
        """Writes one frame; False when the shipper is gone or took none of it in time."""
        deadline = time.monotonic() + max(0.0, timeout_s)
        with self._write_lock:
            if not self.alive:
                return False
            view = memoryview(data)
            while view:
                try:
                    written = os.write(self._to_fd, view)
                    view = view[written:]
                    continue
                except BlockingIOError:
                    pass
                except OSError as exc:  # EPIPE: the shipper exited
                    return self._lost("the shipper exited (%s)" % exc)
                left = deadline - time.monotonic()
                if left <= 0:
                    # A half-written frame would corrupt the stream: this link is finished.
                    return self._lost("the shipper stopped reading for %.1f s" % timeout_s)
                select.select([], [self._to_fd], [], left)
            return True

    def flush(self, timeout_s: float) -> Optional[Any]:
        """Asks the shipper to deliver everything sent so far; its ("flushed", ...) reply or None."""
        deadline = time.monotonic() + timeout_s
        self._token += 1
        token = self._token
        if not self.send(frames.pack(("flush", token, timeout_s)), timeout_s):
            return None
        # The shipper answers by its own deadline; allow for the reply to travel.
        return self._await(lambda m: m[0] == "flushed" and m[1] == token, deadline + REPLY_TRAVEL_S)

    def stop(self, budget_s: float, wait_s: float) -> Optional[Any]:
        """Tells the shipper to finish within budget_s; its ("stopped", ...) reply or None."""
        deadline = time.monotonic() + wait_s
        reply = None
        if self.send(frames.pack(("stop", budget_s)), wait_s):
            reply = self._await(lambda m: m[0] == "stopped", deadline)
        proc = self._proc
        if reply is not None and proc is not None:
            try:
                proc.wait(max(0.0, min(0.5, deadline - time.monotonic())))
            except Exception:
                pass
        if proc is not None and proc.poll() is None:
            self.kill()  # past the deadline: what it still held, it has spooled or cannot send
        self._close_fds()
        self.alive = False
        return reply

    def _await(self, wanted: Callable[[Any], bool], deadline: float) -> Optional[Any]:
        with self._read_lock:
            while True:
                for index, message in enumerate(self._replies):
                    if wanted(message):
                        return self._replies.pop(index)
                left = deadline - time.monotonic()
                if left <= 0 or self._from_fd < 0:
                    return None
                try:
                    ready, _, _ = select.select([self._from_fd], [], [], left)
                    if not ready:
                        continue
                    data = os.read(self._from_fd, 1 << 16)
                except BlockingIOError:
                    continue
                except (OSError, ValueError) as exc:
                    self._lost("cannot read from the shipper (%s)" % exc)
                    return None
                if not data:
                    self._lost("the shipper exited")
                    return None
                try:
                    self._replies.extend(self._reader.feed(data))
                except Exception as exc:
                    self._lost("unreadable reply from the shipper (%s)" % exc)
                    return None

    def _lost(self, reason: str) -> bool:
        self.alive = False
        self.failure = reason
        proc = self._proc
        if proc is not None:
            try:
                proc.poll()  # reap it now if it has exited, rather than leave a zombie
            except Exception:
                pass
        return False

    # ---- ending ---------------------------------------------------------------------------

    def kill(self) -> None:
        proc, self.alive = self._proc, False
        if proc is not None:
            try:
                proc.kill()
                proc.wait(1.0)
            except Exception:
                pass
        self._close_fds()

    def _close_fds(self) -> None:
        proc = self._proc
        if proc is None:
            return
        for stream in (proc.stdin, proc.stdout):
            try:
                if stream is not None:
                    stream.close()
            except Exception:
                pass
        self._to_fd = self._from_fd = -1

    def forget(self) -> None:
        """In a forked child: close the inherited pipe ends (so the shipper still sees EOF when
        its real parent ends) without signalling or waiting for a process that is not ours."""
        proc = self._proc
        if proc is not None:
            _inherited.append(proc)
            self._close_fds()  # this process's copies only; the parent's stay open
        self._proc = None
        self._to_fd = self._from_fd = -1
        self.alive = False
