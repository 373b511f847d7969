_group = None
def is_initialized():
    return _group is not None
def init_process_group(backend="gloo", **kwargs):
    global _group
    _group = backend
def get_world_size():
    return 1
def get_rank():
    return 0
