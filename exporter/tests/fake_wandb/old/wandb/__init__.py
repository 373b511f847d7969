"""Fake wandb, 0.16 shape (structure only)."""

from wandb.sdk import wandb_init, wandb_run
from wandb.sdk.lib.preinit import PreInitCallable
from wandb.sdk.wandb_init import init
from wandb.sdk.wandb_run import Run, finish

__version__ = "0.16.6.fake"
run = None
config = None
log = PreInitCallable("wandb.log", Run.log)
