"""Detection evidence: what the training thread copies, and the body the worker builds."""

from __future__ import annotations

import sys
import types

import pytest

from primus_lens_wandb_exporter.collect import evidence, hardware
from primus_lens_wandb_exporter.model import RunInfo


@pytest.mark.parametrize(
    "name,arch",
    [
        ("AMD Instinct MI300X", "mi300x"),
        ("AMD Instinct MI300A", "mi300a"),
        ("MI250X", "mi250x"),
        ("AMD Instinct MI355X", "mi355x"),
        ("NVIDIA H100 80GB HBM3", "h100"),
        ("NVIDIA GeForce RTX 4090", "rtx4090"),
        ("Something else", None),
    ],
)
def test_gpu_arch_prefers_the_longest_name(name: str, arch: object) -> None:
    assert hardware.arch_from_name(name) == arch


def test_environment_takes_listed_and_launcher_variables_but_not_our_own() -> None:
    env = {
        "PRIMUS_CONFIG": "c",
        "ACCELERATE_USE_FSDP": "true",
        "TORCHELASTIC_RUN_ID": "r",
        "EXP": "e.yaml",
        "BACKEND": "megatron",
        "PRIMUS_LENS_API_BASE_URL": "http://x",
        "HOME": "/root",
    }
    assert evidence.collect_environment(env) == {
        "PRIMUS_CONFIG": "c",
        "EXP": "e.yaml",
        "BACKEND": "megatron",
        "TORCHELASTIC_RUN_ID": "r",
        "ACCELERATE_USE_FSDP": "true",
    }


def test_module_snapshot_sees_only_imported_frameworks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "megatron.core", types.ModuleType("megatron.core"))
    assert "megatron.core" in evidence.imported_modules()
    assert "deepspeed" not in evidence.imported_modules() or "deepspeed" in sys.modules


def test_body_has_identity_run_and_evidence_and_never_imports_a_framework(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WORKLOAD_UID", "w-9")
    monkeypatch.setenv("RANK", "2")
    from primus_lens_wandb_exporter.collect import identity

    identity._cache["pid"] = -1
    before = set(sys.modules)

    class Run:
        config = {"lr": 0.1, "_wandb": {"x": 1}}
        tags = ("a",)

    snap = evidence.take_snapshot(Run(), RunInfo("r1", "proj", "name"))
    body = evidence.build_body(snap, 3, "finish")
    identity._cache["pid"] = -1
    assert body["workload_uid"] == "w-9" and body["rank"] == 2 and body["run_id"] == "r1"
    assert body["run"] == {"id": "r1", "project": "proj", "name": "name"}
    assert (body["report_seq"], body["reason"], body["type"], body["source"]) == (
        3,
        "finish",
        "framework_detection_raw",
        "wandb",
    )
    assert body["evidence"]["wandb"]["config"] == {"lr": 0.1} and body["evidence"]["wandb"]["tags"] == ["a"]
    assert "numpy" in body["evidence"]["software"]["packages"]
    assert body["evidence"]["hardware"]["source"] in ("torch", "nvidia-smi", "amd-smi", "rocm-smi", "env")
    for framework in ("jax", "deepspeed", "megatron", "transformers", "lightning"):
        assert framework in before or framework not in set(sys.modules) - before
