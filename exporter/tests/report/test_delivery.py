"""The delivery policy against a real server; sleeps are recorded instead of slept."""
from __future__ import annotations

import time
from typing import Any, Dict, List

from fault_server import FaultServer, free_port
from primus_lens_wandb_exporter.report.deadline import ExitClock
from primus_lens_wandb_exporter.report.retry import Delivery
from primus_lens_wandb_exporter.report.transport import HttpTransport


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


def test_429_waits_exactly_what_retry_after_says(server: FaultServer) -> None:
    server.set_mode("status", fail_count=2, status=429, retry_after=2)
    clock = RecordingClock()
    outcome = delivery_for(server.base_url, clock).send("/wandb/metrics", metrics_body(3))
    assert len(outcome.delivered) == 1 and outcome.retries == 2
    assert clock.sleeps == [2.0, 2.0]


def test_without_retry_after_the_backoff_grows_exponentially(server: FaultServer) -> None:
    server.set_mode("status", fail_count=3, status=503)
    clock = RecordingClock()
    outcome = delivery_for(server.base_url, clock).send("/wandb/metrics", metrics_body(3))
    assert len(outcome.delivered) == 1
    assert clock.sleeps == [0.5, 1.0, 2.0]


def test_413_splits_until_the_halves_fit(server: FaultServer) -> None:
    server.set_mode("too_large", max_points=10)
    outcome = delivery_for(server.base_url, RecordingClock()).send("/wandb/metrics", metrics_body(35))
    assert not outcome.rejected and not outcome.undelivered
    assert sum(len(b["metrics"]) for b in outcome.delivered) == 35
    assert sum(b["rows"] for b in outcome.delivered) == 35
    assert len({b["batch_id"] for b in outcome.delivered}) == len(outcome.delivered)
    assert len(server.keys()) == 35 and server.duplicate_acks() == []


def test_413_for_a_single_point_is_rejected_not_looped(server: FaultServer) -> None:
    server.set_mode("too_large", max_points=0)
    outcome = delivery_for(server.base_url, RecordingClock()).send("/wandb/metrics", metrics_body(1))
    assert len(outcome.rejected) == 1 and outcome.rejected[0][1].status == 413


def test_other_4xx_is_rejected_once_without_retry(server: FaultServer) -> None:
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


def test_the_outage_ends_at_the_first_success(server: FaultServer) -> None:
    server.set_mode("status", fail_count=1, status=502)
    delivery = delivery_for(server.base_url, RecordingClock())
    delivery.send("/wandb/metrics", metrics_body(1))
    assert not delivery.server_down


def test_a_filling_queue_stops_the_waiting_and_sheds_to_the_caller(server: FaultServer) -> None:
    server.set_mode("status", status=503)
    clock = RecordingClock()
    outcome = delivery_for(server.base_url, clock, pressure=True).send("/wandb/metrics", metrics_body(1))
    assert len(outcome.undelivered) == 1 and clock.sleeps == []


def test_the_exit_deadline_bounds_a_server_that_never_answers(server: FaultServer) -> None:
    server.set_mode("hang")
    clock = ExitClock()
    delivery = Delivery(HttpTransport(server.base_url, "", "ua"), 30.0, 60.0, clock, lambda: False)
    clock.begin(time.monotonic() + 0.3)
    started = time.monotonic()
    outcome = delivery.send("/wandb/metrics", metrics_body(1))
    assert len(outcome.undelivered) == 1
    assert time.monotonic() - started < 5.0  # the request timeout alone would be 30 s


def test_a_stale_kept_alive_connection_is_retried_at_once(server: FaultServer) -> None:
    clock = RecordingClock()
    delivery = delivery_for(server.base_url, clock)
    assert delivery.send("/wandb/metrics", metrics_body(1)).delivered
    server.set_mode("reset", fail_count=1)  # the server drops the idle connection
    outcome = delivery.send("/wandb/metrics", metrics_body(1, "b-2"))
    assert outcome.delivered and outcome.retries == 1 and clock.sleeps == []
