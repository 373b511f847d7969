from wandb.sdk import wandb_init, wandb_run
from wandb.sdk.wandb_init import init
