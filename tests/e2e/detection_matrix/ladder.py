"""The public original's detector, re-implemented as a test helper to compare against.

The original server answered a /wandb/detection report with the first rule that matched, in
this order, at a fixed confidence per rule:

  0 import_detection 0.90  v0.2 `wrapper_frameworks`/`base_frameworks` entries with detected=true
                           (its exporter filled them by importing every candidate, so: installed):
                           primus first (base = its base_framework), else the first wrapper in Go
                           map order (lightning / transformers_trainer, random); base by priority
                           megatron > deepspeed > jax > transformers, else any; the wrapper wins
  1 env_vars 0.80          PRIMUS_CONFIG/PRIMUS_VERSION/PRIMUS_BACKEND → primus (base PRIMUS_BACKEND),
                           else DEEPSPEED_CONFIG/DS_CONFIG/DEEPSPEED_VERSION → deepspeed,
                           else MEGATRON_CONFIG/MEGATRON_LM_PATH → megatron, else JAX_BACKEND/JAX_PLATFORMS → jax
  1b env_framework 0.75    FRAMEWORK
  2 wandb_config_* 0.70/0.65  config.framework, base_framework, trainer (deepspeed|megatron), a
                           primus_config/deepspeed_config/megatron_config key
  3 pytorch_modules 0.60   when pytorch.available: lightning → deepspeed → megatron → transformers (0.55)
  4 wandb_project_name 0.50  substrings of the project, wrappers (primus, lightning) before bases
  – unknown

`answer()` gives the original's framework, wrapper and base for a report. `v02_lists()` builds
what the original v0.2 exporter would have put in its lists for a job: every probed package that
is installed in the image was "detected", because it imported each one to see.
"""
from __future__ import annotations

from typing import Any, Dict, Iterable, List, Mapping, Optional, Tuple

Answer = Tuple[str, Optional[str], Optional[str], str]  # framework, wrapper, base, rule

_WRAPPER_NAMES = {"primus", "lightning", "pytorch_lightning", "transformers_trainer"}
_BASE_PRIORITY = ("megatron", "deepspeed", "jax", "transformers")
# The original's names → ours, so both answers can be compared.
_OURS = {"transformers_trainer": "transformers", "pytorch_lightning": "lightning", "megatron_lm": "megatron"}
# What the v0.2 collector probed, by distribution installed → its entry name and layer.
_V02_PROBES = (("primus", "primus", "wrapper"), ("lightning", "lightning", "wrapper"),
               ("pytorch-lightning", "lightning", "wrapper"), ("transformers", "transformers_trainer", "wrapper"),
               ("megatron-core", "megatron", "base"), ("deepspeed", "deepspeed", "base"), ("jax", "jax", "base"),
               ("transformers", "transformers", "base"))


def ours(name: Optional[str]) -> Optional[str]:
    if name is None:
        return None
    key = name.strip().lower()
    return _OURS.get(key, key)


def v02_lists(installed: Iterable[str], evidence: Mapping[str, Any]) -> Tuple[Dict[str, Any], Dict[str, Any]]:
    """The v0.2 exporter's lists for an image with these distributions installed. Its
    `initialized` flags and Primus's backend came from the same framework state our exporter reads,
    so they are taken from our report's `modules` section."""
    have = set(installed)
    modules = evidence.get("modules") or {}
    ready = modules.get("initialized") or {}
    configured = modules.get("configured") or {}
    wrappers: Dict[str, Any] = {}
    bases: Dict[str, Any] = {}
    for dist, name, layer in _V02_PROBES:
        if dist not in have:
            continue
        entry: Dict[str, Any] = {"detected": True}
        if name == "primus":
            entry["initialized"] = bool(ready.get("primus"))
            backend = next((k for k, v in configured.items() if str(v).startswith("primus ")), None)
            if backend:
                entry["base_framework"] = backend
        elif name == "megatron":
            entry["initialized"] = bool(ready.get("megatron.training"))
        elif name == "deepspeed":
            entry["initialized"] = bool(ready.get("deepspeed"))
        (wrappers if layer == "wrapper" else bases)[name] = entry
    return wrappers, bases


def _layered(name: str, rule: str) -> Answer:
    fw = ours(name) or name
    return (fw, fw, None, rule) if name in _WRAPPER_NAMES else (fw, None, fw, rule)


