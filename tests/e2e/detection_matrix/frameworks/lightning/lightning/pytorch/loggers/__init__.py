from lightning.pytorch.loggers.wandb import WandbLogger
