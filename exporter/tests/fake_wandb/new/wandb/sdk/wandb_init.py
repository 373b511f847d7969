import itertools

import wandb
from wandb.sdk.lib import module
from wandb.sdk.wandb_run import Run, _Settings

_ids = itertools.count(1)


def _set_global_run(run):
    module.set_global(run=run, config=run.config, log=run.log, define_metric=run.define_metric)


def init(project=None, config=None, mode=None, reinit=None, name=None, resume_from_step=0, **_ignored):
    if mode == "disabled":
        from wandb.sdk.lib.noop_run import NoopRun

        run = NoopRun(_Settings("noop%04d" % next(_ids), project or "uncategorized", "disabled"), config)
        _set_global_run(run)
        return run
    if wandb.run is not None and reinit in (None, "default", "return_previous"):
        return wandb.run
    if wandb.run is not None and reinit in (True, "finish_previous"):
        wandb.run.finish()
    run = Run(
        _Settings("run%04d" % next(_ids), project or "uncategorized", mode or "offline", name),
        config,
        starting_step=resume_from_step,
    )
    if reinit != "create_new":
        _set_global_run(run)
    return run
