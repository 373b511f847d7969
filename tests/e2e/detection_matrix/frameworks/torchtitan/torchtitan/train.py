import torch.distributed as dist
from torch.distributed.fsdp import fully_shard
from torch.nn import Linear
from torchtitan.components.metrics import WandBLogger, processor_metrics
def job_config():
    return {
        "job": {"dump_folder": "/tmp/outputs", "description": "llama3 debug"}, "profiling": {"enable_profiling": False},
        "metrics": {"log_freq": 1, "enable_wandb": True}, "model": {"name": "llama3", "flavor": "debugmodel"},
        "optimizer": {"name": "AdamW", "lr": 8e-4}, "lr_scheduler": {"warmup_steps": 2}, "training": {"steps": 10},
        "parallelism": {"data_parallel_shard_degree": -1, "tensor_parallel_degree": 1, "pipeline_parallel_degree": 1},
        "checkpoint": {"enable_checkpoint": False}, "activation_checkpoint": {"mode": "selective"},
        "float8": {}, "comm": {"init_timeout_seconds": 300},
    }
def main(log_dir, config=None, steps=10):
    config = config or job_config()
    if not dist.is_initialized():
        dist.init_process_group("gloo")
    layers = [fully_shard(Linear()) for _ in range(2)]
    logger = WandBLogger(log_dir, config_dict=config)
    for step in range(1, steps + 1):
        logger.log({**processor_metrics(5.0 / step, 1.2), "n_tokens_seen": step * 2048, "lr": 8e-4}, step)
    logger.close()
    return layers
