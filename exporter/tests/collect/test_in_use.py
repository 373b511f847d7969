"""What loaded frameworks show in use, read from their own module objects (collect/in_use.py).

Table-first: each row is a set of module objects shaped like the framework's own (the attribute
the reader looks at, as the framework's source defines it) and what must be read from them.
"""

from __future__ import annotations

import gc
import sys
import types
import weakref
from typing import Any, Dict, Mapping

import pytest

from primus_lens_wandb_exporter.collect import evidence, in_use


def module(name: str, **attrs: Any) -> types.ModuleType:
    m = types.ModuleType(name)
    for key, value in attrs.items():
        setattr(m, key, value)
    return m


class _Enum:
    """Accelerate's DistributedType is a str Enum: its `.value` is the name."""

    def __init__(self, value: str) -> None:
        self.value = value


def accelerate_state(shared: Dict[str, Any]) -> types.ModuleType:
    return module("accelerate.state", PartialState=type("PartialState", (), {"_shared_state": shared}))


class FSDPState:  # the class name fully_shard's state has in torch
    pass


class Linear:  # stands for an nn.Module (weak-referenceable, hashable)
    pass


def composable(*states: Any) -> types.ModuleType:
    mapping: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()
    keep = []
    for state in states:
        key = Linear()
        keep.append(key)
        mapping[key] = weakref.ref(state)
    return module("torch.distributed._composable_state", _module_state_mapping=mapping, _keep=keep)


class PrimusConfig:
    def __init__(self, framework: Any) -> None:
        self.framework = framework

    def get_module_config(self, name: str) -> Any:
        if name != "pre_trainer":
            raise ValueError(name)
        return types.SimpleNamespace(framework=self.framework)


def raises() -> bool:
    raise RuntimeError("internals changed")


class ReplicateState:  # another composable API's state (torch's `replicate`)
    pass


STATE = FSDPState()
OTHER_STATE = ReplicateState()
CASES = [
    ("nothing loaded", {}, {}, {}),
    (
        "torch.distributed up",
        {"torch.distributed": module("torch.distributed", is_initialized=lambda: True)},
        {"torch.distributed": True},
        {},
    ),
    (
        "megatron parallel state and args",
        {
            "megatron.core.parallel_state": module("p", model_parallel_is_initialized=lambda: True),
            "megatron.training.global_vars": module(
                "g", _GLOBAL_ARGS=types.SimpleNamespace(tensor_model_parallel_size=1)
            ),
        },
        {"megatron": True, "megatron.training": True},
        {},
    ),
    (
        "megatron loaded, nothing set up",
        {
            "megatron.core.parallel_state": module("p", model_parallel_is_initialized=lambda: False),
            "megatron.training.global_vars": module("g", _GLOBAL_ARGS=None),
        },
        {"megatron": False, "megatron.training": False},
        {},
    ),
    ("deepspeed comm", {"deepspeed.comm": module("c", is_initialized=lambda: True)}, {"deepspeed": True}, {}),
    (
        "primus initialised on megatron",
        {
            "primus.core.utils.global_vars": module(
                "gv", is_initialized=lambda: True, _GLOBAL_PRIMUS_CFG=PrimusConfig("Megatron")
            )
        },
        {"primus": True},
        {"megatron": "primus pre_trainer.framework=megatron"},
    ),
    (
        "primus config without a pre_trainer framework",
        {
            "primus.core.utils.global_vars": module(
                "gv", is_initialized=lambda: False, _GLOBAL_PRIMUS_CFG=PrimusConfig(None)
            )
        },
        {"primus": False},
        {},
    ),
    (
        "accelerate state, no distributed base",
        {"accelerate.state": accelerate_state({"distributed_type": _Enum("NO")})},
        {"accelerate": True},
        {},
    ),
    (
        "accelerate on deepspeed",
        {"accelerate.state": accelerate_state({"distributed_type": _Enum("DEEPSPEED")})},
        {"accelerate": True},
        {"deepspeed": "accelerate distributed_type=DEEPSPEED"},
    ),
    (
        "accelerate on fsdp",
        {"accelerate.state": accelerate_state({"distributed_type": _Enum("FSDP")})},
        {"accelerate": True},
        {"fsdp": "accelerate distributed_type=FSDP"},
    ),
    (
        "accelerate on megatron",
        {"accelerate.state": accelerate_state({"distributed_type": _Enum("MEGATRON_LM")})},
        {"accelerate": True},
        {"megatron": "accelerate distributed_type=MEGATRON_LM"},
    ),
    ("accelerate imported, no state yet", {"accelerate.state": accelerate_state({})}, {"accelerate": False}, {}),
    (
        "fully_shard applied",
        {"torch.distributed._composable_state": composable(STATE)},
        {},
        {"fsdp": "fully_shard (FSDP2) state on the model"},
    ),
    ("composable state of another kind", {"torch.distributed._composable_state": composable(OTHER_STATE)}, {}, {}),
    (
        "readers that raise say nothing",
        {
            "torch.distributed": module("d", is_initialized=raises),
            "deepspeed.comm": module("c"),
            "accelerate.state": module("a"),
            "torch.distributed._composable_state": module("s"),
            "primus.core.utils.global_vars": module("gv", is_initialized=raises, _GLOBAL_PRIMUS_CFG=object()),
        },
        {},
        {},
    ),
]


