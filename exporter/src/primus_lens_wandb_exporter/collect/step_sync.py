"""wandb's "step sync": the step metric's last value, added to a row that lacks it.

`run.define_metric("acc", step_metric="epoch")` (step_sync defaults to True once a step metric is
set) makes wandb store `epoch` in every history row that has `acc` but no `epoch`. HF Trainer and
Lightning define `"*"` against their global-step key, so their rows all carry it. The server must
hold what wandb holds, so the same rule runs on each completed row, measured against the
history wandb-core (0.18+) stores:

1. A definition names one key, or a prefix when it ends in `*` (wandb refuses any other `*`).
   An exact definition wins over a glob; among globs the longest prefix wins. Globs never match
   keys that start with `_` (wandb's own). Keys are the flattened ones (`{"a": {"b": 1}}` is
   `a.b`), so a row holding only `epoch.x` does not hold `epoch`.
2. A later definition of the same name merges into the earlier one (a field it sets replaces
   the old value); `overwrite=True` replaces it whole.
3. A key counts as a step metric from the moment a definition names it. From then on its last
   value is the last number logged for it (int or float, NaN included; not bool, not a string
   or a dict). Until a number arrives, the last value is 0.
4. A completed row gets, for each of its keys whose definition has a step metric and
   step_sync, that step metric's last value, unless the row already holds the key. An added key
   adds nothing more: when the step metric has a step metric of its own, wandb-core may or may
   not add that one too (it depends on Go's map order), so no rule can match it every time.

Before 0.18, wandb's Python service applied the rule with two differences (`legacy=True`): the
last value is that of any key, whenever it was logged, and a step metric never logged adds
nothing (no default 0).
"""

from __future__ import annotations

import numbers
from typing import Any, Dict, List, Mapping, Optional, Tuple

Items = Mapping[str, Any]

_UNSET: Any = object()


class _Definition:
    __slots__ = ("step_metric", "step_sync")

    def __init__(self) -> None:
        self.step_metric: Optional[str] = None
        self.step_sync: Optional[bool] = None


def _is_number(value: Any) -> bool:
    """What wandb-core tracks as a step value: a number that is not a bool. Tensors and numpy
    values kept by the snapshot count when they hold a non-bool number; reading their dtype
    never syncs a device."""
    kind = type(value)
    if kind is float or kind is int:
        return True
    if kind is bool:
        return False
    dtype = getattr(value, "dtype", None)
    if dtype is not None:
        if getattr(dtype, "kind", None) is not None:  # numpy
            return dtype.kind in ("i", "u", "f")
        return getattr(dtype, "is_floating_point", False) or str(dtype).startswith(("torch.int", "torch.uint"))
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


class StepSync:
    """Per-run definitions and step values; one instance per run, used under the run's lock."""

    __slots__ = ("_exact", "_globs", "_last", "_resolved", "_legacy")

    def __init__(self, legacy: bool = False) -> None:
        self._legacy = legacy
        self._exact: Dict[str, _Definition] = {}
        self._globs: Dict[str, _Definition] = {}  # prefix -> definition
        self._last: Dict[str, Any] = {}  # step metric -> its last number
        # key -> step metric to add for it (None: nothing); cleared by every definition.
        self._resolved: Dict[str, Optional[str]] = {}

    def define(
        self, name: str, step_metric: Any = None, step_sync: Optional[bool] = None, overwrite: Optional[bool] = None
    ) -> None:
        """After wandb accepted `define_metric(name, ...)` with these arguments."""
        if not isinstance(name, str) or not name:
            return
        if step_metric is not None and not isinstance(step_metric, str):
            step_metric = getattr(step_metric, "name", None)  # a wandb Metric object
        if step_sync is None and step_metric:
            step_sync = True
        table = self._globs if name.endswith("*") else self._exact
        key = name[:-1] if name.endswith("*") else name
        definition = table.get(key)
        if definition is None or overwrite:
            definition = table[key] = _Definition()
        if step_metric:
            definition.step_metric = step_metric
            if not self._legacy:
                self._last.setdefault(step_metric, 0)
        if step_sync is not None:
            definition.step_sync = step_sync
        self._resolved.clear()

    def _step_metric_for(self, key: str) -> Optional[str]:
        definition = self._exact.get(key)
        if definition is None and not key.startswith("_"):
            best = -1
            for prefix, candidate in self._globs.items():
                if len(prefix) > best and key.startswith(prefix):
                    definition, best = candidate, len(prefix)
        if definition is None or not definition.step_sync:
            return None
        return definition.step_metric

    def apply(self, items: Items) -> Items:
        """The row as wandb stores it: `items` itself when nothing is added (the common case),
        else a new dict. Never changes `items`: it may be the user's own dict."""
        last = self._last
        if self._legacy:
            last.update(items)
        else:
            for metric in last:
                value = items.get(metric, _UNSET)
                if value is not _UNSET and _is_number(value):
                    last[metric] = value
        resolved = self._resolved
        added: Optional[List[Tuple[str, Any]]] = None
        for key in items:
            step_metric = resolved.get(key, _UNSET)
            if step_metric is _UNSET:
                step_metric = resolved[key] = self._step_metric_for(key)
            if step_metric is not None and step_metric not in items:
                value = last.get(step_metric, _UNSET)
                if value is _UNSET:
                    continue  # legacy: never logged
                if added is None:
                    added = []
                added.append((step_metric, value))
        if added is None:
            return items
        row = dict(items)
        for step_metric, value in added:
            row[step_metric] = value
        return row
