import itertools

import wandb
from wandb.sdk.wandb_run import Run, _Settings

_ids = itertools.count(1)


def init(project=None, config=None, mode=None, reinit=None, name=None, resume_from_step=0, **_ignored):
    if mode == "disabled":
        from wandb.sdk.lib.disabled import RunDisabled

        return RunDisabled()
    if wandb.run is not None and not reinit:
        return wandb.run
    if wandb.run is not None and reinit:
        wandb.run.finish()
    run = Run(
        _Settings("old%04d" % next(_ids), project or "uncategorized", mode or "offline", name),
        config,
        starting_step=resume_from_step,
    )
    run._set_globals()
    return run
