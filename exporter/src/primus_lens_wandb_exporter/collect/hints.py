"""Advisory framework hints from the cheap evidence (env, wandb config, sys.modules, project).

Scored instead of first-match: every signal adds an indicator, and the confidence comes from
how many *independent kinds* of strong evidence agree on the leading framework. So the
quickstart (examples/quickstart.py with PRIMUS_CONFIG + PRIMUS_VERSION set, and config
framework=primus: env and config agree) is `high`, a lone `FRAMEWORK=x` is `medium`, and a
project-name match alone is `low`. Modules count only when imported (sys.modules), never because
they are installed: the original exporter reported "transformers installed" as high-confidence
evidence.
"""

from __future__ import annotations

import time
from typing import Any, Dict, List, Mapping, Sequence, Set, Tuple

WRAPPERS = ("primus", "lightning", "accelerate", "nemo", "transformers_trainer")
# A framework name seen in env/config goes to the wrapper list if it is one of these.
_WRAPPER_NAMES = {"primus", "lightning", "pytorch_lightning", "accelerate", "nemo", "transformers_trainer"}

# sys.modules name -> (framework, layer). Only names cheap to test and unambiguous.
MODULE_FRAMEWORKS: Tuple[Tuple[str, str, str], ...] = (
    ("primus", "primus", "wrapper"),
    ("lightning", "lightning", "wrapper"),
    ("pytorch_lightning", "lightning", "wrapper"),
    ("accelerate", "accelerate", "wrapper"),
    ("nemo", "nemo", "wrapper"),
    ("transformers.trainer", "transformers_trainer", "wrapper"),
    ("megatron.core", "megatron", "base"),
    ("megatron.training", "megatron", "base"),
    ("megatron", "megatron", "base"),
    ("deepspeed", "deepspeed", "base"),
    ("torchtitan", "torchtitan", "base"),
    ("MaxText", "maxtext", "base"),
    ("maxtext", "maxtext", "base"),
    ("jax", "jax", "base"),
    ("colossalai", "colossalai", "base"),
    ("torch.distributed.fsdp", "fsdp", "base"),
    ("transformers", "transformers", "base"),
)
# Weak on their own: HF transformers is imported by half the ecosystem.
_WEAK_MODULES = {"transformers", "fsdp", "accelerate"}
# Loaded by other frameworks for their own plumbing (Lightning loads both, the HF Trainer FSDP):
# named only when no other framework module is loaded, so a Lightning job is not "lightning, fsdp".
_PLUMBING_MODULES = {"transformers", "fsdp"}

_ENV_RULES: Tuple[Tuple[Tuple[str, ...], str, str, str], ...] = (
    (("PRIMUS_CONFIG", "PRIMUS_VERSION"), "primus", "wrapper", "PRIMUS env vars"),
    (
        ("DEEPSPEED_CONFIG", "DS_CONFIG", "DEEPSPEED_VERSION", "ACCELERATE_USE_DEEPSPEED"),
        "deepspeed",
        "base",
        "DEEPSPEED env vars",
    ),
    (("MEGATRON_CONFIG", "MEGATRON_LM_PATH", "ACCELERATE_USE_MEGATRON_LM"), "megatron", "base", "MEGATRON env vars"),
    (("JAX_BACKEND", "JAX_PLATFORMS"), "jax", "base", "JAX env vars"),
    (("ACCELERATE_USE_FSDP",), "fsdp", "base", "FSDP env vars"),
)
_TRUE = ("1", "true", "yes", "on")
_PROJECT_WORDS = ("primus", "lightning", "deepspeed", "megatron", "torchtitan", "maxtext", "jax", "transformers")


class _Tally:
    def __init__(self) -> None:
        self.wrappers: List[str] = []
        self.bases: List[str] = []
        self.indicators: List[str] = []
        self.kinds: Dict[str, Set[str]] = {}  # framework -> kinds of strong evidence

    def add(self, name: str, layer: str, indicator: str, kind: str) -> None:
        target = self.wrappers if layer == "wrapper" else self.bases
        if name not in target:
            target.append(name)
        if indicator not in self.indicators:
            self.indicators.append(indicator)
        if kind:
            self.kinds.setdefault(name, set()).add(kind)


def _layer_of(name: str) -> str:
    return "wrapper" if name in _WRAPPER_NAMES else "base"


def _norm(name: str) -> str:
    name = name.strip().lower()
    return "lightning" if name == "pytorch_lightning" else name


def compute(env: Mapping[str, str], config: Mapping[str, Any], modules: Sequence[str], project: str) -> Dict[str, Any]:
    t = _Tally()
    imported = set(modules)
    loaded = [(module, name, layer) for module, name, layer in MODULE_FRAMEWORKS if module in imported]
    others = any(name not in _WEAK_MODULES for _, name, _ in loaded)
    for module, name, layer in loaded:
        if name in _PLUMBING_MODULES and others:
            continue
        t.add(name, layer, "import." + module, "" if name in _WEAK_MODULES else "import")
    for names, fw, layer, indicator in _ENV_RULES:
        for var in names:
            value = env.get(var)
            if value is not None and (not var.startswith("ACCELERATE_USE_") or value.strip().lower() in _TRUE):
                t.add(fw, layer, indicator, "env")
                break
    backend = env.get("PRIMUS_BACKEND") or (env.get("BACKEND") if "primus" in t.wrappers or env.get("EXP") else None)
    if backend:
        t.add(_norm(backend), "base", "BACKEND=" + backend, "env")
    for var in ("FRAMEWORK", "TRAINING_FRAMEWORK"):
        if env.get(var, "").strip():
            fw = _norm(env[var])
            t.add(fw, _layer_of(fw), "FRAMEWORK=" + fw, "env")
            break
    if isinstance(config, Mapping):
        for key in ("framework", "base_framework"):
            value = config.get(key)
            if isinstance(value, str) and value.strip():
                fw = _norm(value)
                t.add(fw, "base" if key == "base_framework" else _layer_of(fw), "wandb_config." + key, "config")
        trainer = str(config.get("trainer", "")).lower()
        for fw in ("deepspeed", "megatron"):
            if fw in trainer:
                t.add(fw, "base", "wandb_config.trainer", "config")
                break
    lowered = (project or "").lower()
    for word in _PROJECT_WORDS:
        if word in lowered and word not in t.wrappers and word not in t.bases:
            t.add(word, _layer_of(word), "project_name=" + project, "")
    return _finish(t)


def _finish(t: _Tally) -> Dict[str, Any]:
    most = max((len(k) for k in t.kinds.values()), default=0)
    confidence = "high" if most >= 2 else "medium" if most == 1 else "low"
    possible = list(t.wrappers) + [b for b in t.bases if b not in t.wrappers]
    layers: Dict[str, Any] = {}
    for w in t.wrappers:
        layers[w] = {"layer": "wrapper", "base_frameworks": list(t.bases)}
    for b in t.bases:
        layers.setdefault(b, {"layer": "base", "wrapper_frameworks": list(t.wrappers)})
    return {
        "possible_frameworks": possible,
        "wrapper_frameworks": list(t.wrappers),
        "base_frameworks": list(t.bases),
        "confidence": confidence,
        "primary_indicators": list(t.indicators),
        "framework_layers": layers,
        "timestamp": time.time(),
    }
