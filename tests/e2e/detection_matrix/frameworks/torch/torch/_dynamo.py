import torch.distributed.fsdp  # torch's compiler stack loads FSDP for its own tracing
