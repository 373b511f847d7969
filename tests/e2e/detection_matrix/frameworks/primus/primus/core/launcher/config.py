from types import SimpleNamespace
class PrimusConfig:
    def __init__(self, framework):
        self.initialized = False
        self._modules = {"pre_trainer": SimpleNamespace(framework=framework)}
    def get_module_config(self, module_name):
        if module_name not in self._modules:
            raise ValueError("Primus config has no module named " + module_name)
        return self._modules[module_name]