def answer(evidence: Mapping[str, Any], wrappers: Mapping[str, Any], bases: Mapping[str, Any]) -> Answer:
    env: Mapping[str, Any] = evidence.get("environment") or {}
    wandb: Mapping[str, Any] = evidence.get("wandb") or {}
    config: Mapping[str, Any] = wandb.get("config") or {}
    detected_w = [n for n, e in wrappers.items() if isinstance(e, dict) and e.get("detected") is True]
    detected_b = [n for n, e in bases.items() if isinstance(e, dict) and e.get("detected") is True]

    # 0: import detection
    if detected_w or detected_b:
        wrapper: Optional[str] = None
        base: Optional[str] = None
        if "primus" in detected_w:
            wrapper = "primus"
            base = ours(wrappers["primus"].get("base_framework"))
        elif detected_w:
            # Go map order: random among the detected wrappers; shown as "a or b" when there is a choice
            wrapper = " or ".join(sorted(detected_w))
        if base is None:
            base = next((b for b in _BASE_PRIORITY if b in detected_b), detected_b[0] if detected_b else None)
        if wrapper is not None:
            names = " or ".join(ours(w) or w for w in wrapper.split(" or "))
            return names, names, ours(base), "import_detection 0.90"
        return ours(base) or "unknown", None, ours(base), "import_detection 0.90"

    # 1: env vars (presence)
    if any(k in env for k in ("PRIMUS_CONFIG", "PRIMUS_VERSION", "PRIMUS_BACKEND")):
        backend = env.get("PRIMUS_BACKEND")
        return "primus", "primus", ours(str(backend)) if backend else None, "env_vars 0.80"
    for keys, fw in ((("DEEPSPEED_CONFIG", "DS_CONFIG", "DEEPSPEED_VERSION"), "deepspeed"),
                     (("MEGATRON_CONFIG", "MEGATRON_LM_PATH"), "megatron"), (("JAX_BACKEND", "JAX_PLATFORMS"), "jax")):
        if any(k in env for k in keys):
            return fw, None, fw, "env_vars 0.80"
    if str(env.get("FRAMEWORK", "")).strip():
        return _layered(str(env["FRAMEWORK"]).strip().lower(), "env_framework 0.75")

    # 2: wandb config
    if isinstance(config.get("framework"), str) and config["framework"].strip():
        return _layered(config["framework"].strip().lower(), "wandb_config_framework 0.70")
    if isinstance(config.get("base_framework"), str) and config["base_framework"].strip():
        fw = ours(config["base_framework"]) or ""
        return fw, None, fw, "wandb_config_base_framework 0.70"
    trainer = str(config.get("trainer", "")).lower()
    for fw in ("deepspeed", "megatron"):
        if fw in trainer:
            return fw, None, fw, "wandb_config_trainer 0.65"
    for key, fw in (("primus_config", "primus"), ("deepspeed_config", "deepspeed"), ("megatron_config", "megatron")):
        if key in config:
            return _layered(fw, "wandb_config_key 0.65")

    # 3: sys.modules flags, only when torch was importable
    pytorch: Mapping[str, Any] = evidence.get("pytorch") or {}
    flags: Mapping[str, Any] = pytorch.get("detected_modules") or {}
    if pytorch.get("available") is True:
        if flags.get("lightning") is True:
            return "lightning", "lightning", None, "pytorch_modules 0.60"
        for fw in ("deepspeed", "megatron"):
            if flags.get(fw) is True:
                return fw, None, fw, "pytorch_modules 0.60"
        if flags.get("transformers") is True:
            return "transformers", None, "transformers", "pytorch_modules 0.55"

    # 4: project name
    project = str(wandb.get("project", "")).lower()
    words: List[Tuple[str, Tuple[str, ...]]] = [
        ("primus", ("primus", "primus-training", "primus-exp")), ("lightning", ("lightning", "pl-training", "pytorch-lightning")),
        ("deepspeed", ("deepspeed", "ds-training", "deepspeed-exp")), ("megatron", ("megatron", "megatron-lm", "megatron-training")),
        ("jax", ("jax", "jax-training")), ("transformers", ("transformers", "hf-transformers")),
    ]
    for fw, needles in words:
        if any(n in project for n in needles):
            return _layered(fw, "wandb_project_name 0.50")
    return "unknown", None, None, "no match"


def describe(a: Answer) -> str:
    framework, wrapper, base, rule = a
    if wrapper and base and wrapper != base:
        stack = "%s / %s" % (wrapper, base)
    else:
        stack = wrapper or base or framework
    return "%s (%s)" % (stack, rule)
