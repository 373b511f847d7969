"""The tracker's run bookkeeping, through the patched fake wandb: failures stay inside, exit
closes what is open, unselected ranks stay silent, and what debug and quiet modes print."""

from __future__ import annotations

from typing import Any

import pytest

from .patched_fake import SHAPES, fake_wandb, stored


@pytest.mark.parametrize("shape", SHAPES)
def test_reporter_failure_never_reaches_user_code(shape: str) -> None:
    with fake_wandb(shape) as (wandb, reporter, tracker):

        def explode(row: Any) -> None:
            raise RuntimeError("reporter broke")

        reporter.submit_row = explode  # type: ignore[assignment]
        run = wandb.init(project="p")
        for i in range(5):
            run.log({"a": i})
        run.finish()
        assert tracker.internal_errors == 5
        assert stored(run) == [(i, {"a": i}) for i in range(5)]


def test_exit_cleanup_emits_pending_rows_and_finishes_open_runs(capsys: pytest.CaptureFixture) -> None:
    with fake_wandb("new") as (wandb, reporter, tracker):
        run = wandb.init(project="p")
        run.log({"a": 1}, step=4)
        tracker.before_shutdown()
        assert reporter.table() == [(4, {"a": 1})]
        assert [(info.id, code) for info, code in reporter.finished] == [(run.id, None)]
        assert "[Primus Lens WandB] Cleaning up..." in capsys.readouterr().err


def test_rank_filter_skips_unselected_ranks(monkeypatch: pytest.MonkeyPatch) -> None:
    from primus_lens_wandb_exporter.collect import identity

    monkeypatch.setenv("RANK", "3")
    identity._cache["pid"] = -1
    try:
        with fake_wandb("new", env={"PRIMUS_LENS_WANDB_RANKS": "0,8"}) as (wandb, reporter, _):
            run = wandb.init(project="p")
            run.log({"a": 1})
            assert reporter.rows == [] and reporter.detections == []
    finally:
        identity._cache["pid"] = -1


def test_debug_mode_prints_rows_and_each_skipped_key_once(capsys: pytest.CaptureFixture) -> None:
    from primus_lens_wandb_exporter import output

    output.configure(debug=True, quiet=False)
    try:
        with fake_wandb("new") as (wandb, _reporter, _):
            run = wandb.init(project="p")
            for _i in range(3):
                run.log({"loss": 1.0, "caption_dbg": "text"})
        err = capsys.readouterr().err
        assert err.count("Skipping non-numeric metric: caption_dbg (type: str)") == 1
        assert err.count("row(s) up to step") == 3
    finally:
        output.configure(debug=False, quiet=False)


def test_quiet_mode_prints_nothing_on_the_happy_path(
    capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    from primus_lens_wandb_exporter import output

    monkeypatch.setenv("WORKLOAD_UID", "w")
    output.configure(debug=False, quiet=True)
    try:
        with fake_wandb("new") as (wandb, reporter, tracker):
            run = wandb.init(project="p")
            run.log({"a": 1})
            run.finish()
            tracker.before_shutdown()
        assert capsys.readouterr().err == "" and len(reporter.rows) == 1
    finally:
        output.configure(debug=False, quiet=False)
