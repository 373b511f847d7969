__version__ = "2.3.0"
import torch._dynamo  # Lightning loads torch's compiler stack, which loads torch.distributed.fsdp
try:
    import transformers  # torchmetrics' text metrics import it when it is installed
except ImportError:
    pass
from lightning.pytorch.trainer import LightningModule, Trainer
