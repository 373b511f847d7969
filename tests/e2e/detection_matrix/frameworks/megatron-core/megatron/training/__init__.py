from megatron.training.global_vars import get_args, get_wandb_writer
from megatron.training.training import pretrain
