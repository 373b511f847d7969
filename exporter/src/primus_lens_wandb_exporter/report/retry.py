"""The retry policy: what each answer means, and how long a body is tried, within one deadline.

- 2xx: delivered.
- connection error / 429 / 5xx (RETRYABLE_STATUSES): retried with exponential backoff and
  jitter, honouring Retry-After, until the outage has lasted PRIMUS_LENS_WANDB_RETRY_WINDOW, the
  exit deadline comes, or the memory queue is filling up. Then the body is "undelivered" and the
  caller spools it. The outage clock is shared by all bodies: once the server has been gone
  longer than the window, each new body gets one attempt, so a dead server costs one connect per
  batch instead of a window of sleeping per batch.
- 401 / 403 / 404 (CONFIG_ERROR_STATUSES): the job's token or base URL is wrong, the body is
  not. "Undelivered" at once, without retrying (nothing changes within seconds), and the outage
  clock starts, so the spool waits for the server to take a body again.
- 413: split in two and deliver each half.
- other 4xx: rejected, not retried (the same body would be refused again).

The rules are data and pure functions (tested without a network); `Delivery` applies them to one
body over the transport. `Outcome.failure` is the last answer that left a body undelivered, so
the caller can say why.
"""

from __future__ import annotations

import email.utils
import random
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Tuple

from primus_lens_wandb_exporter.report import encode
from primus_lens_wandb_exporter.report.deadline import ExitClock

if TYPE_CHECKING:  # the transport reads Retry-After with parse_retry_after below
    from primus_lens_wandb_exporter.report.transport import HttpTransport, Response

# Transient by definition (rate limit, gateway, overload). 500 is added on purpose: our server
# answers 500 only for transient faults (a busy database), and every body is idempotent (each
# point is keyed), so retrying can never duplicate, while giving up would lose data.
RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})
# 413: the body is too big; split it in two and send each half.
TOO_LARGE_STATUS = 413
# A server that answers these is there, but refuses this job's configuration (its token, its
# base URL), not the body: the same body is taken once the configuration is fixed, so it is kept
# in the spool like an outage, never dropped. Every job on a node hits this at once when an
# operator turns on tokens, and losing their data for a setting would be the worst outcome.
CONFIG_ERROR_STATUSES = frozenset({401, 403, 404})

INITIAL_BACKOFF_S = 0.5
MAX_BACKOFF_S = 30.0
JITTER = 0.2  # +-20 %, so ranks that failed together do not retry together
# A server may ask for more, but waiting longer than this inside one job only moves data to the
# spool later; the retry window still bounds the total.
MAX_RETRY_AFTER_S = 300.0


def is_success(status: int) -> bool:
    return 200 <= status < 300


def is_retryable(status: int) -> bool:
    """status 0 means no HTTP answer at all (refused, reset, timed out): always retryable."""
    return status == 0 or status in RETRYABLE_STATUSES


def is_config_error(status: int) -> bool:
    return status in CONFIG_ERROR_STATUSES


def backoff_s(attempt: int, rand: Callable[[], float] = random.random) -> float:
    """Exponential backoff for retry number `attempt` (0-based), capped, with jitter."""
    base = min(MAX_BACKOFF_S, INITIAL_BACKOFF_S * (2.0 ** min(attempt, 16)))
    return base * (1.0 - JITTER + 2 * JITTER * rand())


def parse_retry_after(value: Optional[str], now_epoch_s: float) -> Optional[float]:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP-date (RFC 9110).

    None when absent or unparsable; a date in the past means "retry now" (0).
    """
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if when is None:
            return None
        seconds = when.timestamp() - now_epoch_s
    if seconds != seconds:  # NaN
        return None
    return min(MAX_RETRY_AFTER_S, max(0.0, seconds))


@dataclass
class Outcome:
    delivered: List[Dict[str, Any]] = field(default_factory=list)
    rejected: List[Tuple[Dict[str, Any], Response]] = field(default_factory=list)
    undelivered: List[Dict[str, Any]] = field(default_factory=list)
    retries: int = 0
    failure: Optional[Response] = None
    answer: Optional[Response] = None  # the last 2xx, for what the server said about the body


class Delivery:
    def __init__(
        self,
        transport: HttpTransport,
        request_timeout_s: float,
        retry_window_s: float,
        exit_clock: ExitClock,
        under_pressure: Callable[[], bool],
        rand: Callable[[], float] = random.random,
    ) -> None:
        self._transport = transport
        self._request_timeout_s = request_timeout_s
        self._retry_window_s = retry_window_s
        self._exit = exit_clock
        self._under_pressure = under_pressure
        self._rand = rand
        self.failing_since: Optional[float] = None  # monotonic start of the current outage

    @property
    def server_down(self) -> bool:
        return self.failing_since is not None

    def send(self, path: str, body: Dict[str, Any]) -> Outcome:
        outcome = Outcome()
        self._send_into(path, body, encode.to_gzip_json(body), outcome)
        return outcome

    def send_raw(self, path: str, gzip_body: bytes) -> Tuple[str, Optional[Response], int]:
        """For spool replay: ('delivered'|'rejected'|'undelivered', last answer, retries)."""
        response, retries = self._attempts(path, gzip_body)
        if response is not None and is_success(response.status):
            return "delivered", response, retries
        if response is not None and not is_retryable(response.status) and not is_config_error(response.status):
            return "rejected", response, retries
        return "undelivered", response, retries

    def _send_into(self, path: str, body: Dict[str, Any], payload: bytes, outcome: Outcome) -> None:
        response, retries = self._attempts(path, payload)
        outcome.retries += retries
        if response is None or is_retryable(response.status) or is_config_error(response.status):
            outcome.undelivered.append(body)
            outcome.failure = response or outcome.failure
        elif is_success(response.status):
            outcome.delivered.append(body)
            outcome.answer = response
        elif response.status == TOO_LARGE_STATUS and (halves := encode.split_metrics_body(body)):
            for half in halves:
                self._send_into(path, half, encode.to_gzip_json(half), outcome)
        else:
            outcome.rejected.append((body, response))

    def _attempts(self, path: str, payload: bytes) -> Tuple[Optional[Response], int]:
        """Send until an answer is final or the retry budget is spent; (last answer, retries)."""
        retries = 0
        response: Optional[Response] = None
        for attempt in range(10_000):  # the window/deadline ends it long before; a hard bound anyway
            if self._exit.expired():
                return response, retries
            timeout = self._exit.cap(self._request_timeout_s)
            response = self._transport.post(path, payload, timeout)
            if not is_retryable(response.status):
                if is_success(response.status):
                    self.failing_since = None
                elif is_config_error(response.status) and self.failing_since is None:
                    self.failing_since = time.monotonic()
                return response, retries
            now = time.monotonic()
            if self.failing_since is None:
                self.failing_since = now
            if response.status == 0 and response.reused_connection and attempt == 0:
                # A kept-alive connection the server closed while idle: not an outage, retry now.
                retries += 1
                continue
            delay = response.retry_after_s
            if delay is None:
                delay = backoff_s(attempt, self._rand)
            if now + delay > self.failing_since + self._retry_window_s or self._under_pressure():
                return response, retries
            left = self._exit.remaining_s()
            if left is not None and delay >= left:
                return response, retries
            retries += 1
            self._exit.sleep(delay)
        return response, retries
