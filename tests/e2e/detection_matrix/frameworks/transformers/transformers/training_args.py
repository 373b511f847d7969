import dataclasses
import os
@dataclasses.dataclass
class TrainingArguments:
    output_dir: str = "out"
    per_device_train_batch_size: int = 2
    per_device_eval_batch_size: int = 2
    gradient_accumulation_steps: int = 1
    learning_rate: float = 5e-5
    num_train_epochs: float = 3.0
    max_steps: int = 6
    logging_steps: int = 1
    logging_strategy: str = "steps"
    save_strategy: str = "no"
    eval_strategy: str = "no"
    report_to: tuple = ("wandb",)
    lr_scheduler_type: str = "linear"
    warmup_ratio: float = 0.0
    dataloader_num_workers: int = 0
    push_to_hub: bool = False
    optim: str = "adamw_torch"
    run_name: str = "hf-run"
    deepspeed: object = None
    fsdp: str = ""
    def __post_init__(self):
        # as HF does: DeepSpeed and FSDP go through Accelerate, configured by these variables
        if self.deepspeed:
            os.environ["ACCELERATE_USE_DEEPSPEED"] = "true"
        if self.fsdp:
            os.environ["ACCELERATE_USE_FSDP"] = "true"
        from accelerate.state import PartialState
        self.distributed_state = PartialState()
    def to_dict(self):
        return {f.name: (list(v) if isinstance(v, tuple) else v)
                for f in dataclasses.fields(self) for v in [getattr(self, f.name)]}
