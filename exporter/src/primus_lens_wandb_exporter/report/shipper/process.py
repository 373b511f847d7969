"""The shipper process: a Sender running outside the training process.

    python -m primus_lens_wandb_exporter.report.shipper     (started by link.py, never by hand;
                                                             __main__.py calls main() below)

Why a process: JSON, gzip, HTTP, retries and the spool cost ~3 µs of Python per metric point.
In a thread of the training process every one of those microseconds holds the GIL the training
loop needs; here they run on another core. The training process only hands over marshalled
batches (frames.py).

It reads frames from stdin and answers on the stdout it was started with; anything else that prints goes to
stderr, so a stray print can never corrupt the reply stream. The main thread only reads, so the
training process's writes never wait on HTTP; the Sender's own worker thread does the sending,
with the same bounded queue, retries, spool and exit deadline as in-process sending.

It ends on "stop" (the training process's exit handler), or on end-of-file: the training process
died without one (SIGKILL, OOM, os._exit), and what it had already handed over is still
delivered or spooled within PRIMUS_LENS_WANDB_EXIT_TIMEOUT. SIGINT (Ctrl-C reaches the whole
process group) is ignored: the training process decides when to stop. SIGTERM counts as EOF.
"""

from __future__ import annotations

import os
import signal
import threading
from typing import Any, Callable, Dict, Optional, Tuple

from primus_lens_wandb_exporter import output
from primus_lens_wandb_exporter.config import Config
from primus_lens_wandb_exporter.model import Identity, Row, RunEnd, RunInfo
from primus_lens_wandb_exporter.report.sender import Sender
from primus_lens_wandb_exporter.report.shipper import frames


class _Terminated(Exception):
    pass


class Shipper:
    def __init__(self, reply_fd: int) -> None:
        self._reply_fd = reply_fd
        self._reply_lock = threading.Lock()
        self._sender: Optional[Sender] = None
        self._runs: Dict[Tuple[str, str, str], RunInfo] = {}

    def reply(self, message: Any) -> None:
        data = frames.pack(message)
        with self._reply_lock:
            view = memoryview(data)
            while view:
                view = view[os.write(self._reply_fd, view) :]

    def handle(self, message: Any) -> bool:
        """Applies one message; False once the shipper should exit."""
        kind = message[0]
        if kind == "items":
            self._items(message[1])
        elif kind == "flush":
            _, token, timeout_s = message
            threading.Thread(target=self._flush, args=(token, timeout_s), daemon=True).start()
        elif kind == "stop":
            sender = self._require()
            sender.shutdown(max(0.0, float(message[1])))
            self.reply(("stopped", sender.stats(), sender.used))
            return False
        elif kind == "hello":
            config = Config(**message[1])
            identity = Identity(**message[2])
            output.configure(config.debug, config.quiet)
            self._sender = Sender(config, lambda: identity, announce=False)
            self.reply(("ready",))
        return True

    def end_of_input(self) -> None:
        if self._sender is not None:
            self._sender.shutdown()

    def _require(self) -> Sender:
        if self._sender is None:
            raise frames.FrameError("no hello before data")
        return self._sender

    def _run(self, run_id: str, project: str, name: str) -> RunInfo:
        key = (run_id, project, name)
        info = self._runs.get(key)
        if info is None:
            info = self._runs[key] = RunInfo(run_id, project, name)
        return info

    def _items(self, entries: Any) -> None:
        sender = self._require()
        for entry in entries:
            tag = entry[0]
            if tag == "b":
                _, run_id, project, name, rows = entry
                run = self._run(run_id, project, name)
                for step, timestamp, items in frames.load_rows(rows):
                    sender.submit_row(Row(run, step, timestamp, items))
            elif tag == "r":
                _, run_id, project, name, step, timestamp, items = entry
                sender.submit_row(Row(self._run(run_id, project, name), step, timestamp, items))
            elif tag == "e":
                _, run_id, project, name, exit_code, finished_at = entry
                sender.run_end(RunEnd(self._run(run_id, project, name), exit_code, finished_at))
            elif tag == "d":
                sender.submit_detection(_built(entry[1]))

    def _flush(self, token: int, timeout_s: float) -> None:
        sender = self._require()
        done = sender.flush(max(0.0, float(timeout_s)))
        try:
            self.reply(("flushed", token, done, sender.stats()))
        except OSError:
            pass  # the training process is gone; EOF on stdin ends us


def _built(body: Dict[str, Any]) -> Callable[[], Dict[str, Any]]:
    """A detection the training process already built, as the Sender's build callable."""
    return lambda: body


def _on_sigterm(signum: int, frame: Any) -> None:
    raise _Terminated()


def main() -> int:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _on_sigterm)
    reply_fd = os.dup(1)
    os.dup2(2, 1)  # print() now reaches stderr; replies keep their own descriptor
    shipper = Shipper(reply_fd)
    reader = frames.Reader()
    try:
        while True:
            data = os.read(0, 1 << 20)
            if not data:
                break
            for message in reader.feed(data):
                if not shipper.handle(message):
                    return 0
    except _Terminated:
        pass
    except Exception as exc:  # a broken stream: still deliver what arrived intact
        output.error(output.REPORTER, "Shipper input failed: %r; delivering what arrived" % (exc,))
    shipper.end_of_input()
    return 0
