from accelerate.state import DistributedType, PartialState
class Accelerator:
    def __init__(self, log_with=None):
        self.state = PartialState()
        self.log_with = log_with
        self.run = None
        if self.state.distributed_type == DistributedType.DEEPSPEED:
            import deepspeed
            deepspeed.init_distributed("gloo")
        elif self.state.distributed_type == DistributedType.MEGATRON_LM:
            import torch.distributed as dist
            from megatron.core import parallel_state
            dist.init_process_group("gloo")
            parallel_state.initialize_model_parallel()
    def init_trackers(self, project_name, config=None):
        # accelerate's WandBTracker: wandb.init, then the config update
        if self.log_with == "wandb":
            import wandb
            self.run = wandb.init(project=project_name)
            self.run.config.update(config or {}, allow_val_change=True)
    def log(self, values, step=None):
        if self.run is not None:
            self.run.log(values, step=step)
    def end_training(self):
        if self.run is not None:
            self.run.finish()
