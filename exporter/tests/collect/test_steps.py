"""The step mirror against wandb's partial-history rules, as a table."""

from __future__ import annotations

from typing import List, Optional, Tuple

import pytest

from primus_lens_wandb_exporter.collect.steps import StepMirror

# Each case: (start step, [(items, step, commit)], expected rows [(step, items)], expected current)
Call = Tuple[dict, Optional[int], Optional[bool]]
CASES: List[Tuple[str, int, List[Call], List[Tuple[int, dict]], int]] = [
    (
        "omitted step auto-increments from 0",
        0,
        [({"a": 1}, None, None), ({"a": 2}, None, None), ({"a": 3}, None, None)],
        [(0, {"a": 1}), (1, {"a": 2}), (2, {"a": 3})],
        3,
    ),
    ("resume starts at starting_step", 7, [({"a": 1}, None, None)], [(7, {"a": 1})], 8),
    (
        "given steps hold the row open until a higher step",
        0,
        [({"a": 1}, 0, None), ({"b": 2}, 0, None), ({"a": 3}, 1, None)],
        [(0, {"a": 1, "b": 2})],
        1,
    ),
    (
        "commit=False merges into one row, later value wins",
        0,
        [({"a": 1}, None, False), ({"b": 2}, None, False), ({"a": 5}, None, None)],
        [(0, {"a": 5, "b": 2})],
        1,
    ),
    (
        "step lower than current is dropped",
        0,
        [({"a": 1}, 5, None), ({"a": 2}, 3, True), ({"a": 3}, 6, None)],
        [(5, {"a": 1})],
        6,
    ),
    (
        "commit=True with a step flushes at that step",
        0,
        [({"a": 1}, 4, True), ({"a": 2}, None, None)],
        [(4, {"a": 1}), (5, {"a": 2})],
        6,
    ),
    (
        "jumping ahead flushes pending at the old step first",
        0,
        [({"a": 1}, None, False), ({"b": 2}, 10, None)],
        [(0, {"a": 1})],
        10,
    ),
    ("empty log advances the step without a row", 0, [({}, None, None), ({"a": 1}, None, None)], [(1, {"a": 1})], 2),
    (
        "commit=True with nothing pending only advances",
        0,
        [({}, None, True), ({}, None, True), ({"x": 1}, None, None)],
        [(2, {"x": 1})],
        3,
    ),
    ("same step given twice with commit=None merges", 3, [({"a": 1}, 3, None), ({"b": 1}, 3, None)], [], 3),
    (
        "commit=False with a step equal to current keeps it open",
        0,
        [({"a": 1}, 0, False), ({"b": 1}, None, None)],
        [(0, {"a": 1, "b": 1})],
        1,
    ),
]


@pytest.mark.parametrize("name,start,calls,expected,current", CASES, ids=[c[0] for c in CASES])
def test_step_rules(name: str, start: int, calls: List[Call], expected: List[Tuple[int, dict]], current: int) -> None:
    mirror = StepMirror(start)
    rows: List[Tuple[int, dict]] = []
    for i, (data, step, commit) in enumerate(calls):
        done, _ = mirror.apply(dict(data), step, commit, float(i))
        rows.extend((s, dict(items)) for s, _, items in done)
    assert rows == expected
    assert mirror.current == current


@pytest.mark.parametrize("name,start,calls,expected,current", CASES, ids=[c[0] for c in CASES])
def test_whole_row_shortcut_gives_the_same_rows_as_apply(
    name: str, start: int, calls: List[Call], expected: List[Tuple[int, dict]], current: int
) -> None:
    """The tracker tries whole_row first and falls back to apply, as here."""
    mirror = StepMirror(start)
    rows: List[Tuple[int, dict]] = []
    for i, (data, step, commit) in enumerate(calls):
        at = mirror.whole_row(step, commit)
        if at is None:
            done, _ = mirror.apply(dict(data), step, commit, float(i))
            rows.extend((s, dict(items)) for s, _, items in done)
        elif data:
            rows.append((at, dict(data)))
    assert rows == expected
    assert mirror.current == current


def test_whole_row_declines_any_call_that_can_merge() -> None:
    mirror = StepMirror(0)
    assert mirror.whole_row(None, None) == 0
    assert mirror.whole_row(3, None) is None and mirror.whole_row(None, True) is None
    mirror.apply({"a": 1}, None, False, 0.0)
    assert mirror.whole_row(None, None) is None  # something is pending: it must merge
    assert mirror.current == 1


def test_pending_row_comes_out_at_finish_with_the_last_call_time() -> None:
    mirror = StepMirror(0)
    mirror.apply({"a": 1}, 4, None, 10.0)
    mirror.apply({"b": 2}, 4, None, 11.0)
    assert mirror.take_pending() == (4, 11.0, {"a": 1, "b": 2})
    assert mirror.take_pending() is None


def test_lower_step_reports_not_accepted_and_counts() -> None:
    mirror = StepMirror(0)
    assert mirror.apply({"a": 1}, 2, None, 0.0)[1] is True
    assert mirror.apply({"a": 1}, 1, None, 0.0)[1] is False
    assert mirror.dropped_calls == 1
