"""Framework hints: the quickstart's example, and that weak signals stay weak."""

from __future__ import annotations

from primus_lens_wandb_exporter.collect import hints


def test_quickstart_example_is_primus_with_high_confidence() -> None:
    env = {"PRIMUS_CONFIG": "/config/primus.yaml", "PRIMUS_VERSION": "1.2.3"}
    h = hints.compute(env, {"framework": "primus"}, ("torch",), "my-project")
    assert h["possible_frameworks"] == ["primus"]
    assert h["confidence"] == "high"
    assert h["primary_indicators"] == ["PRIMUS env vars", "wandb_config.framework"]
    assert h["wrapper_frameworks"] == ["primus"] and h["base_frameworks"] == []


def test_primus_with_backend_names_the_base_and_stays_ordered() -> None:
    h = hints.compute({"EXP": "exp.yaml", "BACKEND": "torchtitan"}, {}, ("primus", "torchtitan"), "p")
    assert h["wrapper_frameworks"] == ["primus"]
    assert h["base_frameworks"] == ["torchtitan"]
    assert h["possible_frameworks"] == ["primus", "torchtitan"]
    assert h["confidence"] == "high"


def test_transformers_imported_alone_is_low_confidence() -> None:
    h = hints.compute({}, {}, ("transformers",), "proj")
    assert h["base_frameworks"] == ["transformers"] and h["confidence"] == "low"


def test_single_framework_variable_is_medium_and_project_name_is_weak() -> None:
    assert hints.compute({"FRAMEWORK": "DeepSpeed"}, {}, (), "x")["confidence"] == "medium"
    h = hints.compute({}, {}, (), "megatron-pretrain")
    assert h["possible_frameworks"] == ["megatron"] and h["confidence"] == "low"


def test_accelerate_launcher_flags_only_count_when_true() -> None:
    assert hints.compute({"ACCELERATE_USE_DEEPSPEED": "false"}, {}, (), "x")["possible_frameworks"] == []
    h = hints.compute({"ACCELERATE_USE_DEEPSPEED": "true"}, {}, ("accelerate", "deepspeed"), "x")
    assert h["base_frameworks"] == ["deepspeed"] and "accelerate" in h["wrapper_frameworks"]
    assert h["confidence"] == "high"


def test_empty_environment_gives_nothing_low() -> None:
    h = hints.compute({}, {}, (), "")
    assert h["possible_frameworks"] == [] and h["confidence"] == "low"


def test_modules_other_frameworks_load_for_their_plumbing_are_not_named_beside_them() -> None:
    lightning_job = ("torch", "torch.distributed.fsdp", "transformers", "lightning")
    assert hints.compute({}, {}, lightning_job, "p")["possible_frameworks"] == ["lightning"]
    hf_trainer = ("torch", "torch.distributed.fsdp", "transformers", "transformers.trainer", "accelerate")
    assert hints.compute({}, {}, hf_trainer, "p")["possible_frameworks"] == ["accelerate", "transformers_trainer"]
    assert hints.compute({}, {}, ("torch", "torch.distributed.fsdp"), "p")["possible_frameworks"] == ["fsdp"]
