class LightningModule:
    def __init__(self):
        self.hparams = {}
    def save_hyperparameters(self, hparams):
        self.hparams = dict(hparams)
    def training_step(self, step):
        return {"train_loss": 1.0 / (step + 1)}
class Trainer:
    def __init__(self, max_epochs=2, steps_per_epoch=4, logger=None, strategy="auto"):
        self.max_epochs, self.steps_per_epoch, self.logger, self.strategy = max_epochs, steps_per_epoch, logger, strategy
    def _setup_strategy(self, module):
        if self.strategy == "deepspeed":
            import deepspeed
            deepspeed.init_distributed("gloo")
        elif self.strategy == "model_parallel":
            import torch.distributed as dist
            from torch.distributed.fsdp import fully_shard
            from torch.nn import Linear
            dist.init_process_group("gloo")
            self._sharded = [fully_shard(Linear()) for _ in range(2)]
    def fit(self, module):
        self._setup_strategy(module)
        if self.logger is not None:
            self.logger.log_hyperparams(module.hparams)
        step = 0
        for epoch in range(self.max_epochs):
            for _ in range(self.steps_per_epoch):
                metrics = dict(module.training_step(step))
                metrics.setdefault("epoch", epoch)  # the logger connector adds the epoch
                if self.logger is not None:
                    self.logger.log_metrics(metrics, step)
                step += 1
        if self.logger is not None:
            self.logger.finalize()
