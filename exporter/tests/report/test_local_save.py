"""PRIMUS_LENS_WANDB_SAVE_LOCAL: one strict-JSON line per row, in one file per node and rank."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Optional

from primus_lens_wandb_exporter.model import Identity, Row, RunInfo
from primus_lens_wandb_exporter.report.local_save import LocalWriter, jsonl_path

RUN = RunInfo("r1", "proj", "name-1")


def identity(node_rank: Optional[int] = 1, local_rank: Optional[int] = 3) -> Identity:
    return Identity("w", "pu", "pod", "ns", 11, local_rank, 16, node_rank, "host", 42)


def test_the_path_is_per_node_and_local_rank_with_defaults_for_unknown_ranks() -> None:
    assert jsonl_path("/out", identity()) == "/out/node_1/rank_3/wandb_metrics.jsonl"
    assert jsonl_path("/out", identity(None, None)) == "/out/node_0/rank_-1/wandb_metrics.jsonl"


def test_rows_become_strict_json_lines_and_unreadable_values_are_left_out(tmp_path: Path) -> None:
    writer = LocalWriter(str(tmp_path), identity)
    writer.write([Row(RUN, 0, 1.5, {"loss": math.nan, "up": math.inf, "bad": object(), "acc": 0.5})])
    writer.write([Row(RUN, 1, 2.5, {"loss": 0.25})])  # appended to the same open file
    writer.close()
    text = (tmp_path / "node_1" / "rank_3" / "wandb_metrics.jsonl").read_text()
    lines = [json.loads(line) for line in text.splitlines()]  # json.loads refuses bare NaN: strict
    assert "NaN" not in text.replace('"NaN"', "")
    assert lines == [
        {
            "timestamp": 1.5,
            "step": 0,
            "run_id": "r1",
            "project": "proj",
            "name": "name-1",
            "pid": os.getpid(),
            "data": {"loss": "NaN", "up": "Infinity", "acc": 0.5},
        },
        {
            "timestamp": 2.5,
            "step": 1,
            "run_id": "r1",
            "project": "proj",
            "name": "name-1",
            "pid": os.getpid(),
            "data": {"loss": 0.25},
        },
    ]


def test_a_forked_child_opens_its_own_handle_and_appends(tmp_path: Path) -> None:
    writer = LocalWriter(str(tmp_path), identity)
    writer.write([Row(RUN, 0, 1.0, {"x": 1.0})])
    first = writer._handle
    writer._pid = -1  # as a forked child sees it: the handle belongs to another process
    writer.write([Row(RUN, 1, 1.0, {"x": 2.0})])
    assert writer._handle is not first
    writer.close()
    assert first is not None
    first.close()
    steps = [
        json.loads(line)["step"] for line in (tmp_path / "node_1/rank_3/wandb_metrics.jsonl").read_text().splitlines()
    ]
    assert steps == [0, 1]
