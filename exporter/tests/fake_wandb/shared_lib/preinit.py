class PreInitCallable:
    def __init__(self, name, destination):
        self._name = name
        self.__wrapped__ = destination

    def __call__(self, *args, **kwargs):
        raise RuntimeError("You must call wandb.init() before %s()" % self._name)
