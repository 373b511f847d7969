import os
_GLOBAL_ARGS = None
_GLOBAL_WANDB_WRITER = None
def get_args():
    assert _GLOBAL_ARGS is not None, "args is not initialized."
    return _GLOBAL_ARGS
def get_wandb_writer():
    return _GLOBAL_WANDB_WRITER
def set_global_variables(args):
    global _GLOBAL_ARGS
    _GLOBAL_ARGS = args
    _set_wandb_writer(args)
def _set_wandb_writer(args):
    # as Megatron does: the last rank logs, with the whole argparse namespace as config
    global _GLOBAL_WANDB_WRITER
    if getattr(args, "wandb_project", "") and args.rank == args.world_size - 1:
        import wandb
        wandb.init(dir=os.path.join(args.save, "wandb"), name=args.wandb_exp_name,
                   project=args.wandb_project, config=vars(args))
        _GLOBAL_WANDB_WRITER = wandb
