"""What the running process shows in use, beyond which modules are loaded.

A loaded module is not a framework in use: Lightning loads torch.distributed.fsdp, the HF
Trainer loads Accelerate, NeMo loads Megatron Core, whether the job uses them or not. The
server names a base under a wrapper only with evidence that it is initialised or configured,
so this module reads that evidence from the framework's own module objects, and only from
objects that are already in `sys.modules`: it never imports anything, and every read is
guarded (a framework's internals change between releases; a failed read says nothing).

`initialized`: {label: bool}, labels being module names the server maps to a framework.
`configured`: {framework: how we know}, a base the running wrapper is set up to use.
"""

from __future__ import annotations

import itertools
import sys
from typing import Any, Callable, Dict, Mapping, Optional, Tuple

# (label, module that must already be loaded, reader of that module -> bool)
_INITIALIZED: Tuple[Tuple[str, str, Callable[[Any], bool]], ...] = (
    ("torch.distributed", "torch.distributed", lambda m: bool(m.is_initialized())),
    # model-parallel groups exist: Megatron (or NeMo's MegatronStrategy) set up its parallelism
    ("megatron", "megatron.core.parallel_state", lambda m: bool(m.model_parallel_is_initialized())),
    # Megatron's training entry point parsed its arguments (what get_args() returns)
    ("megatron.training", "megatron.training.global_vars", lambda m: getattr(m, "_GLOBAL_ARGS", None) is not None),
    ("deepspeed", "deepspeed.comm", lambda m: bool(m.is_initialized())),
    ("primus", "primus.core.utils.global_vars", lambda m: bool(m.is_initialized())),
    # Accelerate's process state exists (Accelerator() or the HF Trainer's TrainingArguments made it)
    ("accelerate", "accelerate.state", lambda m: bool(m.PartialState._shared_state)),
)

# Accelerate's DistributedType values that name a base, and the framework they name.
_ACCELERATE_BASES = {"DEEPSPEED": "deepspeed", "FSDP": "fsdp", "MEGATRON_LM": "megatron"}
# How many FSDP2 module states to look at: one is proof, the mapping can hold thousands.
_FSDP_STATES_LOOKED_AT = 16


def initialized(modules: Optional[Mapping[str, Any]] = None) -> Dict[str, bool]:
    loaded = sys.modules if modules is None else modules
    found: Dict[str, bool] = {}
    for label, module_name, read in _INITIALIZED:
        module = loaded.get(module_name)
        if module is None:
            continue
        try:
            found[label] = read(module)
        except Exception:
            continue
    return found


def _accelerate(loaded: Mapping[str, Any]) -> Dict[str, str]:
    state = loaded.get("accelerate.state")
    if state is None:
        return {}
    try:
        kind = state.PartialState._shared_state.get("distributed_type")
        value = str(getattr(kind, "value", kind) or "")
    except Exception:
        return {}
    base = _ACCELERATE_BASES.get(value)
    return {base: "accelerate distributed_type=%s" % value} if base else {}


def _fsdp2(loaded: Mapping[str, Any]) -> Dict[str, str]:
    """`fully_shard` records each sharded module's FSDPState in torch's composable-state map."""
    composable = loaded.get("torch.distributed._composable_state")
    if composable is None:
        return {}
    try:
        refs = list(itertools.islice(composable._module_state_mapping.values(), _FSDP_STATES_LOOKED_AT))
        states = [ref() for ref in refs]
    except Exception:
        return {}
    if any(type(s).__name__ == "FSDPState" for s in states if s is not None):
        return {"fsdp": "fully_shard (FSDP2) state on the model"}
    return {}


def primus_backend(modules: Optional[Mapping[str, Any]] = None) -> Optional[str]:
    """The backend Primus was configured with (`pre_trainer.framework` of its loaded config)."""
    loaded = sys.modules if modules is None else modules
    global_vars = loaded.get("primus.core.utils.global_vars")
    cfg = getattr(global_vars, "_GLOBAL_PRIMUS_CFG", None) if global_vars is not None else None
    if cfg is None:
        return None
    try:
        framework = getattr(cfg.get_module_config("pre_trainer"), "framework", None)
    except Exception:
        return None
    return framework.strip().lower() if isinstance(framework, str) and framework.strip() else None


def configured(modules: Optional[Mapping[str, Any]] = None) -> Dict[str, str]:
    loaded = sys.modules if modules is None else modules
    found: Dict[str, str] = {}
    found.update(_fsdp2(loaded))
    found.update(_accelerate(loaded))
    backend = primus_backend(loaded)
    if backend:
        found.setdefault(backend, "primus pre_trainer.framework=%s" % backend)
    return found
