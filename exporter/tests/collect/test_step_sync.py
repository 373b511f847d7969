"""wandb's step sync as a table: each case is a shape whose outcome was read from the history
wandb-core stores (the same shapes run against real wandb in integration/test_real_wandb.py)."""

from __future__ import annotations

import math
from typing import Any, Dict, List, Tuple, Union

import pytest

from primus_lens_wandb_exporter.collect.step_sync import StepSync

# A step is ("define", name, step_metric, step_sync, overwrite) or ("row", items, expected row).
Define = Tuple[str, str, Any, Any, Any]
RowStep = Tuple[str, Dict[str, Any], Dict[str, Any]]
CASES: List[Tuple[str, List[Union[Define, RowStep]]]] = [
    (
        "no step metric logged yet: 0",
        [("define", "acc", "epoch", None, None), ("row", {"acc": 0.1}, {"acc": 0.1, "epoch": 0})],
    ),
    (
        "the last number logged is added",
        [
            ("define", "acc", "epoch", None, None),
            ("row", {"epoch": 3, "loss": 1}, {"epoch": 3, "loss": 1}),
            ("row", {"acc": 0.2}, {"acc": 0.2, "epoch": 3}),
        ],
    ),
    (
        "a row that holds the step metric is left alone",
        [("define", "acc", "epoch", None, None), ("row", {"acc": 0.5, "epoch": 7.5}, {"acc": 0.5, "epoch": 7.5})],
    ),
    ("step_sync=False adds nothing", [("define", "acc", "epoch", False, None), ("row", {"acc": 1}, {"acc": 1})]),
    (
        "glob: a prefix ending in *",
        [
            ("define", "val/*", "epoch", None, None),
            ("row", {"epoch": 2}, {"epoch": 2}),
            ("row", {"val/loss": 1, "train/loss": 2}, {"val/loss": 1, "train/loss": 2, "epoch": 2}),
        ],
    ),
    (
        "glob * matches every key but wandb's own",
        [
            ("define", "*", "step", None, None),
            ("row", {"_private": 1}, {"_private": 1}),
            ("row", {"a": 1}, {"a": 1, "step": 0}),
        ],
    ),
    (
        "exact beats glob, longer prefix beats shorter",
        [
            ("define", "*", "s1", None, None),
            ("define", "train/*", "s2", None, None),
            ("define", "train/lr", "s3", None, None),
            ("row", {"train/lr": 1}, {"train/lr": 1, "s3": 0}),
            ("row", {"train/loss": 1}, {"train/loss": 1, "s2": 0}),
            ("row", {"other": 1}, {"other": 1, "s1": 0}),
        ],
    ),
    (
        "a bool, a string or a nested dict is not a step value",
        [
            ("define", "b", "flag", None, None),
            ("row", {"flag": 4}, {"flag": 4}),
            ("row", {"flag": True}, {"flag": True}),
            ("row", {"flag": "x"}, {"flag": "x"}),
            ("row", {"flag.a": 9}, {"flag.a": 9}),
            ("row", {"b": 1}, {"b": 1, "flag": 4}),
        ],
    ),
    (
        "NaN is a number",
        [
            ("define", "acc", "epoch", None, None),
            ("row", {"epoch": math.nan}, {"epoch": math.nan}),
            ("row", {"acc": 1}, {"acc": 1, "epoch": math.nan}),
        ],
    ),
    (
        "values logged before the key was named a step metric do not count",
        [
            ("row", {"loss": 5}, {"loss": 5}),
            ("define", "late", "loss", None, None),
            ("row", {"late": 1}, {"late": 1, "loss": 0}),
        ],
    ),
    (
        "a later definition merges; overwrite replaces",
        [
            ("define", "q", "s", None, None),
            ("define", "q", None, None, None),
            ("row", {"q": 1}, {"q": 1, "s": 0}),
            ("define", "q", "t", None, None),
            ("row", {"q": 2}, {"q": 2, "t": 0}),
            ("define", "q", None, None, True),
            ("row", {"q": 3}, {"q": 3}),
        ],
    ),
    (
        "a definition without a step metric adds nothing",
        [("define", "epoch", None, None, None), ("row", {"epoch": 1}, {"epoch": 1})],
    ),
]


# wandb before 0.18 (its Python service): any key's last value counts, and no default 0.
LEGACY_CASES: List[Tuple[str, List[Union[Define, RowStep]]]] = [
    ("never logged: nothing added", [("define", "acc", "epoch", None, None), ("row", {"acc": 0.1}, {"acc": 0.1})]),
    (
        "logged before the definition counts",
        [
            ("row", {"loss": 5}, {"loss": 5}),
            ("define", "late", "loss", None, None),
            ("row", {"late": 1}, {"late": 1, "loss": 5}),
        ],
    ),
    (
        "a bool is copied as it was logged",
        [
            ("define", "b", "flag", None, None),
            ("row", {"flag": True}, {"flag": True}),
            ("row", {"b": 1}, {"b": 1, "flag": True}),
        ],
    ),
]


def same(a: Dict[str, Any], b: Dict[str, Any]) -> bool:
    def key(d: Dict[str, Any]) -> Dict[str, Any]:
        return {k: ("nan" if isinstance(v, float) and math.isnan(v) else v) for k, v in d.items()}

    return key(a) == key(b)


@pytest.mark.parametrize(
    "legacy,name,steps",
    [(False,) + c for c in CASES] + [(True,) + c for c in LEGACY_CASES],
    ids=[c[0] for c in CASES] + ["legacy: " + c[0] for c in LEGACY_CASES],
)
def test_step_sync_table(legacy: bool, name: str, steps: List[Any]) -> None:
    sync = StepSync(legacy=legacy)
    for step in steps:
        if step[0] == "define":
            sync.define(*step[1:])
            continue
        items, expected = step[1], step[2]
        before = dict(items)
        out = sync.apply(items)
        assert same(out, expected), (name, out)
        assert items == before or same(items, before)  # the caller's dict is never changed
        assert (out is items) == same(expected, before)  # a copy only when something was added


def test_metric_objects_name_their_step_metric() -> None:
    class Metric:
        name = "epoch"

    sync = StepSync()
    sync.define("acc", Metric())
    assert sync.apply({"acc": 1}) == {"acc": 1, "epoch": 0}
