import torch.distributed as dist
from megatron.core import parallel_state
class MegatronStrategy:
    def __init__(self, tensor_model_parallel_size=1):
        self.tp = tensor_model_parallel_size
    def setup(self):
        if not dist.is_initialized():
            dist.init_process_group("gloo")
        parallel_state.initialize_model_parallel(self.tp)
