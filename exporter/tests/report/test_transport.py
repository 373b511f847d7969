"""The HTTP seam against a real local server: gzip, keep-alive, headers, failures as values."""

from __future__ import annotations

import gzip
import json

from primus_lens_wandb_exporter.report.transport import HttpTransport

from support.fake_server import FakeServer, free_port


def body(n: int) -> bytes:
    points = [{"name": "loss", "value": 0.5, "step": i, "timestamp": 1.0} for i in range(n)]
    return gzip.compress(json.dumps({"workload_uid": "w", "run_id": "r", "metrics": points}).encode())


def test_posts_gzip_json_with_our_headers_over_one_kept_alive_connection(server: FakeServer) -> None:
    transport = HttpTransport(server.base_url, "s3cret", "primus-lens-wandb-exporter/9.9")
    answers = [transport.post("/wandb/metrics", body(2), timeout_s=2.0) for _ in range(5)]
    transport.close()
    assert [a.status for a in answers] == [200] * 5
    assert [a.reused_connection for a in answers] == [False, True, True, True, True]
    assert server.connections == 1
    headers = server.headers[0]
    assert headers["Content-Encoding"] == "gzip"
    assert headers["Content-Type"] == "application/json"
    assert headers["User-Agent"] == "primus-lens-wandb-exporter/9.9"
    assert headers["Authorization"] == "Bearer s3cret"
    assert len(server.keys()) == 2


def test_no_authorization_header_without_a_token(server: FakeServer) -> None:
    transport = HttpTransport(server.base_url, "", "ua")
    transport.post("/wandb/metrics", body(1), 2.0)
    transport.close()
    assert "Authorization" not in server.headers[0]


def test_a_refused_connection_is_status_zero_not_an_exception() -> None:
    transport = HttpTransport("http://127.0.0.1:%d/api/v1" % free_port(), "", "ua")
    answer = transport.post("/wandb/metrics", body(1), 1.0)
    assert answer.status == 0 and "Error" in answer.reason


def test_a_server_that_never_answers_times_out(server: FakeServer) -> None:
    server.set_mode("hang")
    transport = HttpTransport(server.base_url, "", "ua")
    answer = transport.post("/wandb/metrics", body(1), 0.2)
    assert answer.status == 0 and "timed out" in answer.reason


def test_a_reset_connection_is_status_zero_and_the_next_post_reconnects(server: FakeServer) -> None:
    server.set_mode("reset", fail_count=1)
    transport = HttpTransport(server.base_url, "", "ua")
    assert transport.post("/wandb/metrics", body(1), 1.0).status == 0
    assert transport.post("/wandb/metrics", body(1), 1.0).status == 200
    transport.close()


def test_retry_after_is_read_from_the_answer(server: FakeServer) -> None:
    server.set_mode("status", status=429, retry_after=3)
    transport = HttpTransport(server.base_url, "", "ua")
    answer = transport.post("/wandb/metrics", body(1), 1.0)
    transport.close()
    assert (answer.status, answer.retry_after_s) == (429, 3.0)
