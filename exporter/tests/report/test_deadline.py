"""The exit deadline: the budget shared by the end of a job, the shutdown window, and the clock
that cuts every wait short."""

from __future__ import annotations

import threading
import time
from typing import List

import pytest

from primus_lens_wandb_exporter.report import deadline
from primus_lens_wandb_exporter.report.deadline import ExitClock, TailBudget


def test_the_spool_reserve_is_a_fifth_of_the_budget_capped_at_half_a_second() -> None:
    assert deadline.spool_reserve_s(1.0) == pytest.approx(0.2)
    assert deadline.spool_reserve_s(10.0) == deadline.SPOOL_RESERVE_MAX_S == 0.5
    assert deadline.spool_reserve_s(0.0) == 0.0


def test_the_budget_is_shared_and_refilled_when_training_logs_again() -> None:
    budget = TailBudget(10.0)
    assert budget.remaining_s(activity=1) == 10.0
    budget.spend(4.0)
    budget.spend(-1.0)  # a clock step back charges nothing
    assert budget.remaining_s(activity=1) == 6.0
    budget.spend(7.0)
    assert budget.remaining_s(activity=1) == 0.0
    assert budget.remaining_s(activity=2) == 10.0  # new rows since: the next run's finish gets it all


def test_a_flush_within_the_budget_leaves_the_spool_reserve_and_is_charged() -> None:
    budget = TailBudget(2.0)
    given: List[float] = []

    def flush(timeout_s: float) -> bool:
        given.append(timeout_s)
        time.sleep(0.05)
        return True

    assert budget.flush_within(flush, activity=1)
    assert given == [pytest.approx(2.0 - 0.4)]
    spent = 2.0 - budget.remaining_s(activity=1)
    assert 0.05 <= spent < 1.0  # the flush's own time, charged


def test_the_shutdown_window_stops_sending_before_the_deadline_to_leave_time_for_the_spool() -> None:
    budget = TailBudget(10.0)
    budget.spend(4.0)
    before = time.monotonic()
    window = budget.window(None, activity=-1)  # the activity the budget was last read at
    assert window.deadline - before == pytest.approx(6.0, abs=0.05)
    assert window.deadline - window.send_until == pytest.approx(0.5)
    told = budget.window(1.0, activity=-1)  # the shipper, told how long by its parent
    assert told.deadline - time.monotonic() == pytest.approx(1.0, abs=0.05)
    empty = budget.window(0.0, activity=-1)
    assert empty.send_until == empty.deadline and empty.left_s() == 0.0  # the reserve never exceeds the budget


def test_the_shipper_gets_the_time_left_minus_its_reply_margin() -> None:
    assert deadline.shipper_stop_times(2.0) == (pytest.approx(1.8), pytest.approx(2.3))
    assert deadline.shipper_stop_times(0.1) == (0.0, pytest.approx(0.4))


def test_before_exit_there_is_no_deadline_and_sleeps_run_their_length() -> None:
    clock = ExitClock()
    assert clock.remaining_s() is None and not clock.active and not clock.expired()
    assert clock.cap(30.0) == 30.0
    started = time.monotonic()
    clock.sleep(0.05)
    assert time.monotonic() - started >= 0.05


def test_the_earliest_deadline_wins_and_caps_every_wait() -> None:
    clock = ExitClock()
    clock.begin(time.monotonic() + 5.0)
    clock.begin(time.monotonic() + 60.0)  # a later deadline never extends the first
    left = clock.remaining_s()
    assert left is not None and 4.0 < left <= 5.0
    assert clock.cap(30.0) == pytest.approx(left, abs=0.05) and clock.cap(1.0) == 1.0
    clock.begin(time.monotonic() - 1.0)
    assert clock.expired() and clock.cap(1.0) == 0.0


def test_a_deadline_set_while_sleeping_wakes_the_sleeper() -> None:
    clock = ExitClock()
    timer = threading.Timer(0.1, lambda: clock.begin(time.monotonic()))
    timer.start()
    started = time.monotonic()
    clock.sleep(30.0)  # a long backoff
    assert time.monotonic() - started < 5.0
    timer.join()
