from wandb.sdk import wandb_run, wandb_init
from wandb.sdk.wandb_init import init
