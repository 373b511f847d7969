"""The exit deadline: PRIMUS_LENS_WANDB_EXIT_TIMEOUT, the most time the exporter adds to a job's end.

Everything that decides how long the end of a job may wait lives here, for both reporters:

- `TailBudget`: the timeout as one budget that waiting at run finish, on SIGTERM and at exit all
  draw from, so together they add at most the timeout.
- `ExitWindow`: one shutdown's deadline, and the earlier moment at which sending stops so that
  writing what is still unsent to the spool fits before the deadline (the spool reserve).
- `ExitClock`: the deadline as every waiter sees it (backoff sleeps, socket timeouts, the outbox).
  Before shutdown there is no deadline and sleeps run their full length; `begin(deadline)` caps
  every current and future sleep and wakes a sleeper at once, so a 30 s backoff cannot hold the
  process past the timeout.
- The margins for a shipper process's replies, which cross a pipe and a process exit.
"""

from __future__ import annotations

import threading
import time
from typing import Callable, NamedTuple, Optional, Tuple

# Part of the exit budget kept for writing what is still unsent to the spool (milliseconds of
# disk I/O in practice); sending stops this long before the deadline.
SPOOL_RESERVE_MAX_S = 0.5
# A flush asked of the shipper is waited for until its own deadline plus this, for the reply.
REPLY_TRAVEL_S = 0.25
# At exit the shipper is given the time left minus this, and its reply and exit are waited for
# until the time left plus SHIPPER_EXIT_WAIT_S: what it cannot send by then, it has spooled.
SHIPPER_STOP_MARGIN_S = 0.2
SHIPPER_EXIT_WAIT_S = 0.3


def spool_reserve_s(exit_timeout_s: float) -> float:
    """A share of the whole exit budget, so waiting at run finish cannot eat the part that the
    exit handler needs to write unsent data to disk."""
    return min(SPOOL_RESERVE_MAX_S, exit_timeout_s * 0.2)


def shipper_stop_times(left_s: float) -> Tuple[float, float]:
    """(the budget to give the shipper at exit, how long to wait for its reply)."""
    return max(0.0, left_s - SHIPPER_STOP_MARGIN_S), left_s + SHIPPER_EXIT_WAIT_S


class ExitWindow(NamedTuple):
    """One shutdown's time limits, as time.monotonic() values."""

    deadline: float  # everything, spooling included, is done by then
    send_until: float  # sending stops here; what is unsent then goes to the spool

    def left_s(self) -> float:
        return max(0.0, self.deadline - time.monotonic())


class TailBudget:
    """PRIMUS_LENS_WANDB_EXIT_TIMEOUT as one budget for the end of a job.

    It is refilled when training logs again (`activity` changed), so each run of a sweep gets
    the full budget at its own finish.
    """

    def __init__(self, total_s: float) -> None:
        self._total_s = total_s
        self._spent_s = 0.0
        self._activity = -1

    def remaining_s(self, activity: int) -> float:
        if activity != self._activity:
            self._activity = activity
            self._spent_s = 0.0
        return max(0.0, self._total_s - self._spent_s)

    def spend(self, seconds: float) -> None:
        self._spent_s += max(0.0, seconds)

    def flush_within(self, flush: Callable[[float], bool], activity: int) -> bool:
        """Runs flush(timeout) on what is left of the budget, less the spool reserve (run finish,
        SIGTERM), and charges the time it took."""
        started = time.monotonic()
        done = flush(max(0.0, self.remaining_s(activity) - spool_reserve_s(self._total_s)))
        self.spend(time.monotonic() - started)
        return done

    def window(self, timeout_s: Optional[float], activity: int) -> ExitWindow:
        """The shutdown's window: `timeout_s` when the caller gives one (the shipper, told by its
        parent), else what is left of the budget."""
        budget = self.remaining_s(activity) if timeout_s is None else max(0.0, timeout_s)
        deadline = time.monotonic() + budget
        return ExitWindow(deadline, deadline - min(budget, spool_reserve_s(self._total_s)))


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
