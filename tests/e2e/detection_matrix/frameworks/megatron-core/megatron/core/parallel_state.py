import torch.distributed as dist
_TENSOR_MODEL_PARALLEL_GROUP = None
_PIPELINE_MODEL_PARALLEL_GROUP = None
_DATA_PARALLEL_GROUP = None
def initialize_model_parallel(tensor_model_parallel_size=1, pipeline_model_parallel_size=1):
    global _TENSOR_MODEL_PARALLEL_GROUP, _PIPELINE_MODEL_PARALLEL_GROUP, _DATA_PARALLEL_GROUP
    assert dist.is_initialized(), "torch.distributed is not initialized"
    _TENSOR_MODEL_PARALLEL_GROUP = ("tp", tensor_model_parallel_size)
    _PIPELINE_MODEL_PARALLEL_GROUP = ("pp", pipeline_model_parallel_size)
    _DATA_PARALLEL_GROUP = ("dp", 1)
def model_parallel_is_initialized():
    if _TENSOR_MODEL_PARALLEL_GROUP is None or _PIPELINE_MODEL_PARALLEL_GROUP is None or _DATA_PARALLEL_GROUP is None:
        return False
    return True
