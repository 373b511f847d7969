import enum
import os
class DistributedType(str, enum.Enum):
    NO = "NO"
    MULTI_GPU = "MULTI_GPU"
    DEEPSPEED = "DEEPSPEED"
    FSDP = "FSDP"
    MEGATRON_LM = "MEGATRON_LM"
def _flag(name):
    return os.environ.get(name, "false").lower() in ("1", "true", "yes")
class PartialState:
    # a Borg: every instance shares _shared_state, as in accelerate/state.py
    _shared_state = {}
    def __init__(self):
        self.__dict__ = self._shared_state
        if not self._shared_state:
            if _flag("ACCELERATE_USE_DEEPSPEED"):
                kind = DistributedType.DEEPSPEED
            elif _flag("ACCELERATE_USE_FSDP"):
                kind = DistributedType.FSDP
            elif _flag("ACCELERATE_USE_MEGATRON_LM"):
                kind = DistributedType.MEGATRON_LM
            else:
                kind = DistributedType.NO
            self.distributed_type = kind
