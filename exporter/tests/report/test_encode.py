"""Rows -> wire-format bodies (docs/wire-format.md)."""

from __future__ import annotations

import gzip
import json
import math
from typing import Any, Dict, List

import numpy as np
import pytest

from primus_lens_wandb_exporter.collect.identity import wire_fields
from primus_lens_wandb_exporter.model import Identity, Row, RunEnd, RunInfo
from primus_lens_wandb_exporter.report import encode

RUN_A = RunInfo("a", "proj", "run-a")
RUN_B = RunInfo("b", "proj", "run-b")
IDENTITY = Identity("w", "pu", "pod", "ns", 3, 1, 8, 0, "host", 42)


def bodies(items: List[Any], max_points: int = 100) -> List[Dict[str, Any]]:
    counter = iter(range(1, 1000))
    bad: List[str] = []
    base = wire_fields(IDENTITY, "0.3.0")
    out = encode.metrics_bodies(items, base, max_points, lambda: "id-%d" % next(counter), lambda n, e: bad.append(n))
    return out


@pytest.mark.parametrize(
    "raw, sent",
    [
        (math.nan, "NaN"),
        (math.inf, "Infinity"),
        (-math.inf, "-Infinity"),
        (True, 1.0),
        (3, 3.0),
        (np.float32(0.25), 0.25),
        (np.int64(7), 7.0),
        (np.float64("nan"), "NaN"),
    ],
)
def test_values_are_floats_or_the_non_finite_spellings(raw: Any, sent: Any) -> None:
    assert encode.point_value(raw) == sent


def test_every_body_is_strict_json_even_with_non_finite_values() -> None:
    (body,) = bodies([Row(RUN_A, 0, 1.0, dict([("loss", math.nan), ("gn", math.inf)]))])
    decoded = json.loads(gzip.decompress(encode.to_gzip_json(body)))
    assert [p["value"] for p in decoded["metrics"]] == ["NaN", "Infinity"]


def test_one_body_per_run_with_identity_run_info_and_keyed_points() -> None:
    out = bodies(
        [
            Row(RUN_A, 0, 1.0, dict([("x", 1)])),
            Row(RUN_B, 5, 2.0, dict([("x", 2)])),
            Row(RUN_A, 1, 3.0, dict([("x", 3)])),
        ]
    )
    assert [b["run_id"] for b in out] == ["a", "b"]
    first = out[0]
    assert first["run"] == {"id": "a", "project": "proj", "name": "run-a"}
    assert (first["workload_uid"], first["rank"], first["node_rank"], first["pid"]) == ("w", 3, 0, 42)
    assert first["step_semantics"] == "wandb" and first["source"] == "wandb"
    assert [(p["name"], p["step"], p["timestamp"]) for p in first["metrics"]] == [("x", 0, 1.0), ("x", 1, 3.0)]
    assert len({b["batch_id"] for b in out}) == 2


def test_bodies_hold_at_most_max_points_and_count_each_row_once() -> None:
    rows = [Row(RUN_A, step, 1.0, {"m%d" % i: i for i in range(3)}) for step in range(10)]
    out = bodies(rows, max_points=4)
    assert all(len(b["metrics"]) <= 4 for b in out)
    assert sum(len(b["metrics"]) for b in out) == 30
    assert sum(b["rows"] for b in out) == 10


def test_a_run_end_rides_on_the_last_body_of_its_run() -> None:
    rows = [Row(RUN_A, s, 1.0, dict([("x", s)])) for s in range(5)]
    out = bodies(rows + [RunEnd(RUN_A, 3, 9.0)], max_points=2)
    assert [("run_state" in b) for b in out] == [False, False, True]
    assert out[-1]["run_state"] == {"state": "finished", "exit_code": 3, "finished_at": 9.0}


def test_a_run_end_alone_is_a_body_without_metrics() -> None:
    (body,) = bodies([RunEnd(RUN_B, None, 9.0)])
    assert body["metrics"] == [] and body["rows"] == 0 and body["run_state"]["exit_code"] is None


def test_an_unreadable_value_skips_only_that_point() -> None:
    (body,) = bodies([Row(RUN_A, 0, 1.0, dict([("bad", object()), ("good", 1.0)]))])
    assert [p["name"] for p in body["metrics"]] == ["good"]


def test_split_halves_keep_every_point_rows_and_the_run_end_on_the_second() -> None:
    (body,) = bodies([Row(RUN_A, s, 1.0, dict([("x", 1), ("y", 2)])) for s in range(3)] + [RunEnd(RUN_A, 0, 1.0)])
    first, second = encode.split_metrics_body(body)
    assert first["metrics"] + second["metrics"] == body["metrics"]
    assert first["rows"] + second["rows"] == 3
    assert "run_state" not in first and "run_state" in second
    assert encode.split_metrics_body({"metrics": [{"step": 0}], "batch_id": "x"}) is None


def test_a_stray_non_finite_float_still_fails_loudly() -> None:
    (body,) = bodies([Row(RUN_A, 0, 1.0, dict([("x", 1.0)]))])
    body["metrics"][0]["value"] = math.nan
    with pytest.raises(ValueError):
        encode.to_json(body)
