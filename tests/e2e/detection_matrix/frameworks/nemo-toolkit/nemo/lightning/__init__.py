# nemo.lightning imports its strategies at import: Megatron Core and torch's FSDP come with it
import lightning
from megatron.core import parallel_state
import torch.distributed.fsdp
from nemo.lightning.strategies import MegatronStrategy
