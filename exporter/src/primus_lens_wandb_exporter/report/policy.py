"""Retry policy as data and pure functions, so each rule is tested without a network."""
from __future__ import annotations

import email.utils
import random
from typing import Callable, Optional
from urllib.parse import urlsplit

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
            return "the server rejected PRIMUS_LENS_API_TOKEN (HTTP 401 at %s): set it to a token the server accepts" % url
        return "the server requires a token (HTTP 401 at %s): set PRIMUS_LENS_API_TOKEN" % url
    if status == 403:
        return ("PRIMUS_LENS_API_TOKEN may not send data here (HTTP 403 at %s): use a token allowed to ingest "
                "for this job's namespace" % url)
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


def backoff_s(attempt: int, rand: Callable[[], float] = random.random) -> float:
    """Exponential backoff for retry number `attempt` (0-based), capped, with jitter."""
    base = min(MAX_BACKOFF_S, INITIAL_BACKOFF_S * (2 ** min(attempt, 16)))
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
