from lightning.pytorch.loggers import WandbLogger
from nemo.lightning import MegatronStrategy
def train(steps=8, logger=None):
    # MegatronStrategy logs reduced_train_loss, global_step, consumed_samples; the TimingCallback
    # `train_step_timing in s`; all through the Lightning logger
    strategy = MegatronStrategy()
    strategy.setup()
    logger = logger or WandbLogger(project="nemo")
    for step in range(steps):
        logger.log_metrics({"reduced_train_loss": 3.0 / (step + 1), "lr": 1e-4, "global_step": step,
                            "consumed_samples": step * 8, "train_step_timing in s": 0.3, "epoch": 0}, step)
    logger.finalize()
