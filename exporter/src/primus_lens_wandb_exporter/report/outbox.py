"""Where a finished body goes: to the server if it takes it, else to the spool; and back.

Runs on the worker thread (or the exit handler's thread once the worker is gone). It keeps the
stats honest: each body ends up counted exactly once as sent, refused (dropped), or spooled, and
a spooled body is counted as sent when a replay delivers it. It also says, once, why a body did
not arrive and which setting to change (`why_undelivered`).
"""

from __future__ import annotations

import json
import os
from typing import Any, Dict, Optional
from urllib.parse import urlsplit

from primus_lens_wandb_exporter import output
from primus_lens_wandb_exporter.report import encode
from primus_lens_wandb_exporter.report.deadline import ExitClock
from primus_lens_wandb_exporter.report.retry import Delivery, Outcome
from primus_lens_wandb_exporter.report.spool import Spool, SpoolEntry
from primus_lens_wandb_exporter.report.stats import Stats
from primus_lens_wandb_exporter.report.transport import Response

PATHS = {"metrics": "/wandb/metrics", "detection": "/wandb/detection"}
REPLAY_FILES_PER_PASS = 32


class Outbox:
    def __init__(
        self, delivery: Delivery, spool: Spool, exit_clock: ExitClock, stats: Stats, base_url: str, has_token: bool
    ) -> None:
        self._delivery = delivery
        self._spool = spool
        self._exit = exit_clock
        self._stats = stats
        self._base_url = base_url  # for what to tell the user when a body does not arrive
        self._has_token = has_token
        self._verdict = ""  # the server's last detection verdict we printed
        # True at start: a later process replays what an earlier one spooled.
        self.replay_pending = True

    def send(self, kind: str, body: Dict[str, Any]) -> None:
        if self.replay_pending and not self._delivery.server_down and not self._exit.expired():
            self.replay()
        if self._exit.expired():
            outcome = Outcome(undelivered=[body])  # past the exit deadline: straight to disk
        else:
            outcome = self._delivery.send(PATHS[kind], body)
        self._account(kind, outcome)

    def _account(self, kind: str, outcome: Outcome) -> None:
        stats = self._stats
        stats.retries += outcome.retries
        for body in outcome.delivered:
            if kind == "detection":
                stats.detection_sent += 1
                self._say_verdict(outcome.answer)
            else:
                points, rows = encode.count_points_rows(body)
                stats.points_sent += points
                stats.metrics_sent += rows
        for body, response in outcome.rejected:
            stats.errors += 1
            stats.dropped += encode.count_points_rows(body)[0]
            output.error_once(
                "rejected-%s-%d" % (kind, response.status),
                output.REPORTER,
                "Server refused a %s batch: HTTP %d %s (not retried; later refusals are only counted in errors)"
                % (kind, response.status, response.reason),
            )
        for body in outcome.undelivered:
            self._spool_body(kind, body, outcome.failure)
        output.debug(
            output.REPORTER,
            "%s: %d delivered, %d refused, %d spooled"
            % (kind, len(outcome.delivered), len(outcome.rejected), len(outcome.undelivered)),
        )

    def _say_verdict(self, answer: Optional[Response]) -> None:
        """The server's framework and confidence, on its own 0-1 scale, each time it changes: the
        job's `Confidence: high` line is the exporter's local guess, this is what the server says."""
        if answer is None:
            return
        try:
            detection = json.loads(answer.body.decode("utf-8"))["data"]["detection"]
            verdict = "%s (confidence: %.2f, %s)" % (
                detection["framework"],
                float(detection["confidence"]),
                detection["status"],
            )
        except (ValueError, KeyError, TypeError, AttributeError):
            return  # an older server, or the original server's answer shape: nothing to say
        if verdict != self._verdict:
            self._verdict = verdict
            output.info(output.REPORTER, "Server detected framework: " + verdict)

    def _spool_body(self, kind: str, body: Dict[str, Any], failure: Optional[Response]) -> None:
        points, rows = encode.count_points_rows(body)
        # A body that did not arrive is a failed delivery even when the spool keeps it: the
        # Stopped line must never say `'errors': 0` for a job whose data is still on disk.
        self._stats.errors += 1
        if self._spool.write(kind, encode.to_gzip_json(body), points, rows):
            self._stats.spooled += points
            self._stats.pending += points
            self.replay_pending = True
            if failure is None:  # past the exit deadline, nothing was tried
                why, key = "exit deadline reached before it was sent", "spooling-deadline"
            else:
                why = why_undelivered(failure.status, failure.reason, self._base_url, PATHS[kind], self._has_token)
                key = "spooling-%d" % failure.status
            self._stats.last_failure = why
            output.error_once(
                key,
                output.REPORTER,
                "Not delivered: %s. Keeping unsent data in %s; it is sent as soon as the server takes it "
                "(later in this job, or by the next job on this node)" % (why, self._spool.directory),
            )
        else:
            self._stats.dropped += points
            self._stats.errors += 1
            output.error_once(
                "spool-write", output.REPORTER, "Cannot write to spool %s: data lost" % self._spool.directory
            )

    def replay(self) -> None:
        """Send spooled bodies oldest first; stop at the first one the server does not take."""
        self._spool.reclaim_abandoned()
        while not self._exit.expired():
            entries = self._spool.claim_oldest(REPLAY_FILES_PER_PASS)
            if not entries:
                self.replay_pending = False
                return
            for index, entry in enumerate(entries):
                if not self._replay_one(entry):
                    for rest in entries[index:]:
                        self._spool.release(rest)
                    return

    def _replay_one(self, entry: SpoolEntry) -> bool:
        payload = self._spool.read(entry)
        if payload is None:
            return True  # vanished or unreadable; nothing to send
        verdict, _, retries = self._delivery.send_raw(PATHS[entry.kind], payload)
        self._stats.retries += retries
        if verdict == "undelivered":
            return False
        self._spool.remove(entry)
        if entry.writer_pid != os.getpid():
            # An earlier job's data: delivered, but not part of this job's own numbers, so the
            # `Stopped. Stats` line stays true for the job that prints it.
            self._stats.replayed += entry.points if verdict == "delivered" else 0
            return True
        self._stats.pending = max(0, self._stats.pending - entry.points)
        if verdict == "rejected":
            self._stats.errors += 1
            self._stats.dropped += entry.points
        elif entry.kind == "detection":
            self._stats.detection_sent += 1
        else:
            self._stats.points_sent += entry.points
            self._stats.metrics_sent += entry.rows
        return True


