__version__ = "0.14.4"
from deepspeed import comm
from deepspeed.runtime.engine import DeepSpeedEngine
def init_distributed(dist_backend="gloo"):
    comm.init_distributed(dist_backend)
def initialize(model=None, config=None, **kwargs):
    init_distributed()
    engine = DeepSpeedEngine(model, config or {})
    return engine, None, None, None