@pytest.mark.parametrize("name,modules,ready,configured", CASES, ids=[c[0] for c in CASES])
def test_in_use_table(
    name: str, modules: Mapping[str, Any], ready: Dict[str, bool], configured: Dict[str, str]
) -> None:
    assert in_use.initialized(modules) == ready
    assert in_use.configured(modules) == configured


def test_reading_imports_nothing() -> None:
    before = set(sys.modules)
    in_use.initialized()
    in_use.configured()
    assert set(sys.modules) == before


def test_a_dead_fsdp_state_is_skipped() -> None:
    state = FSDPState()
    mod = composable(state)
    del state
    gc.collect()
    assert in_use.configured({"torch.distributed._composable_state": mod}) == {}


def test_snapshot_carries_the_in_use_evidence_and_its_state_changes_with_it(monkeypatch: pytest.MonkeyPatch) -> None:
    from primus_lens_wandb_exporter.model import RunInfo

    class Config(dict):  # wandb's Config has keys() like a dict
        pass

    class Run:
        config = Config(lr=0.1)
        tags = ()

    run = Run()
    flag = {"on": False}
    monkeypatch.setitem(sys.modules, "deepspeed.comm", module("deepspeed.comm", is_initialized=lambda: flag["on"]))
    snap = evidence.take_snapshot(run, RunInfo("r", "p", "n"))
    assert snap.initialized.get("deepspeed") is False
    assert evidence.current_state(run) == snap.state
    flag["on"] = True
    assert evidence.current_state(run) != snap.state, "deepspeed came up after wandb.init"
    snap = evidence.take_snapshot(run, RunInfo("r", "p", "n"))
    assert snap.initialized["deepspeed"] is True and evidence.current_state(run) == snap.state
    run.config["per_device_train_batch_size"] = 2  # HF's WandbCallback updates the config after init
    assert evidence.current_state(run) != snap.state


def test_primus_entry_gets_its_v02_fields(monkeypatch: pytest.MonkeyPatch) -> None:
    from primus_lens_wandb_exporter.model import RunInfo

    monkeypatch.setitem(sys.modules, "primus", module("primus"))
    monkeypatch.setitem(
        sys.modules,
        "primus.core.utils.global_vars",
        module("gv", is_initialized=lambda: True, _GLOBAL_PRIMUS_CFG=PrimusConfig("torchtitan")),
    )

    class Run:
        config: Dict[str, Any] = {}
        tags = ()

    snap = evidence.take_snapshot(Run(), RunInfo("r", "p", "n"))
    wrappers, _ = evidence._legacy_frameworks(snap, {})
    assert wrappers["primus"]["initialized"] is True and wrappers["primus"]["base_framework"] == "torchtitan"
