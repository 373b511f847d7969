"""Retry policy as data and pure functions, so each rule is tested without a network."""
from __future__ import annotations

import email.utils
import random
from typing import Callable, Optional

# Transient by definition (rate limit, gateway, overload). 500 is added on purpose: our server
# answers 500 only for transient faults (a busy database), and every body is idempotent (each
# point is keyed), so retrying can never duplicate, while giving up would lose data.
RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})
# 413: the body is too big; split it in two and send each half.
TOO_LARGE_STATUS = 413

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
