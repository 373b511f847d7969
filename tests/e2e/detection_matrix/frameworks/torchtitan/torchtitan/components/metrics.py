import os
class WandBLogger:
    # torchtitan/components/metrics.py: wandb.init with the job config; a tag prefixes every key
    def __init__(self, log_dir, config_dict=None, tag=None):
        import wandb
        self.wandb = wandb
        self.tag = tag
        os.makedirs(log_dir, exist_ok=True)
        wandb.init(project=os.getenv("WANDB_PROJECT", "torchtitan"), dir=log_dir, config=config_dict)
    def log(self, metrics, step):
        self.wandb.log({(k if self.tag is None else self.tag + "/" + k): v for k, v in metrics.items()}, step=step)
    def close(self):
        self.wandb.finish()
def processor_metrics(loss, grad_norm):
    return {
        "loss_metrics/global_avg_loss": loss, "loss_metrics/global_max_loss": loss * 1.1, "grad_norm": grad_norm,
        "throughput(tps)": 1200.0, "tflops": 3.1, "time_metrics/end_to_end(s)": 0.2,
        "time_metrics/data_loading(s)": 0.01, "time_metrics/data_loading(%)": 5.0,
        "memory/max_active(GiB)": 1.0, "memory/max_active(%)": 2.0, "memory/max_reserved(GiB)": 1.5,
        "memory/max_reserved(%)": 3.0, "memory/num_alloc_retries": 0, "memory/num_ooms": 0, "mfu(%)": 31.0,
    }
