"""A per-run mirror of wandb's step/commit rules, so each row carries the `_step` wandb stores.

The rules are wandb-core's (handlePartialHistorySync), which Python's `Run._log` mirrors:
1. `current` starts at the run's starting step (0, or last step + 1 when resuming).
2. A given `step` above `current` first flushes the pending row at `current`, then moves to it.
   A `step` below `current` is dropped by wandb (with a warning), so we drop it too.
3. Items merge into the pending row; a later value for a key overwrites an earlier one.
4. The row is flushed when `commit` is true, or when `commit` is omitted and `step` is omitted.
   Flushing emits the row at `current` and advances `current` by one (an empty row only advances).
The original exporter stored step 0 whenever the step was omitted; that cannot happen here.
"""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional, Tuple

Items = Mapping[str, Any]


class StepMirror:
    __slots__ = ("current", "_pending", "_pending_ts", "dropped_calls")

    def __init__(self, starting_step: int = 0) -> None:
        self.current = starting_step
        self._pending: Dict[str, Any] = {}
        self._pending_ts = 0.0
        self.dropped_calls = 0

    def whole_row(self, step: Optional[int], commit: Optional[bool]) -> Optional[int]:
        """For the training-loop call (no step, no commit, nothing pending), which is a whole row
        by itself: takes the step it is stored at and advances. None for any other call: use
        apply. Split out so the common call builds no lists."""
        if step is None and commit is None and not self._pending:
            current = self.current
            self.current = current + 1
            return current
        return None

    def apply(
        self, items: Items, step: Optional[int], commit: Optional[bool], timestamp: float
    ) -> Tuple[List[Tuple[int, float, Items]], bool]:
        """Applies one accepted log call. Returns (completed rows, accepted?).

        A completed row is (step, timestamp of its last call, items).
        """
        if step is None and commit is None and not self._pending:
            # The common training-loop call: a whole row at once, no merge needed.
            current = self.current
            self.current = current + 1
            return ([(current, timestamp, items)] if items else []), True
        done: List[Tuple[int, float, Items]] = []
        if step is not None:
            if step > self.current:
                self._flush_into(done)
                self.current = step
            elif step < self.current:
                self.dropped_calls += 1
                return done, False
        if items:
            self._pending.update(items)
            self._pending_ts = timestamp
        if commit if commit is not None else step is None:
            self._flush_into(done)
            self.current += 1
        return done, True

    def take_pending(self) -> Optional[Tuple[int, float, Items]]:
        """The partial row at `current`, if any (wandb writes it when the run ends)."""
        done: List[Tuple[int, float, Items]] = []
        self._flush_into(done)
        return done[0] if done else None

    def _flush_into(self, done: List[Tuple[int, float, Items]]) -> None:
        if self._pending:
            done.append((self.current, self._pending_ts, self._pending))
            self._pending = {}
