"""The outbox: each body counted once as sent, refused or spooled; spooled bodies replayed; and
what the user is told when a body does not arrive. A real socket, a real spool folder."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import pytest

from primus_lens_wandb_exporter import output
from primus_lens_wandb_exporter.report.deadline import ExitClock
from primus_lens_wandb_exporter.report.outbox import Outbox, why_undelivered
from primus_lens_wandb_exporter.report.retry import Delivery
from primus_lens_wandb_exporter.report.spool import Spool
from primus_lens_wandb_exporter.report.stats import Stats
from primus_lens_wandb_exporter.report.transport import HttpTransport

from support.fake_server import FakeServer


@pytest.fixture(autouse=True)
def fresh_say_once() -> None:
    output._once_keys.clear()  # each test must see its own "said once" lines


def metrics_body(run_id: str, steps: range, width: int = 2) -> Dict[str, Any]:
    points = [{"name": "m%d" % i, "value": float(s), "step": s, "timestamp": 1.0} for s in steps for i in range(width)]
    return {
        "workload_uid": "w",
        "pod_name": "p",
        "run_id": run_id,
        "batch_id": run_id + "-1",
        "rows": len(steps),
        "metrics": points,
    }


def make(server: FakeServer, tmp_path: Path, clock: Optional[ExitClock] = None) -> Tuple[Outbox, Stats, Spool]:
    clock = clock or ExitClock()
    stats = Stats()
    spool = Spool(str(tmp_path / "spool"), 1 << 20, lambda entry: None)
    # A retry window of 0: a failed body goes to the spool at once instead of after a minute.
    delivery = Delivery(HttpTransport(server.base_url, "", "ua"), 0.5, 0.0, clock, lambda: False, rand=lambda: 0.5)
    return Outbox(delivery, spool, clock, stats, server.base_url, False), stats, spool


def spooled(tmp_path: Path) -> List[str]:
    folder = tmp_path / "spool"
    return sorted(os.listdir(folder)) if folder.exists() else []


def test_a_delivered_body_counts_its_points_and_rows(server: FakeServer, tmp_path: Path) -> None:
    outbox, stats, _ = make(server, tmp_path)
    outbox.send("metrics", metrics_body("a", range(5)))
    outbox.send("detection", {"workload_uid": "w", "pod_name": "p"})
    assert (stats.points_sent, stats.metrics_sent, stats.detection_sent) == (10, 5, 1)
    assert (stats.errors, stats.dropped, stats.spooled, stats.pending) == (0, 0, 0, 0)
    assert len(server.keys()) == 10 and spooled(tmp_path) == []


def test_a_refused_body_is_dropped_counted_and_said_once(server: FakeServer, tmp_path: Path, capfd: Any) -> None:
    server.set_mode("status", status=422)
    outbox, stats, _ = make(server, tmp_path)
    outbox.send("metrics", metrics_body("a", range(3)))
    outbox.send("metrics", metrics_body("b", range(2)))
    assert (stats.errors, stats.dropped, stats.points_sent, stats.spooled) == (2, 10, 0, 0)
    assert capfd.readouterr().err.count("Server refused a metrics batch: HTTP 422") == 1
    assert spooled(tmp_path) == []


def test_an_undelivered_body_is_spooled_then_replayed_by_the_next_send(
    server: FakeServer, tmp_path: Path, capfd: Any
) -> None:
    server.down()
    outbox, stats, _ = make(server, tmp_path)
    outbox.send("metrics", metrics_body("a", range(4)))
    assert (stats.spooled, stats.pending, stats.errors, stats.points_sent) == (8, 8, 1, 0)
    assert [name.split(".", 1)[1] for name in spooled(tmp_path)] == ["metrics.8p.4r.json.gz"]
    err = capfd.readouterr().err
    assert "Not delivered: API unreachable (connection refused: nothing listens at 127.0.0.1:" in err
    assert "Keeping unsent data in %s" % (tmp_path / "spool") in err
    assert stats.last_failure.startswith("API unreachable")
    server.up()
    outbox.send("metrics", metrics_body("b", range(1)))  # taken: the outage is over...
    assert stats.pending == 8 and len(spooled(tmp_path)) == 1
    outbox.send("metrics", metrics_body("c", range(1)))  # ...so the next send replays the spool first
    # This process's own spooled points count as sent once a replay delivers them.
    assert (stats.points_sent, stats.metrics_sent, stats.pending, stats.replayed) == (12, 6, 0, 0)
    assert spooled(tmp_path) == [] and len(server.keys()) == 12 and server.duplicate_acks() == []


def test_an_earlier_process_s_spool_counts_as_replayed_not_as_sent(server: FakeServer, tmp_path: Path) -> None:
    server.down()
    outbox, _stats, _ = make(server, tmp_path)
    outbox.send("metrics", metrics_body("old", range(3)))
    (name,) = spooled(tmp_path)
    stamp, pid, rest = name.split("-", 2)
    folder = tmp_path / "spool"
    os.rename(folder / name, folder / ("%s-%d-%s" % (stamp, int(pid) + 1, rest)))  # written by another pid
    server.up()
    later, later_stats, _ = make(server, tmp_path)
    later.send("metrics", metrics_body("new", range(1)))
    assert (later_stats.replayed, later_stats.points_sent, later_stats.metrics_sent) == (6, 2, 1)
    assert spooled(tmp_path) == [] and len(server.keys()) == 8


def test_past_the_exit_deadline_bodies_go_straight_to_the_spool(server: FakeServer, tmp_path: Path, capfd: Any) -> None:
    clock = ExitClock()
    clock.begin(time.monotonic() - 1)
    outbox, stats, _ = make(server, tmp_path, clock)
    outbox.send("metrics", metrics_body("a", range(2)))
    assert server.requests == 0 and stats.spooled == 4 and len(spooled(tmp_path)) == 1
    assert "Not delivered: exit deadline reached before it was sent" in capfd.readouterr().err


def test_an_unwritable_spool_loses_the_body_and_says_so(server: FakeServer, tmp_path: Path, capfd: Any) -> None:
    server.down()
    (tmp_path / "spool").write_text("a file where the spool folder should be")
    outbox, stats, _ = make(server, tmp_path)
    outbox.send("metrics", metrics_body("a", range(2)))
    assert (stats.dropped, stats.errors, stats.spooled) == (4, 2, 0)
    assert "Cannot write to spool %s: data lost" % (tmp_path / "spool") in capfd.readouterr().err


def test_the_server_s_detection_verdict_is_said_each_time_it_changes(
    server: FakeServer, tmp_path: Path, capfd: Any
) -> None:
    outbox, _, _ = make(server, tmp_path)
    server.verdict = {"framework": "megatron", "confidence": 0.6, "status": "suspected"}
    outbox.send("detection", {"workload_uid": "w"})
    outbox.send("detection", {"workload_uid": "w"})
    server.verdict = {"framework": "primus", "confidence": 0.9, "status": "confirmed"}
    outbox.send("detection", {"workload_uid": "w"})
    said = [line for line in capfd.readouterr().err.splitlines() if "Server detected framework" in line]
    assert said == [
        "[Primus Lens API Reporter] Server detected framework: megatron (confidence: 0.60, suspected)",
        "[Primus Lens API Reporter] Server detected framework: primus (confidence: 0.90, confirmed)",
    ]


# (status, reason, base URL, has token) -> words the message must hold
WHY_CASES = [
    (
        401,
        "Unauthorized",
        "http://lens:8080/api/v1",
        False,
        ["requires a token", "set PRIMUS_LENS_API_TOKEN", "http://lens:8080/api/v1/wandb/metrics"],
    ),
    (401, "Unauthorized", "http://lens:8080/api/v1", True, ["rejected PRIMUS_LENS_API_TOKEN"]),
    (403, "Forbidden", "http://lens:8080/api/v1", True, ["PRIMUS_LENS_API_TOKEN may not send data here"]),
    (
        404,
        "Not Found",
        "http://lens:8080",
        False,
        ["HTTP 404 Not Found at http://lens:8080/wandb/metrics", "probably lacks /api/v1"],
    ),
    (
        0,
        "ConnectionRefusedError: [Errno 111] Connection refused",
        "http://lens:8080/api/v1",
        False,
        ["API unreachable (connection refused: nothing listens at lens:8080)"],
    ),
    (
        0,
        "gaierror: [Errno -2] Name or service not known",
        "http://nohost:8080/api/v1",
        False,
        ["host name not found (DNS): nohost"],
    ),
    (
        0,
        "TimeoutError: timed out",
        "http://lens:8080/api/v1",
        False,
        ["no answer from lens:8080 within PRIMUS_LENS_WANDB_TIMEOUT"],
    ),
    (503, "Service Unavailable", "http://lens:8080/api/v1", False, ["HTTP 503 Service Unavailable"]),
]


@pytest.mark.parametrize("status,reason,base,has_token,words", WHY_CASES)
def test_why_undelivered_names_the_setting_to_change(
    status: int, reason: str, base: str, has_token: bool, words: List[str]
) -> None:
    message = why_undelivered(status, reason, base, "/wandb/metrics", has_token)
    for word in words:
        assert word in message, message
    assert "LENS_API_TOKEN" not in message.replace("PRIMUS_LENS_API_TOKEN", "")  # never the server's variable


def test_a_404_under_api_v1_does_not_blame_the_prefix() -> None:
    assert "lacks /api/v1" not in why_undelivered(404, "Not Found", "http://lens/api/v1", "/wandb/metrics", False)
