import importlib
def load_backend(backend):
    # Primus imports primus.backends.<backend> on demand, for the configured backend only
    return importlib.import_module("primus.backends." + backend)
