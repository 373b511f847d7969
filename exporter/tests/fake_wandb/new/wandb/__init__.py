"""Fake wandb, 0.31 shape (structure only)."""

from wandb.sdk import wandb_init, wandb_run
from wandb.sdk.lib.preinit import PreInitCallable
from wandb.sdk.wandb_init import init
from wandb.sdk.wandb_run import Run, finish

__version__ = "0.31.0.fake"
run = None
config = None
log = PreInitCallable("wandb.log", Run.log)
define_metric = PreInitCallable("wandb.define_metric", Run.define_metric)
