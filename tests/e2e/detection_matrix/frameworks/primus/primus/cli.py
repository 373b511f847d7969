from primus.core.backend.backend_registry import load_backend
from primus.core.launcher.config import PrimusConfig
from primus.core.utils import global_vars
def main(framework, exp_name="exp"):
    cfg = PrimusConfig(framework)
    global_vars.set_global_variables(cfg)
    global_vars.set_initialized()
    load_backend(framework).run(exp_name)
