__version__ = '0.8.0'
from megatron.core import parallel_state
