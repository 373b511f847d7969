from torch.distributed.fsdp._fully_shard import FSDPModule, fully_shard
class FullyShardedDataParallel:
    def __init__(self, module):
        self.module = module
