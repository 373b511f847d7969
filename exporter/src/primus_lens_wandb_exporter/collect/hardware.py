"""GPU evidence, gathered on the worker thread.

Prefer torch when it is already imported *and* has initialised CUDA/ROCm (asking then costs
nothing and initialises nothing). Otherwise ask the vendor tools with a short timeout: the
original exporter ran `rocm-smi`/`nvidia-smi`/`rocminfo` with 10 s timeouts each inside `wandb.init`.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from typing import Any, Dict, List, Optional, Tuple

PROBE_TIMEOUT_S = 3.0

# Longest names first, so MI300X is not reported as MI300 (the original exporter's table-order bug).
_ARCH_TABLE: Tuple[Tuple[str, str], ...] = (
    ("MI355X", "mi355x"),
    ("MI350X", "mi350x"),
    ("MI350", "mi350"),
    ("MI325X", "mi325x"),
    ("MI325", "mi325"),
    ("MI300X", "mi300x"),
    ("MI300A", "mi300a"),
    ("MI300", "mi300"),
    ("MI250X", "mi250x"),
    ("MI250", "mi250"),
    ("MI210", "mi210"),
    ("MI100", "mi100"),
    ("MI60", "mi60"),
    ("MI50", "mi50"),
    ("GB200", "gb200"),
    ("B200", "b200"),
    ("H200", "h200"),
    ("H100", "h100"),
    ("A100", "a100"),
    ("L40S", "l40s"),
    ("V100", "v100"),
    ("RTX 4090", "rtx4090"),
    ("RTX 3090", "rtx3090"),
)


def arch_from_name(name: str) -> Optional[str]:
    upper = name.upper()
    for needle, arch in _ARCH_TABLE:
        if needle in upper:
            return arch
    return None


def _run(cmd: List[str]) -> Optional[str]:
    if shutil.which(cmd[0]) is None:
        return None
    try:
        done = subprocess.run(
            cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, timeout=PROBE_TIMEOUT_S, check=False, text=True
        )
        return done.stdout if done.returncode == 0 else None
    except Exception:
        return None


def _from_torch() -> Optional[Dict[str, Any]]:
    torch = sys.modules.get("torch")
    cuda = getattr(torch, "cuda", None)
    try:
        if cuda is None or not cuda.is_initialized():
            return None
        count = int(cuda.device_count())
        if count == 0:
            return None
        name = str(cuda.get_device_name(0))
        memory = cuda.get_device_properties(0).total_memory
        hip = getattr(getattr(torch, "version", None), "hip", None)
        return {
            "gpu_name": name,
            "gpu_count": count,
            "gpu_memory_gb": round(memory / 1024**3, 1),
            "gpu_vendor": "amd" if hip else "nvidia",
            "source": "torch",
        }
    except Exception:
        return None


def _from_nvidia_smi() -> Optional[Dict[str, Any]]:
    out = _run(["nvidia-smi", "--query-gpu=name,memory.total", "--format=csv,noheader,nounits"])
    rows = [line.split(",") for line in (out or "").splitlines() if line.strip()]
    if not rows:
        return None
    try:
        memory = round(float(rows[0][1]) / 1024, 1)
    except (IndexError, ValueError):
        memory = None
    return {
        "gpu_name": rows[0][0].strip(),
        "gpu_count": len(rows),
        "gpu_memory_gb": memory,
        "gpu_vendor": "nvidia",
        "source": "nvidia-smi",
    }


def _from_rocm_smi() -> Optional[Dict[str, Any]]:
    out = _run(["rocm-smi", "--showproductname", "--showmeminfo", "vram", "--json"])
    try:
        cards = {k: v for k, v in json.loads(out or "{}").items() if k.lower().startswith("card")}
    except ValueError:
        return None
    if not cards:
        return None
    first = cards[sorted(cards)[0]]
    name = str(first.get("Card Series") or first.get("Card series") or first.get("Card model") or "")
    memory = None
    for key, value in first.items():
        if "total memory" in key.lower():
            try:
                memory = round(int(value) / 1024**3, 1)
            except ValueError:
                pass
    return {
        "gpu_name": name,
        "gpu_count": len(cards),
        "gpu_memory_gb": memory,
        "gpu_vendor": "amd",
        "source": "rocm-smi",
    }


def _from_amd_smi() -> Optional[Dict[str, Any]]:
    out = _run(["amd-smi", "static", "--asic", "--json"])
    try:
        data = json.loads(out or "[]")
    except ValueError:
        return None
    gpus = data if isinstance(data, list) else data.get("gpu_data", []) if isinstance(data, dict) else []
    if not gpus:
        return None
    asic = gpus[0].get("asic", {}) if isinstance(gpus[0], dict) else {}
    return {
        "gpu_name": str(asic.get("market_name", "")),
        "gpu_count": len(gpus),
        "gpu_memory_gb": None,
        "gpu_vendor": "amd",
        "source": "amd-smi",
    }


def rocm_version() -> Optional[str]:
    """ "6.2"-style, the same format everywhere (the original exporter mixed "rocm6.2" and "6.2")."""
    raw = os.environ.get("ROCM_VERSION", "")
    torch = sys.modules.get("torch")
    if not raw and torch is not None:
        raw = str(getattr(getattr(torch, "version", None), "hip", "") or "")
    if not raw:
        for path in ("/opt/rocm/.info/version", "/opt/rocm/version.txt"):
            try:
                with open(path) as handle:
                    raw = handle.read().strip()
                break
            except OSError:
                continue
    parts = raw.split("-")[0].split(".")
    return ".".join(parts[:2]) if raw and parts[0].isdigit() else None


def collect() -> Dict[str, Any]:
    found = _from_torch() or _from_nvidia_smi() or _from_amd_smi() or _from_rocm_smi()
    hw: Dict[str, Any] = {"gpu_name": None, "gpu_count": 0, "gpu_memory_gb": None, "gpu_vendor": None, "source": "env"}
    if found:
        hw.update(found)
    env_arch = os.environ.get("GPU_ARCH") or os.environ.get("AMD_GPU_ARCH") or os.environ.get("NVIDIA_GPU_ARCH")
    hw["gpu_arch"] = env_arch.lower() if env_arch else arch_from_name(hw["gpu_name"] or "")
    hw["rocm_version"] = rocm_version()
    torch = sys.modules.get("torch")
    cuda = os.environ.get("CUDA_VERSION") or (getattr(getattr(torch, "version", None), "cuda", None) if torch else None)
    hw["cuda_version"] = str(cuda) if cuda else None
    return hw
