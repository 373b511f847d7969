"""Framework-detection evidence, split by cost.

`take_snapshot` runs on the training thread inside `wandb.init` and only copies what is already
in memory (env vars, the wandb config, run info, which framework modules are in sys.modules):
well under a millisecond. `build_body` runs on the reporter's worker thread and adds everything
that costs: package versions, torch details, GPU probes (subprocesses), build info.
Nothing here imports a framework to detect it.
"""

from __future__ import annotations

import os
import platform
import sys
import time
from dataclasses import dataclass, field
from typing import Any, Dict, Mapping, Optional, Tuple

from primus_lens_wandb_exporter import __version__
from primus_lens_wandb_exporter.collect import hardware, hints, in_use, software
from primus_lens_wandb_exporter.collect.identity import current as current_identity
from primus_lens_wandb_exporter.collect.identity import wire_fields
from primus_lens_wandb_exporter.model import RunInfo

# The original exporter's list, plus launcher and Primus signals (documented in the exporter README).
ENV_VARS: Tuple[str, ...] = (
    "FRAMEWORK",
    "TRAINING_FRAMEWORK",
    "PRIMUS_CONFIG",
    "PRIMUS_VERSION",
    "PRIMUS_BACKEND",
    "DEEPSPEED_CONFIG",
    "DEEPSPEED_VERSION",
    "DS_CONFIG",
    "MEGATRON_CONFIG",
    "MEGATRON_LM_PATH",
    "JAX_BACKEND",
    "JAX_PLATFORMS",
    "PL_TRAINER_GPUS",
    "TRANSFORMERS_CACHE",
    "MASTER_ADDR",
    "MASTER_PORT",
    "EXP",
    "BACKEND",
    "MEGATRON_PATH",
    "TORCHTITAN_PATH",
    "TORCHELASTIC_RUN_ID",
    "MEGATRON_LM_TP_DEGREE",
    "MEGATRON_LM_PP_DEGREE",
    "RANK",
    "LOCAL_RANK",
    "WORLD_SIZE",
    "NODE_RANK",
    "SLURM_JOB_ID",
    "SLURM_NODEID",
    "PET_NODE_RANK",
    "OMPI_COMM_WORLD_SIZE",
    "KUBEFLOW_TRAINER_FRAMEWORK",
)
ENV_PREFIXES: Tuple[str, ...] = ("ACCELERATE_USE_", "FSDP_", "PRIMUS_")
_OWN_PREFIX = "PRIMUS_LENS_"  # our own settings are not framework evidence

MODULE_NAMES: Tuple[str, ...] = tuple(dict.fromkeys(m for m, _, _ in hints.MODULE_FRAMEWORKS)) + (
    "torch",
    "tensorflow",
    "flax",
    "keras",
    "paddle",
    "mlx",
    "ray",
    "vllm",
    "trl",
    "peft",
    "composer",
    "transformer_engine",
    "apex",
    "fairscale",
    "torch.distributed",
    "megatron.core.parallel_state",
    # Primus imports the backend it is configured with, and only that one, on demand.
    "primus.backends.megatron",
    "primus.backends.torchtitan",
    "primus.backends.maxtext",
    "torch.distributed._composable.fsdp",
)


@dataclass(frozen=True)
class Snapshot:
    """What the training thread copies at `wandb.init` (and re-takes at the first logs)."""

    run: RunInfo
    tags: Tuple[str, ...]
    config: Dict[str, Any]
    environment: Dict[str, str]
    modules: Tuple[str, ...]
    hints: Dict[str, Any]
    # When the run started: wandb's own start time (a plain float on Run), else this snapshot's.
    # The body is built later, on the worker, so its send time is no start time.
    started_at: float = 0.0
    # What the loaded frameworks show in use (in_use.py), read with the modules, on the same thread.
    initialized: Dict[str, bool] = field(default_factory=dict)
    configured: Dict[str, str] = field(default_factory=dict)
    # Everything a later look compares with, to tell whether the evidence changed (`current_state`).
    state: Tuple[Any, ...] = ()


def collect_environment(env: Optional[Mapping[str, str]] = None) -> Dict[str, str]:
    env = os.environ if env is None else env
    found = {name: env[name] for name in ENV_VARS if name in env}
    for name, value in env.items():
        if name.startswith(ENV_PREFIXES) and not name.startswith(_OWN_PREFIX):
            found[name] = value
    return found


def imported_modules() -> Tuple[str, ...]:
    modules = sys.modules
    return tuple(name for name in MODULE_NAMES if name in modules)


def run_config(run: Any) -> Dict[str, Any]:
    """The user's config without wandb's `_wandb` bookkeeping; local reads only (no RPC)."""
    try:
        config = run.config
        raw = config.as_dict() if hasattr(config, "as_dict") else dict(config)
        return {k: v for k, v in raw.items() if k != "_wandb"}
    except Exception:
        return {}


def _config_size(run: Any) -> int:
    try:
        return len(run.config.keys())
    except Exception:
        return -1


