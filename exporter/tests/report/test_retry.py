"""The retry policy: its rules as pure functions, then the loop (Delivery) against a real socket,
with sleeps recorded instead of slept."""

from __future__ import annotations

import email.utils
import time
from typing import Any, Dict, List

import pytest

from primus_lens_wandb_exporter.report import retry
from primus_lens_wandb_exporter.report.deadline import ExitClock
from primus_lens_wandb_exporter.report.retry import Delivery
from primus_lens_wandb_exporter.report.transport import HttpTransport

from support.fake_server import FakeServer, free_port


@pytest.mark.parametrize("status", [0, 429, 500, 502, 503, 504])
def test_transient_answers_are_retried(status: int) -> None:
    assert retry.is_retryable(status)


@pytest.mark.parametrize("status", [200, 400, 401, 404, 413, 415, 422])
def test_final_answers_are_not_retried(status: int) -> None:
    assert not retry.is_retryable(status)


def test_backoff_doubles_from_half_a_second_within_the_jitter() -> None:
    for attempt, base in enumerate([0.5, 1.0, 2.0, 4.0, 8.0]):
        assert retry.backoff_s(attempt, lambda: 0.0) == pytest.approx(base * 0.8)
        assert retry.backoff_s(attempt, lambda: 1.0) == pytest.approx(base * 1.2)
        assert retry.backoff_s(attempt, lambda: 0.5) == pytest.approx(base)


def test_backoff_is_capped_even_for_absurd_attempt_numbers() -> None:
    assert retry.backoff_s(10_000, lambda: 1.0) == pytest.approx(retry.MAX_BACKOFF_S * 1.2)


def test_retry_after_in_seconds() -> None:
    assert retry.parse_retry_after("7", now_epoch_s=0.0) == 7.0
    assert retry.parse_retry_after(" 1.5 ", now_epoch_s=0.0) == 1.5


def test_retry_after_http_date_in_the_future_counts_from_now() -> None:
    now = 1_700_000_000.0
    header = email.utils.formatdate(now + 42, usegmt=True)
    assert retry.parse_retry_after(header, now) == pytest.approx(42, abs=1)


def test_retry_after_http_date_in_the_past_means_now() -> None:
    assert retry.parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", 1_700_000_000.0) == 0.0


@pytest.mark.parametrize("header", [None, "", "soon", "NaN"])
def test_unusable_retry_after_is_ignored(header: str) -> None:
    assert retry.parse_retry_after(header, 0.0) is None


def test_retry_after_is_capped_and_never_negative() -> None:
    assert retry.parse_retry_after("999999", 0.0) == retry.MAX_RETRY_AFTER_S
    assert retry.parse_retry_after("-5", 0.0) == 0.0


@pytest.mark.parametrize("status", sorted(retry.CONFIG_ERROR_STATUSES))
def test_configuration_errors_are_kept_not_dropped(status: int) -> None:
    assert retry.is_config_error(status) and not retry.is_retryable(status) and not retry.is_success(status)


# ---- the loop ----------------------------------------------------------------------------------


class RecordingClock(ExitClock):
    def __init__(self) -> None:
        super().__init__()
        self.sleeps: List[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)


def metrics_body(n: int, batch_id: str = "b-1") -> Dict[str, Any]:
    return {
        "workload_uid": "w",
        "pod_name": "p",
        "run_id": "r",
        "batch_id": batch_id,
        "rows": n,
        "metrics": [{"name": "loss", "value": float(i), "step": i, "timestamp": 1.0} for i in range(n)],
    }


def delivery_for(base_url: str, clock: ExitClock, window_s: float = 60.0, pressure: bool = False) -> Delivery:
    return Delivery(HttpTransport(base_url, "", "ua"), 0.5, window_s, clock, lambda: pressure, rand=lambda: 0.5)


def test_429_waits_exactly_what_retry_after_says(server: FakeServer) -> None:
    server.set_mode("status", fail_count=2, status=429, retry_after=2)
    clock = RecordingClock()
    outcome = delivery_for(server.base_url, clock).send("/wandb/metrics", metrics_body(3))
    assert len(outcome.delivered) == 1 and outcome.retries == 2
    assert clock.sleeps == [2.0, 2.0]


