__version__ = "2.4.0+lens.test"
from torch import version, cuda, nn, distributed  # real torch imports torch.distributed at import
def manual_seed(seed):
    return seed