def _state(
    modules: Tuple[str, ...], config_size: int, ready: Dict[str, bool], configured: Dict[str, str]
) -> Tuple[Any, ...]:
    return (modules, config_size, tuple(sorted(k for k, v in ready.items() if v)), tuple(sorted(configured.items())))


def current_state(run: Any) -> Tuple[Any, ...]:
    """What a new snapshot would compare equal on: the framework modules, how many config keys the
    run has (HF's WandbCallback and Lightning's WandbLogger write theirs right after wandb.init), and
    what the frameworks show in use. Cheap: no copies of the config, no imports."""
    return _state(imported_modules(), _config_size(run), in_use.initialized(), in_use.configured())


def take_snapshot(run: Any, info: RunInfo, config: Optional[Dict[str, Any]] = None) -> Snapshot:
    environment = collect_environment()
    config = run_config(run) if config is None else config
    modules = imported_modules()
    ready = in_use.initialized()
    configured = in_use.configured()
    try:
        tags = tuple(str(t) for t in (getattr(run, "tags", None) or ()))
    except Exception:
        tags = ()
    started_at = getattr(run, "_start_time", None)
    if type(started_at) is not float:
        started_at = time.time()
    return Snapshot(
        info,
        tags,
        config,
        environment,
        modules,
        hints.compute(environment, config, modules, info.project),
        started_at,
        ready,
        configured,
        _state(modules, _config_size(run), ready, configured),
    )


def _pytorch(modules: Tuple[str, ...]) -> Dict[str, Any]:
    torch = sys.modules.get("torch")
    if torch is None:
        return {"available": False}
    info: Dict[str, Any] = {"available": True, "version": str(getattr(torch, "__version__", ""))}
    try:
        version = getattr(torch, "version", None)
        info["cuda_version"] = getattr(version, "cuda", None)
        info["hip_version"] = getattr(version, "hip", None)
        cuda = getattr(torch, "cuda", None)
        # is_available() only asks the driver; it never initialises a CUDA context.
        info["cuda_available"] = bool(cuda.is_available()) if cuda is not None else False
    except Exception:
        pass
    info["detected_modules"] = {
        "deepspeed": "deepspeed" in modules,
        "megatron": any(m.startswith("megatron") for m in modules),
        "transformers": "transformers" in modules,
        "lightning": "lightning" in modules or "pytorch_lightning" in modules,
    }
    return info


def _legacy_frameworks(snap: Snapshot, versions: Dict[str, str]) -> Tuple[Dict[str, Any], Dict[str, Any]]:
    wrappers: Dict[str, Any] = {}
    bases: Dict[str, Any] = {}
    for module, name, layer in hints.MODULE_FRAMEWORKS:
        if module not in snap.modules:
            continue
        target = wrappers if layer == "wrapper" else bases
        target.setdefault(name, {"detected": True, "version": versions.get(name.replace("_trainer", ""), "unknown")})
    primus = wrappers.get("primus")
    if primus is not None:
        # The v0.2 shape's own fields, read as the original did but from the loaded modules only.
        if "primus" in snap.initialized:
            primus["initialized"] = snap.initialized["primus"]
        backend = next((k for k, v in snap.configured.items() if v.startswith("primus ")), None)
        if backend:
            primus["base_framework"] = backend
    return wrappers, bases


def build_body(snap: Snapshot, report_seq: int, reason: str) -> Dict[str, Any]:
    """The full /wandb/detection body (wire-format.md); runs on the worker thread."""
    ident = current_identity()
    packages = software.package_versions()
    wrappers, bases = _legacy_frameworks(snap, packages)
    evidence: Dict[str, Any] = {
        "wandb": {
            "project": snap.run.project,
            "name": snap.run.name,
            "id": snap.run.id,
            "config": snap.config,
            "tags": list(snap.tags),
            "started_at": snap.started_at,
        },
        "environment": snap.environment,
        "pytorch": _pytorch(snap.modules),
        "wrapper_frameworks": wrappers,
        "base_frameworks": bases,
        "modules": {
            "imported": list(snap.modules),
            "initialized": dict(snap.initialized),
            "configured": dict(snap.configured),
        },
        "system": {
            "python_version": sys.version,
            "python_executable": sys.executable,
            "platform": sys.platform,
            "machine": platform.machine(),
        },
        "hardware": hardware.collect(),
        "software": {"packages": packages, "rocm_version": hardware.rocm_version()},
    }
    build = software.build_info()
    if build:
        evidence["build"] = build
    body: Dict[str, Any] = {"source": "wandb", "type": "framework_detection_raw", "version": "1.0"}
    body.update(wire_fields(ident, __version__))  # "source" keeps its place, first
    body.update(
        {
            "run_id": snap.run.id,
            "run": {"id": snap.run.id, "project": snap.run.project, "name": snap.run.name},
            "report_seq": report_seq,
            "reason": reason,
            "timestamp": time.time(),
            "evidence": evidence,
            "hints": snap.hints,
        }
    )
    return body
