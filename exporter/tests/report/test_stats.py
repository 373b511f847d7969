"""The counters and the `Stopped. Stats` line: its keys, in its order, and the failure line."""

from __future__ import annotations

from primus_lens_wandb_exporter.report.stats import Stats, added, stopped_lines

LINE_KEYS = [
    "detection_sent",
    "metrics_sent",
    "errors",
    "points_sent",
    "retries",
    "dropped",
    "spooled",
    "replayed",
    "pending",
]


def test_the_line_has_the_original_keys_first_then_ours_and_queue_drops_count_as_dropped() -> None:
    stats = Stats()
    stats.dropped, stats.points_sent = 3, 10
    line = stats.as_dict(dropped_from_queue=4)
    assert list(line) == LINE_KEYS
    assert line["dropped"] == 7 and line["points_sent"] == 10


def test_added_sums_key_by_key_in_the_line_s_order() -> None:
    own = Stats()
    own.errors = 1
    total = added([own.as_dict(2), {"points_sent": 5, "errors": 1}, {}, {"points_sent": 1, "replayed": 3}])
    assert list(total) == LINE_KEYS
    assert (total["errors"], total["dropped"], total["points_sent"], total["replayed"]) == (2, 2, 6, 3)
    assert added([]) == dict.fromkeys(LINE_KEYS, 0)


def test_a_clean_run_prints_the_stats_line_alone() -> None:
    line = Stats().as_dict(0)
    assert stopped_lines(line) == ["Stopped. Stats: %s" % (line,)]


def test_data_not_on_the_server_is_said_plainly_after_the_stats_line() -> None:
    stats = Stats()
    stats.pending, stats.dropped = 12, 3
    first, second = stopped_lines(stats.as_dict(0))
    assert first.startswith("Stopped. Stats: {'detection_sent': 0,")
    assert second.startswith("Delivery FAILED: 12 points wait in the spool")
    assert "3 points were dropped" in second and second.endswith("the reason was printed above")
    (_, only_dropped) = stopped_lines(Stats().as_dict(5))
    assert only_dropped == "Delivery FAILED: 5 points were dropped; the reason was printed above"
