"""Each server fault, twice: once healing within the retry window, once outlasting it; each
driven by the bare reporter (as the hook calls it) and by a real wandb offline training script.

For every case the sending process exits 0, within the exit deadline, and the server ends up
with exactly the expected keys (directly, or through the spool replayed by a later process),
and never acknowledged the same key twice (the exporter never re-sent confirmed data).
"""

from __future__ import annotations

import math
import threading
import time
from pathlib import Path
from typing import Callable, Dict, Optional

import pytest

from report.processes import DRIVERS, expected_keys, later, reporter_env, run_sender, run_training, spool_files
from support.fake_server import FakeServer

EXIT_TIMEOUT_S = 3.0
# Interpreter teardown on a loaded 2-core box, plus wandb.finish's own work for the wandb driver
# (~0.8 s with a healthy server); the exporter's own bound is EXIT_TIMEOUT_S.
TEARDOWN_SLACK_S = {"reporter": 1.5, "wandb": 3.0}
# 60 steps of 30 ms: the job trains ~1.8 s, so a fault that heals within the retry window heals
# while it trains (a fault still there when training ends is bounded by the exit deadline).
TRAINING_STEP_S = 0.03

# Each returns what to do with the script's stderr lines (None: nothing).
HEALING: Dict[str, Callable[[FakeServer], Optional[Callable[[str], None]]]] = {
    "down": lambda s: (s.down(), heal_after_first_log(s))[1],
    "slow": lambda s: s.set_mode("slow", delay_s=0.3),
    "hang": lambda s: s.set_mode("hang", fail_count=1),
    "429": lambda s: s.set_mode("status", fail_count=2, status=429, retry_after=1),
    "500": lambda s: s.set_mode("status", fail_count=2, status=500),
    "413": lambda s: s.set_mode("too_large", max_points=10),
    "reset": lambda s: s.set_mode("reset", fail_count=2),
}


def heal_after_first_log(server: FakeServer) -> Callable[[str], None]:
    """The server comes back 0.8 s after wandb.init (whose start-up time varies with load)."""

    def on_line(line: str) -> None:
        if "Framework detection data queued" in line or line.startswith("READY"):
            later(0.8, server.up)

    return on_line


LASTING: Dict[str, Callable[[FakeServer], None]] = {
    "down": lambda s: s.down(),
    "slow": lambda s: s.set_mode("slow", delay_s=2.0),  # slower than PRIMUS_LENS_WANDB_TIMEOUT
    "hang": lambda s: s.set_mode("hang"),
    "429": lambda s: s.set_mode("status", status=429, retry_after=1),
    "500": lambda s: s.set_mode("status", status=500),
    "503-http-date": lambda s: s.set_mode("status", status=503, retry_after="Wed, 21 Oct 2015 07:28:00 GMT"),
    "reset": lambda s: s.set_mode("reset"),
}


def assert_bounded_exit(finished, driver: str) -> None:  # type: ignore[no-untyped-def]
    assert finished.returncode == 0, finished.stderr
    assert not math.isnan(finished.added_s), finished.stderr
    assert finished.added_s <= EXIT_TIMEOUT_S + TEARDOWN_SLACK_S[driver], (finished.added_s, finished.stderr)


@pytest.mark.parametrize("driver", DRIVERS)
@pytest.mark.parametrize("fault", sorted(HEALING))
def test_fault_healing_within_retry_window_loses_and_duplicates_nothing(
    fault: str, driver: str, server: FakeServer, tmp_path: Path
) -> None:
    on_line = HEALING[fault](server)
    env = reporter_env(server, tmp_path / "spool", PRIMUS_LENS_WANDB_EXIT_TIMEOUT=str(EXIT_TIMEOUT_S))
    finished = run_training(driver, env, "heal-" + fault, step_s=TRAINING_STEP_S, on_line=on_line)
    assert_bounded_exit(finished, driver)
    assert server.keys() == expected_keys("heal-" + fault)
    assert server.duplicate_acks() == []
    assert server.run_states() and server.run_states()[-1]["exit_code"] == 0
    assert len(server.detections) == 1
    stats = finished.stats()
    assert stats["metrics_sent"] == 60 and stats["points_sent"] == 181, stats
    assert stats["dropped"] == 0 and stats["spooled"] == 0, stats
    assert spool_files(tmp_path / "spool") == []
    if fault in ("down", "hang", "429", "500", "reset"):
        assert stats["retries"] > 0, stats


@pytest.mark.parametrize("driver", DRIVERS)
@pytest.mark.parametrize("fault", sorted(LASTING))
def test_fault_outlasting_retry_window_goes_to_spool_and_a_later_process_replays_it(
    fault: str, driver: str, server: FakeServer, tmp_path: Path
) -> None:
    spool = tmp_path / "spool"
    LASTING[fault](server)
    env = reporter_env(
        server,
        spool,
        PRIMUS_LENS_WANDB_EXIT_TIMEOUT=str(EXIT_TIMEOUT_S),
        PRIMUS_LENS_WANDB_RETRY_WINDOW="0.5",
    )
    first = run_training(driver, env, "first-" + fault)
    assert_bounded_exit(first, driver)
    assert first.stats()["spooled"] > 0, first.stderr
    assert spool_files(spool), "nothing was spooled"
    assert "Not delivered: " in first.stderr and "Keeping unsent data in" in first.stderr
    assert "Delivery FAILED: " in first.stderr and "'errors': 0," not in first.stderr

    server.release.set()  # let hung handlers go; they never answered, so nothing was acked
    if fault == "down":
        server.up()
    server.set_mode("ok")
    second = run_sender(env, "second-" + fault)  # the later process that replays the spool
    assert_bounded_exit(second, "reporter")
    assert server.keys() == expected_keys("first-" + fault) | expected_keys("second-" + fault)
    if fault != "slow":
        # "slow" stores each body and answers after the client gave up: the exporter cannot
        # know it arrived, spools it, and the replay overwrites the same keys (still one each).
        assert server.duplicate_acks() == []
    assert spool_files(spool) == []
    # The earlier job's points are the later job's "replayed", not part of its own sends.
    own = second.stats()
    assert own["replayed"] == first.stats()["spooled"] and own["points_sent"] == len(
        expected_keys("second-" + fault)
    ), own
    finished_runs = {state["exit_code"] for state in server.run_states()}
    assert finished_runs == {0}


def test_the_same_process_replays_its_spool_once_the_server_is_back(server: FakeServer, tmp_path: Path) -> None:
    server.down()
    spool = tmp_path / "spool"

    def up_once_metrics_are_spooled() -> None:
        # Back while the job still trains (~2.4 s), but only after a metrics body went to disk:
        # a fixed delay lets a slow start reach the server before anything was spooled.
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not any(".metrics." in name for name in spool_files(spool)):
            time.sleep(0.02)
        server.up()

    threading.Thread(target=up_once_metrics_are_spooled, daemon=True).start()
    env = reporter_env(server, spool, PRIMUS_LENS_WANDB_RETRY_WINDOW="0.2")
    finished = run_sender(env, "comeback", step_s=0.04)
    assert_bounded_exit(finished, "reporter")
    stats = finished.stats()
    assert stats["spooled"] > 0 and stats["points_sent"] == 181, stats  # replays count as sent
    assert stats["dropped"] == 0, stats
    assert server.keys() == expected_keys("comeback")
    assert server.duplicate_acks() == []
    assert spool_files(tmp_path / "spool") == []
