import torch.distributed as dist
cdb = None
def init_distributed(dist_backend="gloo", **kwargs):
    global cdb
    if not dist.is_initialized():
        dist.init_process_group(dist_backend)
    cdb = dist_backend
def is_initialized():
    return cdb is not None
__all__ = ["init_distributed", "is_initialized"]
