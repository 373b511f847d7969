"""The exit deadline, shared by whoever waits: backoff sleeps, socket timeouts, the spooler.

Before shutdown there is no deadline and sleeps run their full length. `begin(deadline)` caps
every current and future sleep at the deadline and wakes a sleeper at once, so a 30 s backoff
cannot hold the process past PRIMUS_LENS_WANDB_EXIT_TIMEOUT.
"""
from __future__ import annotations

import threading
import time
from typing import Optional


class ExitClock:
    def __init__(self) -> None:
        self._deadline: Optional[float] = None  # time.monotonic() seconds
        self._changed = threading.Event()

    def begin(self, deadline_monotonic: float) -> None:
        if self._deadline is None or deadline_monotonic < self._deadline:
            self._deadline = deadline_monotonic
        self._changed.set()

    @property
    def active(self) -> bool:
        return self._deadline is not None

    def remaining_s(self) -> Optional[float]:
        """Seconds left before the exit deadline; None while the process is not exiting."""
        if self._deadline is None:
            return None
        return self._deadline - time.monotonic()

    def expired(self) -> bool:
        left = self.remaining_s()
        return left is not None and left <= 0

    def cap(self, seconds: float) -> float:
        left = self.remaining_s()
        return seconds if left is None else max(0.0, min(seconds, left))

    def sleep(self, seconds: float) -> None:
        """Sleep `seconds`, cut short at the exit deadline (also one set while sleeping)."""
        end = time.monotonic() + seconds
        for _ in range(1000):  # each pass either times out or sees a new deadline
            limit = end if self._deadline is None else min(end, self._deadline)
            left = limit - time.monotonic()
            if left <= 0:
                return
            if self._changed.wait(left):
                self._changed.clear()
