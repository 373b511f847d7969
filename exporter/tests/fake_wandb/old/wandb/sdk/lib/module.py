import wandb
from wandb.sdk.lib.preinit import PreInitCallable


def set_global(**kwargs):
    for name, value in kwargs.items():
        setattr(wandb, name, value)


def unset_globals():
    from wandb.sdk.wandb_run import Run

    wandb.run = None
    wandb.log = PreInitCallable("wandb.log", Run.log)