# What a failed connection's exception says, and what to tell the user (first match wins).
_UNREACHABLE_REASONS = (
    ("ConnectionRefusedError", "connection refused: nothing listens at {where}"),
    ("gaierror", "host name not found (DNS): {host}"),
    ("timeout", "no answer from {where} within PRIMUS_LENS_WANDB_TIMEOUT"),
    ("TimeoutError", "no answer from {where} within PRIMUS_LENS_WANDB_TIMEOUT"),
    ("SSL", "TLS failed with {where}"),
    ("ConnectionResetError", "{where} closed the connection"),
    ("RemoteDisconnected", "{where} closed the connection"),
)


def why_undelivered(status: int, reason: str, base_url: str, path: str, has_token: bool) -> str:
    """One sentence for the user: why a body did not arrive, and what to change."""
    url = base_url.rstrip("/") + path
    if status == 401:
        if has_token:
            return (
                "the server rejected PRIMUS_LENS_API_TOKEN (HTTP 401 at %s): set it to a token the server accepts" % url
            )
        return "the server requires a token (HTTP 401 at %s): set PRIMUS_LENS_API_TOKEN" % url
    if status == 403:
        return (
            "PRIMUS_LENS_API_TOKEN may not send data here (HTTP 403 at %s): use a token allowed to ingest "
            "for this job's namespace" % url
        )
    if status == 404:
        hint = "" if "/api/" in base_url else "; PRIMUS_LENS_API_BASE_URL probably lacks /api/v1"
        return "HTTP 404 Not Found at %s%s" % (url, hint)
    if status == 0:
        parts = urlsplit(base_url)
        where = parts.netloc or base_url
        for marker, text in _UNREACHABLE_REASONS:
            if marker in reason:
                return "API unreachable (%s)" % text.format(where=where, host=parts.hostname or where)
        return "API unreachable (%s at %s)" % (reason or "no answer", where)
    return "HTTP %d %s at %s" % (status, reason, url)
