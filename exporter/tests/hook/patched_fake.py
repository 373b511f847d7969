"""Imports one of the fake wandb shapes in-process, patched with a fresh tracker, and cleans up."""

from __future__ import annotations

import contextlib
import os
import sys
from typing import Any, Dict, Iterator, List, Tuple

from primus_lens_wandb_exporter import config as config_mod
from primus_lens_wandb_exporter.hook import patch
from primus_lens_wandb_exporter.hook.tracker import Tracker

from .recording_reporter import RecordingReporter

SHAPES = ["old", "new"]  # the fakes: wandb 0.16's layout and wandb 0.31's
FAKES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "fake_wandb")


def _purge() -> None:
    for name in [n for n in sys.modules if n == "wandb" or n.startswith("wandb.")]:
        del sys.modules[name]


@contextlib.contextmanager
def fake_wandb(
    shape: str, env: Any = None, patch_first: bool = True
) -> Iterator[Tuple[Any, RecordingReporter, Tracker]]:
    """Yields (wandb, reporter, tracker). With patch_first=False the caller patches later."""
    _purge()
    path = os.path.join(FAKES, shape)
    sys.path.insert(0, path)
    try:
        import wandb

        reporter = RecordingReporter()
        tracker = Tracker(config_mod.load(env or {}), reporter)
        if patch_first:
            assert patch.apply(wandb, tracker, lambda: None)
        yield wandb, reporter, tracker
    finally:
        patch.unpatch()
        sys.path.remove(path)
        _purge()


def stored(run: Any) -> List[Tuple[int, Dict[str, Any]]]:
    """What the fake's wandb-core stored for `run`: (step, row) in order."""
    return [(step, row) for step, row in run.history]
