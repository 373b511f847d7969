from megatron.training import pretrain
from megatron.training.training import default_args
def run(exp_name):
    pretrain(default_args(wandb_project="primus", wandb_exp_name=exp_name))
