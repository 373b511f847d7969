"""Lightning's `WandbLogger` with a tiny module on CPU, as an unmodified job uses it. Lightning
defines `"*"` against `trainer/global_step`, so wandb adds that key to every row by step sync.
Prints `JOB {"run": <wandb run id>}`."""

import json
import sys

import lightning as L
import torch
from lightning.pytorch.loggers import WandbLogger

torch.manual_seed(0)


class Tiny(L.LightningModule):
    def __init__(self) -> None:
        super().__init__()
        self.save_hyperparameters({"hidden": 16, "lr": 0.05})
        self.net = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Linear(16, 1))

    def training_step(self, batch, batch_idx):  # type: ignore[no-untyped-def]
        x, y = batch
        loss = torch.nn.functional.mse_loss(self.net(x), y)
        self.log("train_loss", loss)
        self.log("lr", 0.05)
        return loss

    def validation_step(self, batch, batch_idx):  # type: ignore[no-untyped-def]
        x, y = batch
        self.log("val_loss", torch.nn.functional.mse_loss(self.net(x), y))

    def configure_optimizers(self):  # type: ignore[no-untyped-def]
        return torch.optim.SGD(self.parameters(), lr=0.05)


data = torch.utils.data.TensorDataset(torch.randn(64, 8), torch.randn(64, 1))
loader = torch.utils.data.DataLoader(data, batch_size=8)
logger = WandbLogger(project="p", name="lightning-tiny", save_dir=sys.argv[1])
trainer = L.Trainer(
    max_epochs=3,
    accelerator="cpu",
    devices=1,
    logger=logger,
    log_every_n_steps=1,
    enable_checkpointing=False,
    enable_progress_bar=False,
    enable_model_summary=False,
    default_root_dir=sys.argv[1],
)
trainer.fit(Tiny(), loader, loader)
run_id = logger.experiment.id
import wandb  # noqa: E402 (Lightning imported it already; this only reaches wandb.finish)

wandb.finish()
print("JOB " + json.dumps({"run": run_id}))
