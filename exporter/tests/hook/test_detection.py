"""Framework detection for a run: the report at wandb.init (the quickstart's lines), and the
updates when a framework is imported, or CUDA comes up, after it."""

from __future__ import annotations

import pytest

from .patched_fake import fake_wandb


def test_init_prints_the_quickstart_lines_and_queues_detection(
    capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PRIMUS_CONFIG", "/config/primus.yaml")
    monkeypatch.setenv("PRIMUS_VERSION", "1.2.3")
    monkeypatch.setenv("WORKLOAD_UID", "w-1")
    with fake_wandb("new") as (wandb, reporter, _):
        wandb.init(project="my-project", config={"framework": "primus"}, name="my-run")
        err = capsys.readouterr().err
        assert "[Primus Lens WandB] WandB run initialized: my-run\n" in err
        assert (
            "[Primus Lens WandB] Framework detection data queued for reporting\n"
            "  Detected frameworks: ['primus']\n  Confidence: high\n" in err
        )
        body = reporter.detections[0]()
        assert body["workload_uid"] == "w-1" and body["report_seq"] == 0 and body["reason"] == "init"
        assert body["evidence"]["wandb"]["config"] == {"framework": "primus"}  # no _wandb key
        assert body["evidence"]["environment"]["PRIMUS_CONFIG"] == "/config/primus.yaml"
        assert body["hints"]["possible_frameworks"] == ["primus"]


def test_detection_update_when_a_framework_is_imported_after_init(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys
    import types

    with fake_wandb("new") as (wandb, reporter, _):
        run = wandb.init(project="p")
        run.log({"a": 1})
        assert len(reporter.detections) == 1
        monkeypatch.setitem(sys.modules, "deepspeed", types.ModuleType("deepspeed"))
        run.log({"a": 2})
        assert len(reporter.detections) == 2
        body = reporter.detections[1]()
        assert body["report_seq"] == 1 and body["reason"] == "log"
        assert "deepspeed" in body["hints"]["base_frameworks"]
        run.log({"a": 3})
        run.finish()
        assert len(reporter.detections) == 2  # nothing changed since


def test_hardware_update_when_cuda_comes_up_after_init(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys
    import types

    state = {"up": False}
    torch = types.ModuleType("torch")
    torch.cuda = types.SimpleNamespace(is_initialized=lambda: state["up"])  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "torch", torch)
    with fake_wandb("new") as (wandb, reporter, _):
        run = wandb.init(project="p")
        run.log({"a": 1})
        assert len(reporter.detections) == 1
        state["up"] = True
        run.log({"a": 2})
        run.log({"a": 3})
        assert len(reporter.detections) == 2
        body = reporter.detections[1]()
        assert body["reason"] == "hardware" and body["report_seq"] == 1
