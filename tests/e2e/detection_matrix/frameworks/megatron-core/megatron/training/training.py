import argparse
import torch.distributed as dist
from megatron.core import parallel_state
from megatron.training import global_vars
def default_args(**overrides):
    args = argparse.Namespace(
        tensor_model_parallel_size=1, pipeline_model_parallel_size=1, micro_batch_size=1, global_batch_size=8,
        seq_length=128, num_layers=2, hidden_size=64, num_attention_heads=4, max_position_embeddings=128,
        train_iters=12, lr_decay_style="cosine", make_vocab_size_divisible_by=128, tokenizer_type="GPT2BPETokenizer",
        use_distributed_optimizer=False, sequence_parallel=False, lr=3e-4, save="/tmp",
        wandb_project="megatron", wandb_exp_name="gpt-tiny", rank=0, world_size=1,
        log_loss_scale_to_tensorboard=True, deepspeed=False)
    for key, value in overrides.items():
        setattr(args, key, value)
    return args
def training_log(args, iteration, loss, lr, grad_norm):
    # megatron/training/training.py training_log(): one wandb.log per name, step = iteration
    writer = global_vars.get_wandb_writer()
    if writer is None:
        return
    writer.log({"samples vs steps": iteration * args.global_batch_size}, iteration)
    writer.log({"learning-rate": lr}, iteration)
    writer.log({"batch-size": args.global_batch_size}, iteration)
    writer.log({"lm loss": loss}, iteration)
    if args.log_loss_scale_to_tensorboard:
        writer.log({"loss-scale": 65536.0}, iteration)
    writer.log({"grad-norm": grad_norm}, iteration)
def pretrain(args=None, before_train=None):
    args = args or default_args()
    if not dist.is_initialized():
        dist.init_process_group("gloo")
    global_vars.set_global_variables(args)
    parallel_state.initialize_model_parallel(args.tensor_model_parallel_size, args.pipeline_model_parallel_size)
    if before_train is not None:
        before_train(args)
    for iteration in range(1, args.train_iters + 1):
        training_log(args, iteration, 9.0 / iteration, args.lr, 1.5)
    writer = global_vars.get_wandb_writer()
    if writer is not None:
        writer.finish()
