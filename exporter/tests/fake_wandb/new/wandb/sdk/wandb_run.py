import os
from collections.abc import Mapping

import wandb
from wandb.sdk.lib.run_state import RunState
from wandb.sdk.lib.run_state import Settings as _Settings


class _Config(dict):
    def as_dict(self):
        return dict(self, _wandb={"internal": True})


class Run(RunState):
    def __init__(self, settings, config=None, starting_step=0):
        super().__init__(settings, _Config(config or {}), starting_step)
        self._local_step = starting_step

    @property
    def name(self):
        return self._settings.run_name

    @property
    def step(self):
        raise AssertionError("run.step is a blocking RPC; the exporter must never read it")

    @property
    def summary(self):
        raise AssertionError("run.summary is a blocking RPC; the exporter must never read it")

    def _log(self, data, step=None, commit=None):
        if not isinstance(data, Mapping):
            raise TypeError("wandb.log must be passed a dictionary")
        if any(not isinstance(key, str) for key in data):
            raise TypeError("Key values passed to `wandb.log` must be strings.")
        self._core.partial(dict(data), step, commit)
        if step is not None and step > self._local_step:
            self._local_step = step
        if (step is None and commit is None) or commit:
            self._local_step += 1

    def log(self, data, step=None, commit=None):
        if self._is_finished:
            raise RuntimeError("run is finished")
        self._log(data=data, step=step, commit=commit)

    def define_metric(self, name, **kwargs):
        return name

    def _finish(self, exit_code=None):
        self._teardown(exit_code)

    def finish(self, exit_code=None):
        self._finish(exit_code)


def finish(exit_code=None):
    if wandb.run is not None:
        wandb.run.finish(exit_code)
