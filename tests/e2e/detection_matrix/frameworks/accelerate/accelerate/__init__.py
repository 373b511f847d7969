__version__ = '0.33.0'
import torch
from accelerate.accelerator import Accelerator
