_GLOBAL_PRIMUS_CFG = None
def is_initialized():
    if _GLOBAL_PRIMUS_CFG is None:
        return False
    return _GLOBAL_PRIMUS_CFG.initialized
def set_initialized():
    _GLOBAL_PRIMUS_CFG.initialized = True
def set_global_variables(cfg):
    global _GLOBAL_PRIMUS_CFG
    if _GLOBAL_PRIMUS_CFG:
        return
    _GLOBAL_PRIMUS_CFG = cfg
def get_primus_config():
    assert _GLOBAL_PRIMUS_CFG is not None, "primus config is not initialized."
    return _GLOBAL_PRIMUS_CFG
