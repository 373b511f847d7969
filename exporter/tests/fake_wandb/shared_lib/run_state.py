"""What both fake `Run` classes keep alike: settings, config, the history wandb-core stored, and
the teardown done once. The methods the exporter patches (`log`, `_log`, `finish`, `_finish`,
`define_metric`) stay on each shape's own `Run`, as in wandb, where the exporter looks for them."""

import wandb
from wandb.sdk.lib import module
from wandb.sdk.lib.core_rules import FakeCore


class Settings:
    def __init__(self, run_id, project, mode, run_name=None):
        self.run_id = run_id
        self.project = project
        self.mode = mode
        self.run_name = run_name


class RunState:
    def __init__(self, settings, config, starting_step):
        self._settings = settings
        self._config = config
        self._starting_step = starting_step
        self._is_finished = False
        self._core = FakeCore(starting_step)
        self.history = self._core.history
        self.finish_calls = []

    @property
    def id(self):
        return self._settings.run_id

    @property
    def config(self):
        return self._config

    def _teardown(self, exit_code):
        """The part of `_finish` both releases share: once only, the last row stored, the globals unset."""
        if self._is_finished:
            return
        self._is_finished = True
        self._core.finish()
        self.finish_calls.append(exit_code)
        if wandb.run is self:
            module.unset_globals()

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        self._finish(exit_code=1 if exc_type is not None else 0)
        return False
