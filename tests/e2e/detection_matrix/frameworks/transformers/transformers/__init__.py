__version__ = "4.44.0"
import importlib
# transformers is a lazy module: `from transformers import Trainer` loads transformers.trainer then
_LAZY = {"Trainer": "transformers.trainer", "TrainingArguments": "transformers.training_args",
         "AutoTokenizer": "transformers.tokenization"}
def __getattr__(name):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(name)
