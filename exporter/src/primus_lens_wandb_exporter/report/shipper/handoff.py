"""The Reporter's worker-thread side: batches down the pipe to the shipper, or, without one, to an
in-process Sender.

The shipper is started on the first batch (not at import, not at `wandb.init`: a process that
never logs starts nothing). Each batch becomes one "items" frame (frames.py): blocks as they are,
other rows with their snapshots turned into floats here (float() of a tensor copy syncs its
device: never on the training thread), detection bodies built here. When the shipper cannot start
or dies, the batch and every later one go to a Sender in this process instead, said once: sending
then slows training a little, but nothing is lost.
"""

from __future__ import annotations

import json
from typing import Any, Callable, Dict, List, Optional, Union

from primus_lens_wandb_exporter import output
from primus_lens_wandb_exporter.collect.values import is_plain
from primus_lens_wandb_exporter.config import Config
from primus_lens_wandb_exporter.model import Identity, Row, RunEnd
from primus_lens_wandb_exporter.report.base import DetectionRequest
from primus_lens_wandb_exporter.report.deadline import shipper_stop_times
from primus_lens_wandb_exporter.report.sender import Sender
from primus_lens_wandb_exporter.report.shipper import frames
from primus_lens_wandb_exporter.report.shipper.link import ShipperLink
from primus_lens_wandb_exporter.report.stats import Stats

Item = Union[frames.Block, Row, RunEnd, DetectionRequest]

START_TIMEOUT_S = 20.0  # a cold interpreter on a busy node; the queue holds data meanwhile
WRITE_TIMEOUT_S = 10.0  # a shipper that reads nothing for this long is hung


def _marshallable(body: Dict[str, Any]) -> Dict[str, Any]:
    try:
        frames.pack(body)  # marshal takes plain types only; find out here, not mid-batch
    except ValueError:  # a str/int subclass somewhere in the evidence: as JSON sees it
        body = json.loads(json.dumps(body, default=str))
    return body


class Handoff:
    def __init__(
        self,
        config: Config,
        identity: Callable[[], Identity],
        stats: Stats,
        build_detection: Callable[..., Optional[Dict[str, Any]]],
        on_bad_value: Callable[[str, BaseException], None],
    ) -> None:
        self._config = config
        self._identity = identity
        self._stats = stats  # the training process's own counts
        self._build_detection = build_detection
        self._on_bad_value = on_bad_value
        self._link: Optional[ShipperLink] = None
        self._fallback: Optional[Sender] = None
        self.shipper_stats: Dict[str, int] = {}  # the shipper's, as of its last reply
        self.exiting = False  # from then on, no new shipper: starting an interpreter would eat the budget

    def reset_after_fork(self) -> None:
        # No signal to the parent's shipper, no wait: it is not ours.
        if self._link is not None:
            self._link.forget()
        if self._fallback is not None:
            self._fallback.reset_after_fork()

    @property
    def shipper_pid(self) -> Optional[int]:
        link = self._link
        return link.pid if link is not None and link.alive else None

    def stats_parts(self) -> List[Dict[str, int]]:
        return [self.shipper_stats, self._fallback.stats() if self._fallback is not None else {}]

    # ---- worker thread --------------------------------------------------------------------------

    def send(self, chunk: List[Item]) -> None:
        fallback = self._fallback
        if fallback is None:
            link = self._link_or_none()
            if link is not None and link.send(frames.pack(("items", self._entries(chunk))), WRITE_TIMEOUT_S):
                return
            fallback = self._start_fallback()
        for item in chunk:
            if isinstance(item, frames.Block):
                run = item.run
                for step, timestamp, items in frames.load_rows(item.rows):
                    fallback.submit_row(Row(run, step, timestamp, items))
            elif isinstance(item, Row):
                fallback.submit_row(item)
            elif isinstance(item, DetectionRequest):
                fallback.submit_detection(item.build)
            else:
                fallback.run_end(item)

    def _link_or_none(self) -> Optional[ShipperLink]:
        link = self._link
        if link is not None:
            return link if link.alive else None
        if self._config.sender != "process" or not self._config.api_reporting or self.exiting:
            return None
        link = self._link = ShipperLink(self._config, self._identity())
        if not link.start(START_TIMEOUT_S):
            return None
        output.debug(output.REPORTER, "Shipper process %s started" % link.pid)
        return link

    def _start_fallback(self) -> Sender:
        if self._fallback is None:
            link = self._link
            if link is not None and link.failure:
                output.error_once(
                    "shipper-lost",
                    output.REPORTER,
                    "Shipper process unavailable (%s); sending from the training process" % link.failure,
                )
            self._fallback = Sender(self._config, self._identity, announce=False)
        return self._fallback

    def _entries(self, chunk: List[Item]) -> List[Any]:
        entries: List[Any] = []
        append = entries.append
        for item in chunk:
            if type(item) is frames.Block:
                run = item.run
                append(("b", run.id, run.project, run.name, item.rows))
            elif type(item) is Row:
                run = item.run
                items = item.items
                if not is_plain(items):
                    items = self._floats(items)
                append(("r", run.id, run.project, run.name, item.step, item.timestamp, items))
            elif isinstance(item, RunEnd):
                run = item.run
                append(("e", run.id, run.project, run.name, item.exit_code, item.finished_at))
            elif isinstance(item, DetectionRequest):
                body = self._build_detection(item, _marshallable)
                if body is not None:
                    append(("d", body))
        return entries

    def _floats(self, items: Any) -> Dict[str, float]:
        out: Dict[str, float] = {}
        for name, raw in items.items():
            try:
                out[name] = float(raw)
            except Exception as exc:  # a snapshot float() cannot read: skip the point, say once
                self._on_bad_value(name, exc)
        return out

    # ---- flush and exit (the caller's thread) ----------------------------------------------------

    def flush(self, left_s: float) -> bool:
        """After the queue was handed over: wait until the shipper (or the fallback) delivered it."""
        fallback, link = self._fallback, self._link
        if fallback is not None:
            return fallback.flush(left_s)
        if link is None or not link.alive:
            return True
        reply = link.flush(left_s)
        if reply is None:
            return False
        self.shipper_stats = reply[3]
        return bool(reply[2])

    def stop(self, left_s: float) -> bool:
        """Lets the shipper (or the fallback) send until the deadline; True when the shipper had
        something to report."""
        if self._fallback is not None:
            self._fallback.shutdown(left_s)
        link = self._link
        if link is None or not link.alive:
            return False
        reply = link.stop(*shipper_stop_times(left_s))
        if reply is None:
            self._stats.errors += 1
            output.error_once(
                "shipper-stop", output.REPORTER, "Shipper did not finish in time: %s" % (link.failure or "no reply")
            )
            return False
        self.shipper_stats = reply[1]
        return bool(reply[2])
