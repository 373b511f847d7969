import os
from collections.abc import Mapping

import wandb
from wandb.sdk.lib import module
from wandb.sdk.lib.core_rules import FakeCore


class _Settings:
    def __init__(self, run_id, project, mode, run_name=None):
        self.run_id = run_id
        self.project = project
        self.mode = mode
        self.run_name = run_name


class _Config(dict):
    def as_dict(self):
        return dict(self, _wandb={"internal": True})


class Run:
    def __init__(self, settings, config=None, starting_step=0):
        self._settings = settings
        self._config = _Config(config or {})
        self._starting_step = starting_step
        self._local_step = starting_step
        self._is_finished = False
        self._core = FakeCore(starting_step)
        self.history = self._core.history
        self.finish_calls = []

    @property
    def id(self):
        return self._settings.run_id

    @property
    def name(self):
        return self._settings.run_name

    @property
    def config(self):
        return self._config

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
        if self._is_finished:
            return
        self._is_finished = True
        self._core.finish()
        self.finish_calls.append(exit_code)
        if wandb.run is self:
            module.unset_globals()

    def finish(self, exit_code=None):
        self._finish(exit_code)

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        self._finish(exit_code=1 if exc_type is not None else 0)
        return False


def finish(exit_code=None):
    if wandb.run is not None:
        wandb.run.finish(exit_code)
