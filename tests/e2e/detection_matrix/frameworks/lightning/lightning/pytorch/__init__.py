from lightning.pytorch.trainer import LightningModule, Trainer