def test_without_retry_after_the_backoff_grows_exponentially(server: FakeServer) -> None:
    server.set_mode("status", fail_count=3, status=503)
    clock = RecordingClock()
    outcome = delivery_for(server.base_url, clock).send("/wandb/metrics", metrics_body(3))
    assert len(outcome.delivered) == 1
    assert clock.sleeps == [0.5, 1.0, 2.0]


def test_413_splits_until_the_halves_fit(server: FakeServer) -> None:
    server.set_mode("too_large", max_points=10)
    outcome = delivery_for(server.base_url, RecordingClock()).send("/wandb/metrics", metrics_body(35))
    assert not outcome.rejected and not outcome.undelivered
    assert sum(len(b["metrics"]) for b in outcome.delivered) == 35
    assert sum(b["rows"] for b in outcome.delivered) == 35
    assert len({b["batch_id"] for b in outcome.delivered}) == len(outcome.delivered)
    assert len(server.keys()) == 35 and server.duplicate_acks() == []


def test_413_for_a_single_point_is_rejected_not_looped(server: FakeServer) -> None:
    server.set_mode("too_large", max_points=0)
    outcome = delivery_for(server.base_url, RecordingClock()).send("/wandb/metrics", metrics_body(1))
    assert len(outcome.rejected) == 1 and outcome.rejected[0][1].status == 413


def test_other_4xx_is_rejected_once_without_retry(server: FakeServer) -> None:
    server.set_mode("status", status=400)
    clock = RecordingClock()
    outcome = delivery_for(server.base_url, clock).send("/wandb/metrics", metrics_body(2))
    assert len(outcome.rejected) == 1 and outcome.retries == 0 and clock.sleeps == []
    assert server.requests == 1


def test_an_outage_longer_than_the_window_makes_the_body_undelivered_then_one_try_per_body() -> None:
    clock = RecordingClock()
    delivery = delivery_for("http://127.0.0.1:%d/api/v1" % free_port(), clock, window_s=2.0)
    first = delivery.send("/wandb/metrics", metrics_body(2))
    assert len(first.undelivered) == 1 and clock.sleeps == [0.5, 1.0]  # the next (2 s) would pass the window
    assert delivery.server_down
    delivery.failing_since = time.monotonic() - 10  # the outage is now older than the window
    clock.sleeps.clear()
    second = delivery.send("/wandb/metrics", metrics_body(2, "b-2"))
    assert len(second.undelivered) == 1 and clock.sleeps == [] and second.retries == 0


def test_the_outage_ends_at_the_first_success(server: FakeServer) -> None:
    server.set_mode("status", fail_count=1, status=502)
    delivery = delivery_for(server.base_url, RecordingClock())
    delivery.send("/wandb/metrics", metrics_body(1))
    assert not delivery.server_down


def test_a_filling_queue_stops_the_waiting_and_sheds_to_the_caller(server: FakeServer) -> None:
    server.set_mode("status", status=503)
    clock = RecordingClock()
    outcome = delivery_for(server.base_url, clock, pressure=True).send("/wandb/metrics", metrics_body(1))
    assert len(outcome.undelivered) == 1 and clock.sleeps == []


def test_the_exit_deadline_bounds_a_server_that_never_answers(server: FakeServer) -> None:
    server.set_mode("hang")
    clock = ExitClock()
    delivery = Delivery(HttpTransport(server.base_url, "", "ua"), 30.0, 60.0, clock, lambda: False)
    clock.begin(time.monotonic() + 0.3)
    started = time.monotonic()
    outcome = delivery.send("/wandb/metrics", metrics_body(1))
    assert len(outcome.undelivered) == 1
    assert time.monotonic() - started < 5.0  # the request timeout alone would be 30 s


def test_a_stale_kept_alive_connection_is_retried_at_once(server: FakeServer) -> None:
    clock = RecordingClock()
    delivery = delivery_for(server.base_url, clock)
    assert delivery.send("/wandb/metrics", metrics_body(1)).delivered
    server.set_mode("reset", fail_count=1)  # the server drops the idle connection
    outcome = delivery.send("/wandb/metrics", metrics_body(1, "b-2"))
    assert outcome.delivered and outcome.retries == 1 and clock.sleeps == []
