class DeepSpeedEngine:
    # the engine's monitor logs its summary events under Train/Samples/ when the config enables wandb
    def __init__(self, model, config):
        self.module = model
        self.config = config
        self.global_samples = 0
        self.monitor = config.get("wandb", {}).get("enabled", False)
    def step(self, lr=1e-4):
        self.global_samples += self.config.get("train_batch_size", 8)
        if self.monitor:
            import wandb
            wandb.log({"Train/Samples/lr": lr}, step=self.global_samples)
