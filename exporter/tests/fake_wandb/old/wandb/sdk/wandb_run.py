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


class Run:
    """0.16 keeps the python-side step in `_step` and has no `_local_step`."""

    def __init__(self, settings, config=None, starting_step=0):
        self._settings = settings
        self._config = dict(config or {})
        self._starting_step = starting_step
        self._step = starting_step
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

    def _set_globals(self):
        module.set_global(run=self, config=self.config, log=self.log)

    def _log(self, data, step=None, commit=None):
        if not isinstance(data, Mapping):
            raise ValueError("wandb.log must be passed a dictionary")
        self._core.partial(dict(data), step, commit)
        if step is not None and step > self._step:
            self._step = step
        if (step is None and commit is None) or commit:
            self._step += 1

    def log(self, data, step=None, commit=None, sync=None):
        self._log(data=data, step=step, commit=commit)

    def _finish(self, exit_code=None, quiet=None):
        if self._is_finished:
            return
        self._is_finished = True
        self._core.finish()
        self.finish_calls.append(exit_code)
        if wandb.run is self:
            module.unset_globals()

    def finish(self, exit_code=None, quiet=None):
        self._finish(exit_code, quiet)

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        self._finish(exit_code=1 if exc_type is not None else 0)
        return False


def finish(exit_code=None, quiet=None):
    if wandb.run is not None:
        wandb.run.finish(exit_code, quiet)
