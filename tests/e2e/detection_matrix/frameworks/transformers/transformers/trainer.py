import os
import accelerate
import torch.distributed.fsdp  # transformers.distributed.fsdp loads torch's FSDP API with the Trainer
from transformers.training_args import TrainingArguments
def rewrite_logs(d):
    out = {}
    for k, v in d.items():
        out[("eval/" + k[5:]) if k.startswith("eval_") else ("train/" + k)] = v
    return out
class WandbCallback:
    # integration_utils.WandbCallback: init, then the config update, then define_metric
    def setup(self, args, model_config):
        import wandb
        self._wandb = wandb
        if wandb.run is None:
            wandb.init(project=os.getenv("WANDB_PROJECT", "huggingface"), name=args.run_name)
        wandb.config.update({**model_config, **args.to_dict()}, allow_val_change=True)
        wandb.define_metric("train/global_step")
        wandb.define_metric("*", step_metric="train/global_step", step_sync=True)
    def on_log(self, step, logs):
        self._wandb.log({**rewrite_logs(logs), "train/global_step": step})
class Trainer:
    def __init__(self, model=None, args=None, train_dataset=None):
        self.model, self.args = model, args or TrainingArguments()
    def train(self):
        if self.args.deepspeed:
            import deepspeed
            deepspeed.initialize(model=self.model, config={"train_batch_size": 8})
        if self.args.fsdp:
            from torch.distributed.fsdp import FullyShardedDataParallel
            self.model = FullyShardedDataParallel(self.model)
        callback = WandbCallback()
        callback.setup(self.args, {"_name_or_path": "tiny-gpt2", "model_type": "gpt2"})
        for step in range(1, self.args.max_steps + 1):
            callback.on_log(step, {"loss": 4.0 / step, "grad_norm": 1.0, "learning_rate": 5e-5, "epoch": step / 3})
        callback.on_log(self.args.max_steps, {"eval_loss": 2.0, "eval_runtime": 0.5, "eval_samples_per_second": 40.0,
                                              "eval_steps_per_second": 20.0, "epoch": 2.0})
        self._wandb_finish()
    def _wandb_finish(self):
        import wandb
        wandb.finish()
