from collections.abc import Mapping

import wandb
from wandb.sdk.lib import module
from wandb.sdk.lib.run_state import RunState
from wandb.sdk.lib.run_state import Settings as _Settings


class Run(RunState):
    """0.16 keeps the python-side step in `_step` and has no `_local_step`."""

    def __init__(self, settings, config=None, starting_step=0):
        super().__init__(settings, dict(config or {}), starting_step)
        self._step = starting_step

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
        self._teardown(exit_code)

    def finish(self, exit_code=None, quiet=None):
        self._finish(exit_code, quiet)


def finish(exit_code=None, quiet=None):
    if wandb.run is not None:
        wandb.run.finish(exit_code, quiet)
